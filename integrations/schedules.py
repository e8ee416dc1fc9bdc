"""Periodic tasks of the integrations, as django_celery_beat rows.

``setup_schedules()`` is idempotent (and is run by migration 0003): one
``integrations.pull_source`` task per HTTP source, with the source as its
argument, every 15 minutes (a source whose INGEST_PULL_<SOURCE>_URL is not set
is skipped by the task itself), and ``integrations.send_queued_outbound`` every
5 minutes for messages that could not be sent at once.
"""

import json

PULL_MINUTES = 15
OUTBOUND_MINUTES = 5
HTTP_SOURCES = ("vnaccs-http", "vcis-http", "registry-http", "tax-debt-http")


def schedule_rows():
    for source in HTTP_SOURCES:
        yield f"integrations: pull {source}", "integrations.pull_source", [source], PULL_MINUTES
    yield (
        "integrations: send queued outbound messages",
        "integrations.send_queued_outbound",
        [],
        OUTBOUND_MINUTES,
    )


def setup_schedules(interval_model=None, task_model=None) -> list[str]:
    if interval_model is None:
        from django_celery_beat.models import IntervalSchedule as interval_model
        from django_celery_beat.models import PeriodicTask as task_model
    names = []
    for name, task, args, minutes in schedule_rows():
        every, _created = interval_model.objects.get_or_create(every=minutes, period="minutes")
        task_model.objects.update_or_create(
            name=name, defaults={"task": task, "args": json.dumps(args), "interval": every}
        )
        names.append(name)
    return names

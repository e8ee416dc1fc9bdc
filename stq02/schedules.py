"""The periodic tasks beat runs, kept as code so every deployment has them.

``manage.py setup_schedules`` writes them into django-celery-beat's tables
(idempotent); an administrator may then change times or switch a task off in
the admin, and a later ``setup_schedules`` keeps those edits
(``--reset`` puts the defaults back).
"""

# (name, task, crontab fields, kwargs). Times are Asia/Ho_Chi_Minh.
SCHEDULES = [
    ("Worker heartbeat", "stq02.heartbeat", {"minute": "*/5"}, {}),
    # One pull task per HTTP source; a source without a URL is skipped by the task.
    *[
        (
            f"integrations: pull {source}",
            "integrations.pull_source",
            {"minute": "*/15"},
            {"source": source},
        )
        for source in ("vnaccs-http", "vcis-http", "registry-http", "tax-debt-http")
    ],
    (
        "integrations: send queued outbound messages",
        "integrations.send_queued_outbound",
        {"minute": "*/5"},
        {},
    ),
    (
        "declarations: summarise big enterprises",
        "declarations.promote_summaries",
        {"minute": "0", "hour": "1"},
        {},
    ),
    ("Nightly risk scoring", "risk.score_all", {"minute": "30", "hour": "1"}, {}),
    ("Audit deadline alerts", "audits.daily_deadline_check", {"minute": "30", "hour": "6"}, {}),
    (
        "Monthly audit results reports",
        "reports.monthly_reports",
        {"minute": "0", "hour": "5", "day_of_month": "1"},
        {},
    ),
]


def install(*, reset: bool = False) -> list[str]:
    import json

    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    written = []
    for name, task, cron, kwargs in SCHEDULES:
        fields = {
            "minute": "0",
            "hour": "*",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        }
        fields.update(cron)
        schedule, _ = CrontabSchedule.objects.get_or_create(timezone=settings.TIME_ZONE, **fields)
        existing = PeriodicTask.objects.filter(name=name).first()
        if existing and not reset:
            continue
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "crontab": schedule,
                "kwargs": json.dumps(kwargs),
                "enabled": True,
            },
        )
        written.append(name)
    return written

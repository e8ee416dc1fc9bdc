"""Celery tasks of the risk app: thin wrappers that take ids or dates."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from risk import scoring


def _execute(task, run_id: int) -> int:
    worker = f"celery-{task.request.id}"
    run = scoring.execute(run_id=run_id, worker=worker)
    if run.status == run.Status.RUNNING and run.claimed_by != worker:
        # Another worker holds the run. If that worker died (a redelivered task
        # finds it so), its heartbeat goes stale and this retry takes the run over.
        raise task.retry(countdown=int(scoring.STALE_AFTER.total_seconds()) + 60)
    return run.pk


@shared_task(name="risk.score_run", bind=True, acks_late=True, max_retries=12)
def score_run(self, run_id: int) -> int:
    """Process (or resume) one scoring run; safe to run twice (the run is claimed)."""
    return _execute(self, run_id)


@shared_task(name="risk.score_all", bind=True, acks_late=True, max_retries=12)
def score_all(self, as_of: str | None = None) -> int:
    """The nightly run: score every enterprise and the new declarations as of
    yesterday (or ``as_of``). A finished run of that date is left as it is; a
    failed or stale one is resumed."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate() - dt.timedelta(days=1)
    return _execute(self, scoring.run_for(as_of=day).pk)


# The beat entry, in the shape of stq02.schedules.SCHEDULES (the lead adds it there):
# scores as of yesterday at 01:30 Asia/Ho_Chi_Minh, after the evening imports.
SCHEDULE = ("Nightly risk scoring", "risk.score_all", {"minute": "30", "hour": "1"}, {})

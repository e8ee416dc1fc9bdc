"""Celery tasks of the risk app: thin wrappers that take ids or dates."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from risk import scoring


@shared_task(name="risk.score_run", acks_late=True)
def score_run(run_id: int) -> int:
    """Process (or resume) one scoring run; safe to run twice (the run is claimed)."""
    return scoring.execute(run_id=run_id).pk


@shared_task(name="risk.score_all", acks_late=True)
def score_all(as_of: str | None = None) -> int:
    """The nightly run: score every enterprise and the new declarations as of
    yesterday (or ``as_of``). A finished run of that date is left as it is; a
    failed or stale one is resumed."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate() - dt.timedelta(days=1)
    run = scoring.run_for(as_of=day)
    return scoring.execute(run_id=run.pk).pk


# The beat entry, in the shape of stq02.schedules.SCHEDULES (the lead adds it there):
# scores as of yesterday at 01:30 Asia/Ho_Chi_Minh, after the evening imports.
SCHEDULE = ("Nightly risk scoring", "risk.score_all", {"minute": "30", "hour": "1"}, {})

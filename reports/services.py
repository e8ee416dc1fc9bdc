"""Report jobs: asking for one, and generating it (the Celery task calls
``run_job``). A job is claimed by a conditional update, so running it twice
does nothing the second time."""

import datetime as dt

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from reports.forms import period_parameters
from reports.models import ReportJob
from reports.selectors import Period
from stq02.models import Unit
from stq02.scoping import can_see_unit, scope_root


def jobs_for(*, user):
    """The user's own jobs and the scheduled ones (no requester) they may see,
    newest first."""
    return (
        ReportJob.objects.visible_to(user)
        .filter(Q(requested_by=user) | Q(requested_by__isnull=True))
        .select_related("unit", "requested_by")
    )


def request_report(
    *, user, kind: str, fmt: str, parameters: dict, unit: Unit | None = None
) -> ReportJob:
    """A pending job, queued after the transaction commits. Without a unit the job
    covers the requester's own subtree (their unit), or the whole force for who
    sees everything."""
    if unit is None and user is not None and not user.sees_everything:
        unit = scope_root(user)
    if user is not None and unit is not None and not can_see_unit(user, unit):
        raise Unit.DoesNotExist
    job = ReportJob.objects.create(
        kind=kind,
        format=fmt,
        parameters=parameters,
        unit=unit,
        requested_by=user,
    )
    from reports.tasks import generate_report

    transaction.on_commit(lambda: generate_report.delay(job.pk))
    return job


def claim(job_id: int) -> bool:
    """Pending -> running, in one conditional update: a second run of the task
    finds the job running or done and leaves it. A job whose worker died while
    running is taken again once the task time limit has passed."""
    stale = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return bool(
        ReportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ReportJob.Status.PENDING)
            | Q(status=ReportJob.Status.RUNNING, started_at__lt=stale)
        )
        .update(status=ReportJob.Status.RUNNING, started_at=timezone.now(), progress=1, error="")
    )


def set_progress(job_id: int, percent: int) -> None:
    ReportJob.objects.filter(pk=job_id).update(progress=max(0, min(100, int(percent))))


def run_job(job_id: int, *, progress=None) -> ReportJob:
    """Generate one job's file. A job that is not pending (running elsewhere,
    done, failed) is returned as it is."""
    from reports import documents

    if not claim(job_id):
        return ReportJob.objects.get(pk=job_id)
    job = ReportJob.objects.select_related("unit", "requested_by").get(pk=job_id)

    tell = progress or (lambda percent: None)

    def report(percent):
        set_progress(job.pk, percent)
        tell(percent)

    tell(1)  # claim() has written it
    try:
        with translation.override(job.parameters.get("language") or "vi"):
            content, filename = documents.build(job, progress=report)
        job.file.save(filename, ContentFile(content), save=False)
        ReportJob.objects.filter(pk=job.pk).update(
            file=job.file.name,
            status=ReportJob.Status.DONE,
            progress=100,
            finished_at=timezone.now(),
        )
        tell(100)
    except Exception as exc:  # noqa: BLE001 - recorded on the job, shown on its page
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job


def monthly_jobs(*, today=None) -> list[int]:
    today = today or timezone.localdate()
    end = today.replace(day=1) - dt.timedelta(days=1)
    parameters = period_parameters(Period(end.replace(day=1), end))
    created = []
    for fmt in (ReportJob.Format.PDF, ReportJob.Format.XLSX):
        exists = ReportJob.objects.filter(
            kind=ReportJob.Kind.AUDIT_RESULTS,
            format=fmt,
            unit__isnull=True,
            requested_by__isnull=True,
            parameters=parameters,
        ).exists()
        if not exists:
            job = request_report(
                user=None, kind=ReportJob.Kind.AUDIT_RESULTS, fmt=fmt, parameters=parameters
            )
            created.append(job.pk)
    return created

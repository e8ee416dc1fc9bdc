"""Thin Celery tasks of the reports; each takes ids and is safe to run twice."""

from celery import shared_task


@shared_task(name="reports.generate_report")
def generate_report(job_id: int) -> str:
    from reports.services import run_job

    return run_job(job_id).status


@shared_task(name="reports.monthly_reports")
def monthly_reports() -> list[int]:
    """On the 1st of each month: the audit results of the month before, for the
    whole force, as PDF and Excel (one job each; a second run the same month
    finds the jobs already there and adds none)."""
    from reports.services import monthly_jobs

    return monthly_jobs()

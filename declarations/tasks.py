"""Celery tasks of the declarations app."""

from celery import shared_task

from declarations import summaries


@shared_task(name="declarations.promote_summaries")
def promote_summaries() -> int:
    """Summarise the enterprises that have grown past ENTERPRISE_SUMMARY_THRESHOLD
    (each import batch does it for what it wrote; this catches the rest)."""
    return len(summaries.promote())

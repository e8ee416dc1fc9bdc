"""Thin Celery tasks around the integration services. Each takes ids or names and
is safe to run twice."""

from celery import shared_task

from integrations import outbound

RETRY_DELAYS = (30, 120, 600, 1800, 3600)


@shared_task(bind=True, name="integrations.send_outbound_message", max_retries=len(RETRY_DELAYS))
def send_outbound_message(self, message_id: int) -> str:
    message = outbound.send_message(message_id)
    still_due = message.status == message.Status.QUEUED and message.attempts > 0
    if still_due and not self.request.is_eager and self.request.retries < len(RETRY_DELAYS):
        raise self.retry(countdown=RETRY_DELAYS[self.request.retries])
    return message.status


@shared_task(name="integrations.send_queued_outbound")
def send_queued_outbound() -> int:
    return outbound.send_queued()


@shared_task(name="integrations.process_batch")
def process_batch(batch_id: int) -> str:
    from integrations.pipeline import run_batch

    return run_batch(batch_id=batch_id).status


@shared_task(name="integrations.pull_source")
def pull_source(source: str) -> int:
    """Pull one configured HTTP source (see integrations.pull.configured_sources)."""
    from integrations.pull import pull_configured

    return pull_configured(source=source)

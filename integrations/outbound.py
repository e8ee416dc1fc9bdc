"""Messages STQ02 sends to the clearance system (audit results, re-classifications).

Higher apps call :func:`queue_message`; the row is the outbox. The send task runs
after the caller's transaction commits, POSTs the message as JSON to
``CLEARANCE_OUTBOUND_URL`` with the key as ``Idempotency-Key`` header, and
retries with backoff. Without a configured URL the message stays queued and says
so in ``last_error``; :func:`send_queued` (periodic task) picks it up later.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.http import HttpClient, HttpError
from integrations.models import OutboundMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
NOT_CONFIGURED = "CLEARANCE_OUTBOUND_URL is not set: the message stays queued."


def clearance_url() -> str | None:
    """The clearance system's URL (settings.CLEARANCE_OUTBOUND_URL)."""
    return settings.CLEARANCE_OUTBOUND_URL


def queue_message(*, kind: str, key: str, payload: dict) -> OutboundMessage:
    """Queue a message once per ``key``; a second call with the same key returns
    the first message unchanged. The send task is enqueued when the surrounding
    transaction commits."""
    message, created = OutboundMessage.objects.get_or_create(
        key=key, defaults={"kind": kind, "payload": payload}
    )
    if created:
        from integrations.tasks import send_outbound_message

        message_id = message.pk
        transaction.on_commit(lambda: send_outbound_message.delay(message_id))
        logger.info("queued outbound message %s (%s)", key, kind)
    return message


def send_message(message_id: int, *, client: HttpClient | None = None) -> OutboundMessage:
    """Try to deliver one message. Safe to call twice: a sent message is left as is.
    Returns the message with its new status; raises nothing for delivery failures
    (they are recorded on the row)."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status == OutboundMessage.Status.SENT:
            return message
        url = clearance_url()
        if not url:
            message.last_error = NOT_CONFIGURED
            message.save(update_fields=["last_error"])
            logger.warning("outbound message %s not sent: %s", message.key, NOT_CONFIGURED)
            return message
        message.attempts += 1
        client = client or HttpClient(timeout=10, retries=2, backoff=0.5)
        body = {"kind": message.kind, "key": message.key, "payload": message.payload}
        try:
            client.post_json(url, body, headers={"Idempotency-Key": message.key})
        except HttpError as exc:
            message.last_error = str(exc)
            message.status = (
                OutboundMessage.Status.FAILED
                if message.attempts >= MAX_ATTEMPTS or not exc.retryable
                else OutboundMessage.Status.QUEUED
            )
            message.save(update_fields=["attempts", "last_error", "status"])
            logger.warning(
                "outbound message %s attempt %d failed: %s", message.key, message.attempts, exc
            )
            return message
        message.status = OutboundMessage.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        logger.info("outbound message %s sent to %s", message.key, url)
        return message


def send_queued(*, limit: int = 500) -> int:
    """Send every queued message (oldest first); returns how many were sent."""
    sent = 0
    ids = list(
        OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in ids:
        if send_message(message_id).status == OutboundMessage.Status.SENT:
            sent += 1
    return sent

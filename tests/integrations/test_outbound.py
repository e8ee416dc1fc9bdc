"""Outbound messages to the clearance system, against a real local HTTP server."""

import pytest

from integrations import outbound
from integrations.http import HttpClient
from integrations.models import OutboundMessage
from tests.integrations.servers import ScriptedServer

pytestmark = pytest.mark.django_db(transaction=True)

FAST = HttpClient(timeout=1, retries=2, backoff=0.01)


def test_queue_message_sends_once_after_commit(settings):
    with ScriptedServer([(200, {"ok": True})]) as server:
        settings.CLEARANCE_OUTBOUND_URL = server.url + "/inbox"
        message = outbound.queue_message(
            kind="audit.result", key="case-1:result", payload={"case": 1, "tax": 1000}
        )
        again = outbound.queue_message(kind="audit.result", key="case-1:result", payload={})
        message.refresh_from_db()
    assert again.pk == message.pk
    assert OutboundMessage.objects.count() == 1
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request["path"] == "/inbox"
    assert request["headers"]["Idempotency-Key"] == "case-1:result"
    assert request["body"] == {
        "kind": "audit.result",
        "key": "case-1:result",
        "payload": {"case": 1, "tax": 1000},
    }


def test_without_url_message_stays_queued_and_says_why(settings, monkeypatch):
    settings.CLEARANCE_OUTBOUND_URL = None
    message = outbound.queue_message(kind="risk.reclass", key="d-1", payload={})
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED
    assert "CLEARANCE_OUTBOUND_URL" in message.last_error
    assert message.attempts == 0


def test_url_configured_later_sends_the_queued_messages(settings):
    settings.CLEARANCE_OUTBOUND_URL = None
    outbound.queue_message(kind="risk.reclass", key="d-2", payload={"n": 2})
    with ScriptedServer([(201, {"ok": True})]) as server:
        settings.CLEARANCE_OUTBOUND_URL = server.url
        assert outbound.send_queued() == 1
    message = OutboundMessage.objects.get(key="d-2")
    assert message.status == OutboundMessage.Status.SENT
    assert message.last_error == ""
    assert server.requests[0]["body"]["payload"] == {"n": 2}


def test_server_error_then_success_is_retried(settings):
    with ScriptedServer([(503, {"error": "busy"}), (500, b"oops"), (200, {})]) as server:
        settings.CLEARANCE_OUTBOUND_URL = server.url
        message = OutboundMessage.objects.create(kind="k", key="retry-1", payload={})
        message = outbound.send_message(message.pk, client=FAST)
    assert message.status == OutboundMessage.Status.SENT
    assert len(server.requests) == 3


def test_persistent_failure_is_recorded_and_stays_queued(settings):
    with ScriptedServer([(502, {"error": "down"})]) as server:
        settings.CLEARANCE_OUTBOUND_URL = server.url
        message = OutboundMessage.objects.create(kind="k", key="down-1", payload={})
        message = outbound.send_message(message.pk, client=FAST)
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.attempts == 1
    assert "HTTP 502" in message.last_error
    assert len(server.requests) == 3  # one try and two retries


def test_timeout_is_recorded(settings):
    with ScriptedServer([("sleep", 1.5, (200, {}))]) as server:
        settings.CLEARANCE_OUTBOUND_URL = server.url
        message = OutboundMessage.objects.create(kind="k", key="slow-1", payload={})
        client = HttpClient(timeout=0.3, retries=0, backoff=0.01)
        message = outbound.send_message(message.pk, client=client)
    assert message.status == OutboundMessage.Status.QUEUED
    assert "no answer within 0.3 s" in message.last_error


def test_client_error_fails_without_retry(settings):
    with ScriptedServer([(400, {"error": "bad"})]) as server:
        settings.CLEARANCE_OUTBOUND_URL = server.url
        message = OutboundMessage.objects.create(kind="k", key="bad-1", payload={})
        message = outbound.send_message(message.pk, client=FAST)
    assert message.status == OutboundMessage.Status.FAILED
    assert len(server.requests) == 1


def test_sent_message_is_not_sent_twice(settings):
    with ScriptedServer([(200, {})]) as server:
        settings.CLEARANCE_OUTBOUND_URL = server.url
        message = OutboundMessage.objects.create(kind="k", key="twice", payload={})
        outbound.send_message(message.pk, client=FAST)
        outbound.send_message(message.pk, client=FAST)
    assert len(server.requests) == 1

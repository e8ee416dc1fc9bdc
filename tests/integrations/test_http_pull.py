"""HTTP pulls against a real server on 127.0.0.1 speaking the documented protocol."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from declarations.models import Declaration
from enterprises.models import Violation
from integrations.http import HttpClient
from integrations.models import ImportBatch, PullCursor
from integrations.pull import pull
from tests.integrations.samples import TAX_A, line
from tests.integrations.servers import ScriptedServer

pytestmark = pytest.mark.django_db(transaction=True)

FAST = HttpClient(timeout=1, retries=2, backoff=0.01)


def declaration_item(number: str, lines: int = 2) -> dict:
    rows = [line(number, k + 1) for k in range(lines)]
    head = {k: v for k, v in rows[0].items() if not k.startswith("line_") and k != "hs_code"}
    keys = ("line_no", "hs_code", "description", "quantity", "unit", "unit_price")
    head["lines"] = [
        {k: v for k, v in row.items() if k in keys or k.startswith("line_")} for row in rows
    ]
    return head


PAGES = {
    "": {
        "items": [declaration_item("105000000001"), declaration_item("105000000002")],
        "next_cursor": "p2",
    },
    "p2": {"items": [declaration_item("105000000003", 1)], "next_cursor": "p3"},
    "p3": {"items": [], "next_cursor": None},
}


def paged(pages, overrides=None):
    """A handler answering by the ``cursor`` query parameter."""
    overrides = overrides or {}

    def handler(method, path):
        cursor = parse_qs(urlsplit(path).query).get("cursor", [""])[0]
        if cursor in overrides:
            reply = overrides[cursor]
            if isinstance(reply, list):
                return reply.pop(0) if len(reply) > 1 else reply[0]
            return reply
        return (200, pages[cursor])

    return handler


def test_pages_are_stored_and_the_cursor_saved(world):
    with ScriptedServer(handler=paged(PAGES)) as server:
        batch = pull(source="vnaccs-http", url=server.url + "/declarations", client=FAST)
        assert batch.status == ImportBatch.Status.DONE
        assert (batch.new_count, batch.rejected_count) == (3, 0)
        assert Declaration.objects.get(number="105000000001").lines.count() == 2
        state = PullCursor.objects.get(source="vnaccs-http")
        assert state.cursor == "p3" and state.pages == 2
        assert "limit=500" in server.requests[0]["path"]
        # The next pull starts from the saved cursor.
        again = pull(source="vnaccs-http", url=server.url + "/declarations", client=FAST)
    assert again.status == ImportBatch.Status.DONE and again.new_count == 0
    assert "cursor=p3" in server.requests[-1]["path"]


def test_server_errors_are_retried_then_the_page_is_stored(world):
    overrides = {"p2": [(503, {"error": "busy"}), (502, b"bad gateway"), (200, PAGES["p2"])]}
    with ScriptedServer(handler=paged(PAGES, overrides)) as server:
        batch = pull(source="vnaccs-http", url=server.url, client=FAST)
    assert batch.status == ImportBatch.Status.DONE
    assert batch.new_count == 3


def test_a_timeout_fails_the_batch_and_keeps_the_cursor(world):
    overrides = {"p2": ("sleep", 1.0, (200, PAGES["p2"]))}
    with ScriptedServer(handler=paged(PAGES, overrides)) as server:
        client = HttpClient(timeout=0.3, retries=1, backoff=0.01)
        batch = pull(source="vnaccs-http", url=server.url, client=client)
    assert batch.status == ImportBatch.Status.FAILED
    assert "no answer within 0.3 s" in batch.error and "“p2”" in batch.error
    assert batch.new_count == 2  # the first page is stored
    assert PullCursor.objects.get(source="vnaccs-http").cursor == "p2"
    assert not Declaration.objects.filter(number="105000000003").exists()


def test_a_truncated_page_is_not_stored_and_the_cursor_does_not_move(world):
    text = json.dumps(PAGES["p2"]).encode()
    overrides = {"p2": (200, text[: len(text) // 2])}
    with ScriptedServer(handler=paged(PAGES, overrides)) as server:
        batch = pull(source="vnaccs-http", url=server.url, client=FAST)
        assert batch.status == ImportBatch.Status.FAILED
        assert "not complete JSON" in batch.error
        assert PullCursor.objects.get(source="vnaccs-http").cursor == "p2"
        assert len(server.requests) == 4  # page 1, then page 2 three times
    # The server is fixed: the next pull continues from p2.
    with ScriptedServer(handler=paged(PAGES)) as server:
        batch = pull(source="vnaccs-http", url=server.url, client=FAST)
    assert (batch.status, batch.new_count) == (ImportBatch.Status.DONE, 1)
    assert "cursor=p2" in server.requests[0]["path"]


def test_a_page_of_the_wrong_shape_fails(world):
    with ScriptedServer([(200, {"results": []})]) as server:
        batch = pull(source="vnaccs-http", url=server.url, client=FAST)
    assert batch.status == ImportBatch.Status.FAILED
    assert "no list of items" in batch.error


def test_bad_records_of_a_page_are_rejected_and_the_rest_stored(world):
    bad = declaration_item("105000000009", 1)
    bad["lines"][0]["hs_code"] = "12"
    pages = {"": {"items": [declaration_item("105000000001", 1), bad], "next_cursor": None}}
    with ScriptedServer(handler=paged(pages)) as server:
        batch = pull(source="vnaccs-http", url=server.url, client=FAST)
    assert (batch.status, batch.new_count, batch.rejected_count) == ("done", 1, 1)
    assert batch.rejections.get().field == "hs_code"


def test_vcis_pull(world):
    record = {
        "reference": "VCIS-9",
        "tax_code": TAX_A,
        "enterprise_name": "An Phát",
        "kind": "sanction",
        "decided_on": "2026-04-01",
        "fine": 5000000,
        "is_grave": True,
    }
    pages = {"": {"items": [record], "next_cursor": None}}
    with ScriptedServer(handler=paged(pages)) as server:
        batch = pull(source="vcis-http", url=server.url, client=FAST)
    assert batch.new_count == 1
    violation = Violation.objects.get(reference="VCIS-9")
    assert violation.is_grave and violation.fine == 5000000


def test_import_data_pull_command_prints_counts(world, capsys):
    from django.core.management import call_command

    with ScriptedServer(handler=paged(PAGES)) as server, pytest.raises(SystemExit) as exit_info:
        call_command("import_data", "vnaccs-http", "--pull", "--url", server.url)
    assert exit_info.value.code == 0
    assert "done; new 3, changed 0, unchanged 0, rejected 0" in capsys.readouterr().out


def test_import_data_pull_exits_non_zero_when_the_source_fails(world, capsys):
    from django.core.management import call_command

    with (
        ScriptedServer([(500, {"error": "down"})]) as server,
        pytest.raises(SystemExit) as exit_info,
    ):
        call_command("import_data", "vcis-http", "--pull", "--url", server.url)
    assert exit_info.value.code == 1
    assert "HTTP 500" in capsys.readouterr().err

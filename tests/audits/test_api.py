"""API of the audit lifecycle for local customs departments: read their cases,
post progress and results; another unit's case is 404; roles as in the table."""

import pytest
from django.urls import reverse

from audits.lifecycle import State
from tests.audits.factories import drive, open_case
from tests.factories import DeclarationLineFactory


@pytest.fixture
def case(world):
    return drive(world, open_case(world), until="decision_sent")


def test_a_local_department_reads_its_cases_only(world, case):
    other = open_case(world, unit=world.team_b, user=world.officer_b)
    response = world.api("api_a").get(reverse("api:audit-case-list"))
    assert response.status_code == 200
    numbers = [row["number"] for row in response.json()["results"]]
    assert numbers == [case.number]
    detail = world.api("api_a").get(reverse("api:audit-case-detail", args=[case.pk])).json()
    assert detail["state"] == State.DECISION_SENT
    assert {d["kind"] for d in detail["documents"]} == {"decision", "notice"}
    assert any(d["code"] == "declarant_answer" for d in detail["deadlines"])
    assert detail["events"][-1]["action"] == "audits.case.decision_sent"
    assert (
        world.api("api_a").get(reverse("api:audit-case-detail", args=[other.pk])).status_code == 404
    )
    assert world.api(None).get(reverse("api:audit-case-list")).status_code in (401, 403)


def test_the_list_filters_by_state(world, case):
    response = world.api("department_head").get(reverse("api:audit-case-list"), {"state": "closed"})
    assert response.json()["results"] == []


def test_progress_is_posted_as_steps(world, case):
    api = world.api("api_a")
    url = reverse("api:audit-case-step", args=[case.pk, "started"])
    response = api.post(url, {"started_on": "2026-10-19", "note": "công bố quyết định"})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.IN_PROGRESS
    assert response.json()["events"][-1]["actor"] == str(world.api_a)


def test_a_step_the_role_may_not_take_is_403_and_a_rule_is_409_or_400(world, case):
    api = world.api("api_a")
    refused = api.post(
        reverse("api:audit-case-step", args=[case.pk, "decision_cancelled"]), {"note": "x"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    out_of_turn = api.post(
        reverse("api:audit-case-step", args=[case.pk, "closed"]), {"closed_on": "2026-11-20"}
    )
    assert out_of_turn.status_code == 400
    assert out_of_turn.json()["error"]["code"] == "wrong_state"
    missing = api.post(reverse("api:audit-case-step", args=[case.pk, "started"]), {})
    assert missing.status_code == 400
    assert "started_on" in missing.json()["error"]["fields"]
    assert api.post(reverse("api:audit-case-step", args=[case.pk, "flew"]), {}).status_code == 404


def test_another_unit_cannot_post_to_the_case(world, case):
    response = world.api("officer_b").post(
        reverse("api:audit-case-step", args=[case.pk, "started"]), {"started_on": "2026-10-19"}
    )
    assert response.status_code == 404


def test_results_are_posted_and_read(world, case):
    api = world.api("api_a")
    api.post(
        reverse("api:audit-case-step", args=[case.pk, "started"]), {"started_on": "2026-10-19"}
    )
    declaration = case.declarations.first()
    number = declaration.number
    DeclarationLineFactory(declaration=declaration, line_no=3)
    url = reverse("api:audit-case-findings", args=[case.pk])
    response = api.post(
        url,
        {
            "declaration_number": number,
            "line_no": 3,
            "issue": "origin",
            "description": "C/O không hợp lệ",
            "import_duty": "7000000",
            "vat": "700000",
            "fine": "0",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["outstanding"] == "7700000"
    listed = api.get(url).json()
    assert [(row["declaration_number"], row["line_no"]) for row in listed] == [(number, 3)]
    no_line = api.post(
        url, {"declaration_number": number, "line_no": 4, "issue": "origin", "description": "x"}
    )
    assert no_line.status_code == 400
    assert list(no_line.json()["error"]["fields"]) == ["line_no"]
    bad = api.post(
        url, {"declaration_number": "999999999999", "issue": "origin", "description": "x"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"declaration_number": [bad.json()["error"]["message"]]}
    assert world.api("officer_b").get(url).status_code == 404

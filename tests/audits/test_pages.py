"""The audit pages: list, case page, step forms, files, plan, workload,
notifications — each tried by the personas of the permission matrix."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.lifecycle import State
from audits.models import AuditCase
from tests.audits.factories import drive, enterprise_in, open_case
from tests.audits.test_documents_and_uploads import PDF_BYTES, PNG_BYTES


@pytest.fixture
def case(world):
    return drive(world, open_case(world), until="decision_signed")


def test_the_case_list_shows_only_the_unit_s_cases(world, case):
    other = open_case(world, unit=world.team_b, user=world.officer_b)
    page = world.client("officer_a").get(reverse("audits:case-list"))
    assert page.status_code == 200
    assert case.number in page.content.decode()
    assert other.number not in page.content.decode()
    central = world.client("department_head").get(reverse("audits:case-list"))
    assert other.number in central.content.decode()


def test_the_case_list_filters_by_state_kind_unit_and_deadline(world, case):
    client = world.client("department_head")
    url = reverse("audits:case-list")
    assert case.number in client.get(url, {"state": State.DECISION_SIGNED}).content.decode()
    assert case.number not in client.get(url, {"state": State.CLOSED}).content.decode()
    assert case.number not in client.get(url, {"kind": "premises"}).content.decode()
    assert case.number in client.get(url, {"unit": world.team_a.code}).content.decode()
    assert case.number not in client.get(url, {"unit": world.team_b.code}).content.decode()
    # Signed 5/10/2026: the 3-WD deadline to send the decision has passed.
    assert case.number in client.get(url, {"deadline": "overdue"}).content.decode()
    assert case.number not in client.get(url, {"deadline": "week"}).content.decode()
    assert case.number in client.get(url, {"q": case.enterprise.tax_code}).content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("officer_a", 200),
        ("head_a", 200),
        ("department_head", 200),
        ("officer_b", 404),
        ("head_b", 404),
        ("api_a", 403),
    ],
)
def test_the_case_page_is_scoped_by_unit_and_role(world, case, persona, status):
    response = world.client(persona).get(reverse("audits:case-detail", args=[case.pk]))
    assert response.status_code == status


def test_anonymous_users_are_sent_to_sign_in(world, case):
    response = world.client(None).get(reverse("audits:case-detail", args=[case.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_case_page_shows_timeline_documents_deadlines_team_and_history(world, case):
    html = (
        world.client("officer_a")
        .get(reverse("audits:case-detail", args=[case.pk]))
        .content.decode()
    )
    assert "audits.case.decision_signed" in html
    assert f"1/QĐ-{world.team_a.code}" in html
    assert 'id="next-deadline"' in html
    assert "08/10/2026" in html  # decision to be sent by
    assert str(world.officer_a) in html
    assert 'id="history"' in html
    assert 'data-action="decision_sent"' in html
    assert 'data-action="decision_cancelled"' not in html  # a head's step


def test_a_step_form_records_the_step(world, case):
    client = world.client("officer_a")
    url = reverse("audits:case-step", args=[case.pk, "decision_sent"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"sent_on": "2026-10-06", "note": "by post"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DECISION_SENT
    assert case.events.last().note == "by post"


def test_a_step_refused_by_a_rule_shows_the_reason_in_the_form(world, case):
    response = world.client("officer_a").post(
        reverse("audits:case-step", args=[case.pk, "decision_sent"]), {"sent_on": "2026-10-14"}
    )
    assert response.status_code == 200
    assert "12/10/2026" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.DECISION_SIGNED


def test_steps_of_another_role_or_state_are_not_reachable(world, case):
    officer = world.client("officer_a")
    assert (
        officer.get(reverse("audits:case-step", args=[case.pk, "decision_cancelled"])).status_code
        == 403
    )
    assert officer.get(reverse("audits:case-step", args=[case.pk, "closed"])).status_code == 404
    assert officer.get(reverse("audits:case-step", args=[case.pk, "nonsense"])).status_code == 404
    other = world.client("officer_b")
    assert (
        other.post(
            reverse("audits:case-step", args=[case.pk, "decision_sent"]), {"sent_on": "2026-10-06"}
        ).status_code
        == 404
    )


def test_documents_and_attachments_are_served_only_to_who_may_see_the_case(world, case):
    document = case.documents.get()
    attachment = services.attach_file(
        case=case,
        upload=SimpleUploadedFile("scan.pdf", PDF_BYTES),
        kind="signed_copy",
        user=world.officer_a,
        document=document,
    )
    for name, url in [
        ("document", reverse("audits:document-download", args=[document.pk])),
        ("attachment", reverse("audits:attachment-download", args=[attachment.pk])),
    ]:
        response = world.client("head_a").get(url)
        assert response.status_code == 200, name
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        body = b"".join(response.streaming_content)
        assert body.startswith(b"%PDF-")
        assert world.client("officer_b").get(url).status_code == 404
        assert world.client("head_b").get(url).status_code == 404


def test_uploading_through_the_page_checks_the_file(world, case):
    client = world.client("officer_a")
    url = reverse("audits:attachment-upload", args=[case.pk])
    bad = client.post(url, {"kind": "evidence", "file": SimpleUploadedFile("photo.pdf", PNG_BYTES)})
    assert bad.status_code == 200
    assert "photo.pdf" in bad.content.decode()
    good = client.post(
        url,
        {
            "kind": "evidence",
            "file": SimpleUploadedFile("photo.png", PNG_BYTES),
            "description": "kho hàng",
        },
    )
    assert good.status_code == 302
    assert case.attachments.get().description == "kho hàng"
    assert (
        world.client("officer_b")
        .post(url, {"kind": "evidence", "file": SimpleUploadedFile("x.png", PNG_BYTES)})
        .status_code
        == 404
    )


def test_opening_a_case_through_the_page_names_the_unit_holding_an_overlap(world):
    enterprise = enterprise_in(world)
    held = open_case(world, enterprise=enterprise, unit=world.team_b, user=world.officer_b)
    # The enterprise is managed by A; B's case is found whoever the unit.
    response = world.client("officer_a").post(
        reverse("audits:case-create"),
        {
            "tax_code": enterprise.tax_code,
            "kind": "office",
            "legal_basis": "risk",
            "content": "general",
            "period_from": "2025-03-01",
            "period_to": "2025-04-30",
            "estimated_officer_days": 5,
        },
    )
    assert response.status_code == 200
    assert world.team_b.code in response.content.decode()
    assert held.number in response.content.decode()


def test_an_enterprise_of_another_unit_cannot_be_proposed(world):
    outsider = enterprise_in(world, world.team_b)
    url = reverse("audits:case-propose") + f"?enterprise={outsider.pk}"
    assert world.client("officer_a").get(url).status_code == 404


def test_proposing_from_the_risk_list_freezes_the_score(world):
    enterprise = enterprise_in(world)
    from tests.factories import DeclarationFactory

    DeclarationFactory(enterprise=enterprise, registered_on=dt.date(2025, 5, 1))
    url = reverse("audits:case-propose") + f"?enterprise={enterprise.pk}&score=987654"
    client = world.client("officer_a")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "kind": "premises",
            "content": "valuation",
            "period_from": "2025-01-01",
            "period_to": "2025-12-31",
            "estimated_officer_days": 12,
            "note": "điểm rủi ro cao",
        },
    )
    assert response.status_code == 302
    case = AuditCase.objects.get(enterprise=enterprise)
    assert case.state == State.PROPOSED
    assert case.risk_score_id == 987654
    assert case.risk_snapshot["score_id"] == 987654
    assert case.legal_basis == AuditCase.LegalBasis.RISK


def test_recording_a_finding_and_its_collection_through_the_pages(world):
    case = drive(world, open_case(world), until="started")
    number = case.declarations.first().number
    client = world.client("officer_a")
    response = client.post(
        reverse("audits:finding-create", args=[case.pk]),
        {
            "declaration_number": number,
            "issue": "classification",
            "description": "Sai mã HS",
            "import_duty": "5000000",
            "vat": "500000",
            "special_consumption_tax": "0",
            "environmental_tax": "0",
            "fine": "1000000",
            "assessed_on": "2026-10-20",
        },
    )
    assert response.status_code == 302
    finding = case.findings.get()
    response = client.post(
        reverse("audits:finding-collection", args=[case.pk, finding.pk]),
        {
            "collected": "4000000",
            "collected_on": "2026-11-02",
            "appealed": "2500000",
            "appealed_on": "2026-11-03",
            "written_off": "0",
        },
    )
    assert response.status_code == 302
    html = client.get(reverse("audits:case-detail", args=[case.pk])).content.decode()
    assert "Sai mã HS" in html
    finding.refresh_from_db()
    assert finding.outstanding == 0
    too_much = client.post(
        reverse("audits:finding-collection", args=[case.pk, finding.pk]),
        {"collected": "9000000", "collected_on": "2026-11-02", "appealed": "0", "written_off": "0"},
    )
    assert too_much.status_code == 200


def test_scope_page_refuses_declarations_older_than_5_years(world):
    case = open_case(world, declarations=0)
    from tests.factories import DeclarationFactory

    old = DeclarationFactory(enterprise=case.enterprise, registered_on=dt.date(2019, 1, 2))
    response = world.client("officer_a").post(
        reverse("audits:case-scope", args=[case.pk]), {"numbers": old.number}
    )
    assert response.status_code == 200
    assert old.number in response.content.decode()
    assert not case.declarations.exists()


def test_plan_and_workload_pages(world):
    world.branch_a.capacity_officer_days = 30
    world.branch_a.save()
    approved = drive(world, open_case(world), until="team_assigned")
    open_case(world, content=AuditCase.Content.ORIGIN, estimated_officer_days=25, declarations=1)
    client = world.client("head_a")
    html = client.get(
        reverse("audits:plan"), {"unit": world.branch_a.code, "year": 2026}
    ).content.decode()
    assert approved.number in html
    assert 'id="approved-days">10<' in html
    assert 'id="proposed-days">25<' in html
    html = client.get(reverse("audits:workload"), {"unit": world.branch_a.code}).content.decode()
    assert str(world.officer_a) in html
    assert (
        world.client("head_b")
        .get(reverse("audits:plan"), {"unit": world.branch_a.code})
        .status_code
        == 404
    )
    assert (
        world.client("head_b")
        .get(reverse("audits:workload"), {"unit": world.branch_a.code})
        .status_code
        == 404
    )
    assert world.client("api_a").get(reverse("audits:plan")).status_code == 403


def test_the_enterprise_page_has_an_audits_panel(world, case):
    html = (
        world.client("officer_a")
        .get(reverse("enterprises:detail", args=[case.enterprise.tax_code]))
        .content.decode()
    )
    assert 'id="audits"' in html
    assert case.number in html
    assert reverse("audits:case-propose") in html


def test_a_proposal_freezes_the_risk_score_and_its_reasons(world):
    from risk.models import EnterpriseScore, ScoringRun
    from tests.factories import DeclarationFactory

    enterprise = enterprise_in(world)
    DeclarationFactory(enterprise=enterprise, registered_on=dt.date(2025, 5, 1))
    run = ScoringRun.objects.create(as_of=dt.date(2026, 11, 30), seed="s")
    score = EnterpriseScore.objects.create(
        run=run,
        enterprise=enterprise,
        as_of=run.as_of,
        criteria_score=0.8,
        score=0.83,
        klass=EnterpriseScore.Klass.AUDIT,
        reasons={"criteria": [{"code": "C07", "name": "Valuation below the HS norm"}]},
    )
    url = reverse("audits:case-propose") + f"?enterprise={enterprise.pk}&score={score.pk}"
    client = world.client("officer_a")
    page = client.get(url).content.decode()
    assert "C07" in page
    client.post(
        url,
        {
            "kind": "office",
            "content": "valuation",
            "period_from": "2025-01-01",
            "period_to": "2025-12-31",
            "estimated_officer_days": 6,
        },
    )
    case = AuditCase.objects.get(enterprise=enterprise)
    # Later changes to the score do not change what justified the proposal.
    score.score = 0.1
    score.reasons = {}
    score.save()
    case.refresh_from_db()
    assert case.risk_snapshot["score"] == 0.83
    assert case.risk_snapshot["criteria"][0]["code"] == "C07"
    assert case.risk_snapshot["class"] == "audit"
    html = client.get(reverse("audits:case-detail", args=[case.pk])).content.decode()
    assert "C07" in html
    # A score of another enterprise cannot justify this proposal.
    stranger = enterprise_in(world)
    wrong = reverse("audits:case-propose") + f"?enterprise={stranger.pk}&score={score.pk}"
    assert client.get(wrong).status_code == 404


def test_the_case_page_shows_the_history_of_the_results(world):
    case = drive(world, open_case(world), until="started")
    finding = services.record_finding(
        case=case,
        user=world.officer_a,
        declaration_number=case.declarations.first().number,
        issue="valuation",
        description="x",
        import_duty=3_000_000,
    )
    services.update_collection(
        finding=finding,
        user=world.officer_a,
        collected=3_000_000,
        collected_on=dt.date(2026, 11, 2),
    )
    html = (
        world.client("head_a").get(reverse("audits:case-detail", args=[case.pk])).content.decode()
    )
    assert 'id="results-history"' in html
    assert "02/11/2026" in html or "2026-11-02" in html or "tháng 11 năm 2026" in html

"""One case from the risk list to closed, through the pages, in the system's
Chromium (Playwright, no downloaded browser). Screenshots go to var/screenshots/."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse

from audits.lifecycle import State
from audits.models import AuditCase
from declarations.models import Outcome
from tests.audits.factories import enterprise_in
from tests.factories import DeclarationFactory

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "a-Strong-pass-123"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        yield tab
        # While Playwright's event loop runs, Django's per-context connection
        # registry gives the test its own database connection, which pytest-django
        # does not know about; close it here, or PostgreSQL keeps the session and
        # the test database cannot be dropped.
        connections.close_all()
        context.close()
        browser.close()


def sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(base + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def take_step(page, action, fields=None, shot=None):
    page.click(f'#actions a[data-action="{action}"]')
    page.wait_for_selector("#step-form")
    for selector, value in (fields or {}).items():
        if selector.startswith("select:"):
            page.select_option(selector.removeprefix("select:"), value)
        elif selector.startswith("check:"):
            page.check(selector.removeprefix("check:"))
        else:
            page.fill(selector, value)
    if shot:
        page.screenshot(path=str(SCREENSHOTS / shot), full_page=True)
    page.click("#step-form button[type=submit]")
    page.wait_for_selector("#actions, #next-step")
    errors = page.locator(".errors, .error").all_inner_texts()
    assert not errors, f"{action}: {errors}"


@pytest.mark.browser
def test_a_case_from_the_risk_list_to_closed_in_chromium(world, live_server, page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    enterprise = enterprise_in(world, name="Công ty TNHH Điện tử Hải Phòng")
    declarations = [
        DeclarationFactory(enterprise=enterprise, registered_on=dt.date(2025, 4, 1 + n))
        for n in range(3)
    ]

    # The officer turns the risk-list entry into a proposal.
    sign_in(page, base, "officer-a")
    page.goto(base + reverse("audits:case-propose") + f"?enterprise={enterprise.pk}&score=41")
    page.select_option("#id_kind", "office")
    page.select_option("#id_content", "valuation")
    page.fill("#id_period_from", "2025-01-01")
    page.fill("#id_period_to", "2025-12-31")
    page.fill("#id_estimated_officer_days", "8")
    page.fill("#id_note", "Trị giá khai báo thấp hơn mức giá tham chiếu")
    page.screenshot(path=str(SCREENSHOTS / "audits-01-propose.png"), full_page=True)
    page.click("#propose-form button[type=submit]")
    page.wait_for_selector("#next-step")
    case = AuditCase.objects.get(enterprise=enterprise)
    assert case.state == State.PROPOSED
    assert page.locator("#scope h2").inner_text().startswith("3")

    # The head approves it into the plan, assigns the team and signs the decision.
    sign_in(page, base, "head-a")
    page.goto(base + reverse("audits:case-detail", args=[case.pk]))
    take_step(page, "approved", {"#id_planned_year": "2026"})
    take_step(page, "team_assigned", {"select:#id_lead": str(world.officer_a.pk)})
    take_step(
        page,
        "decision_signed",
        {"#id_signed_on": "2026-10-05", "#id_start_on": "2026-10-19"},
        shot="audits-02-sign-decision.png",
    )
    assert page.locator("#documents").inner_text().count("QĐ") == 1
    page.screenshot(path=str(SCREENSHOTS / "audits-03-decision-signed.png"), full_page=True)

    # The officer sends it, runs the audit, records a finding and the minutes.
    sign_in(page, base, "officer-a")
    page.goto(base + reverse("audits:case-detail", args=[case.pk]))
    take_step(page, "decision_sent", {"#id_sent_on": "2026-10-06"})
    take_step(page, "started", {"#id_started_on": "2026-10-19"})
    take_step(page, "declarant_answered", {"#id_answered_on": "2026-10-19"})
    page.click("#add-finding")
    page.select_option("#id_declaration_number", declarations[1].number)
    page.select_option("#id_issue", "valuation")
    page.fill("#id_description", "Khai thấp trị giá giao dịch")
    page.fill("#id_import_duty", "12000000")
    page.fill("#id_vat", "1200000")
    page.fill("#id_fine", "2000000")
    page.fill("#id_assessed_on", "2026-10-22")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#results table")
    take_step(
        page, "minutes_recorded", {"#id_ended_on": "2026-10-23", "#id_minutes_on": "2026-10-23"}
    )

    # The head issues the result notice; handling starts; the head closes the case.
    sign_in(page, base, "head-a")
    page.goto(base + reverse("audits:case-detail", args=[case.pk]))
    take_step(page, "result_notice_issued", {"#id_concluded_on": "2026-10-28"})
    sign_in(page, base, "officer-a")
    page.goto(base + reverse("audits:case-detail", args=[case.pk]))
    take_step(page, "handling_started")
    sign_in(page, base, "head-a")
    page.goto(base + reverse("audits:case-detail", args=[case.pk]))
    take_step(page, "closed", {"#id_closed_on": "2026-11-20"})
    page.screenshot(path=str(SCREENSHOTS / "audits-04-closed.png"), full_page=True)

    case.refresh_from_db()
    assert case.state == State.CLOSED
    timeline = page.locator("#timeline").inner_text()
    assert "audits.case.closed" in timeline
    assert "audits.case.decision_signed" in timeline
    assert set(case.documents.values_list("kind", flat=True)) == {
        "decision",
        "notice",
        "announcement",
        "minutes",
        "result_notice",
    }
    outcomes = Outcome.objects.filter(source="audit", declaration__enterprise=enterprise)
    assert outcomes.count() == 3
    assert outcomes.get(declaration=declarations[1]).additional_tax == 13_200_000

    page.goto(base + reverse("audits:case-list"))
    assert case.number in page.locator("#case-table").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "audits-05-list.png"), full_page=True)

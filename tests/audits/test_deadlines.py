"""Every deadline rule, across weekends, Tết 2026 and 2027 (holidays package) and
a Saturday the Government swapped into a working day (administrator's correction)."""

import datetime as dt

import pytest

from audits import rules, services
from audits.models import AuditCase
from stq02.models import CalendarDay
from tests.audits.factories import drive, open_case

D = dt.date


def case_with(**values):
    defaults = {
        "kind": AuditCase.Kind.PREMISES,
        "legal_basis": AuditCase.LegalBasis.RISK,
        "period_from": D(2025, 1, 1),
        "period_to": D(2025, 12, 31),
    }
    defaults.update(values)
    return AuditCase(**defaults)


def due(code, **values):
    return rules.BY_CODE[code].due(case_with(**values))


pytestmark = pytest.mark.django_db


def test_decision_is_sent_within_3_working_days_over_a_weekend():
    assert due("decision_sent", decision_signed_on=D(2026, 10, 8)) == D(2026, 10, 13)


def test_decision_sent_deadline_skips_tet_2026():
    # Tết 2026: Monday 16 to Friday 20 February are days off.
    assert due("decision_sent", decision_signed_on=D(2026, 2, 13)) == D(2026, 2, 25)


def test_a_swapped_saturday_counts_as_a_working_day():
    assert due("decision_sent", decision_signed_on=D(2026, 8, 20)) == D(2026, 8, 25)
    CalendarDay.objects.create(
        date=D(2026, 8, 22), kind=CalendarDay.Kind.WORKING, name="Làm bù cho 31/8/2026"
    )
    assert due("decision_sent", decision_signed_on=D(2026, 8, 20)) == D(2026, 8, 24)


def test_an_administrator_day_off_moves_a_deadline():
    CalendarDay.objects.create(date=D(2026, 10, 12), kind=CalendarDay.Kind.HOLIDAY, name="Bão")
    assert due("decision_sent", decision_signed_on=D(2026, 10, 8)) == D(2026, 10, 14)


def test_decision_reaches_the_declarant_5_working_days_before_the_start():
    assert due("notice_before_start", start_on=D(2026, 10, 19)) == D(2026, 10, 12)
    # Tết 2027 (Thursday 4 to Wednesday 10 February): start on 15/02 → by 1/02.
    assert due("notice_before_start", start_on=D(2027, 2, 15)) == D(2027, 2, 1)


def test_no_advance_notice_for_signs_of_violation():
    assert (
        due(
            "notice_before_start",
            start_on=D(2026, 10, 19),
            legal_basis=AuditCase.LegalBasis.SIGNS_OF_VIOLATION,
        )
        is None
    )
    assert (
        due(
            "decision_sent",
            decision_signed_on=D(2026, 10, 8),
            legal_basis=AuditCase.LegalBasis.SIGNS_OF_VIOLATION,
        )
        is None
    )


def test_an_office_audit_lasts_at_most_5_working_days():
    office = AuditCase.Kind.OFFICE
    assert due("office_audit_end", kind=office, started_on=D(2026, 10, 19)) == D(2026, 10, 23)
    assert due("office_audit_end", kind=office, started_on=D(2026, 10, 22)) == D(2026, 10, 28)
    # Started the day before Tết 2027: Wednesday 3/02, then 11, 12, 15, 16 February.
    assert due("office_audit_end", kind=office, started_on=D(2027, 2, 3)) == D(2027, 2, 16)
    assert due("premises_audit_end", kind=office, started_on=D(2026, 10, 19)) is None


def test_a_premises_audit_lasts_10_working_days_plus_its_extension():
    assert due("premises_audit_end", started_on=D(2026, 10, 19)) == D(2026, 10, 30)
    assert due("premises_audit_end", started_on=D(2026, 10, 19), extension_days=10) == D(
        2026, 11, 13
    )
    # Across Tết 2026: started Thursday 12/02.
    assert due("premises_audit_end", started_on=D(2026, 2, 12)) == D(2026, 3, 4)


def test_result_notice_within_5_working_days_after_an_office_audit():
    office = AuditCase.Kind.OFFICE
    assert due("result_notice", kind=office, ended_on=D(2026, 10, 23)) == D(2026, 10, 30)
    assert due("result_notice", ended_on=D(2026, 10, 23)) is None


def test_minutes_within_5_working_days_after_the_end():
    assert due("minutes", ended_on=D(2026, 2, 13)) == D(2026, 2, 27)


def test_draft_conclusion_5_calendar_days_after_the_minutes_rolled_to_a_working_day():
    assert due("draft_conclusion", minutes_on=D(2026, 10, 20)) == D(2026, 10, 26)  # Sun → Mon
    # Minutes on Monday 1/02/2027: 6/02 is Tết; the first working day is 11/02.
    assert due("draft_conclusion", minutes_on=D(2027, 2, 1)) == D(2027, 2, 11)


def test_explanation_10_days_and_conclusion_15_days_after_the_end():
    assert due("explanation", ended_on=D(2026, 10, 30)) == D(2026, 11, 9)
    assert due("conclusion", ended_on=D(2026, 10, 30)) == D(2026, 11, 16)  # 14/11 is a Saturday
    assert due("conclusion", kind=AuditCase.Kind.OFFICE, ended_on=D(2026, 10, 30)) is None


def test_the_expert_has_30_days_and_the_conclusion_follows_15_days_after_the_opinion():
    asked = {"ended_on": D(2026, 10, 30), "expert_requested_on": D(2026, 11, 2)}
    assert due("expert_opinion", **asked) == D(2026, 12, 2)
    assert due("conclusion", **asked) == D(2026, 12, 17)  # 15 days after the 30 days ran out
    assert due("conclusion", **asked, expert_received_on=D(2026, 11, 20)) == D(2026, 12, 7)
    # An opinion that arrives after the 30 days does not move the conclusion further.
    assert due("conclusion", **asked, expert_received_on=D(2026, 12, 10)) == D(2026, 12, 17)


def test_the_declarant_answers_within_3_working_days_of_the_scheduled_date():
    assert due("declarant_answer", start_on=D(2026, 10, 19)) is None  # decision not sent
    assert due("declarant_answer", start_on=D(2026, 10, 22), decision_sent_on=D(2026, 10, 5)) == D(
        2026, 10, 27
    )


def test_every_rule_names_its_legal_reference():
    assert all(rule.legal for rule in rules.RULES)
    assert len({rule.code for rule in rules.RULES}) == len(rules.RULES)


def test_the_case_keeps_its_next_open_deadline(world):
    case = drive(world, open_case(world), until="decision_signed")
    assert case.next_deadline_code == "decision_sent"
    assert case.next_deadline_on == D(2026, 10, 8)  # signed 5/10 + 3 WD
    services.perform(
        case=case, action="decision_sent", user=world.officer_a, data={"sent_on": D(2026, 10, 6)}
    )
    case.refresh_from_db()
    assert case.next_deadline_code == "declarant_answer"
    assert case.next_deadline_on == D(2026, 10, 22)
    drive(world, case)
    case.refresh_from_db()
    assert case.next_deadline_on is None


def test_met_and_late_deadlines_are_told_apart():
    case = case_with(decision_signed_on=D(2026, 10, 5), decision_sent_on=D(2026, 10, 9))
    deadline = next(d for d in rules.deadlines(case) if d.code == "decision_sent")
    assert deadline.status(D(2026, 12, 1)) == "late"
    case.decision_sent_on = D(2026, 10, 6)
    deadline = next(d for d in rules.deadlines(case) if d.code == "decision_sent")
    assert deadline.status(D(2026, 12, 1)) == "met"

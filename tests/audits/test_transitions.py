"""Every row of the transition table, tried by every persona, and the rules that
refuse a step: wrong state, wrong role, wrong unit, missing data or document."""

import datetime as dt

import pytest
from django.db import transaction

from audits import lifecycle, services
from audits.lifecycle import CENTRAL, SYSTEM, TRANSITIONS, State
from audits.models import AuditCase, CaseEvent
from stq02.errors import DomainError
from tests.audits.factories import SIGNED, drive, enterprise_in, open_case

PERSONAS = ["officer_a", "head_a", "department_head", "api_a", "officer_b", "head_b", None]
CENTRAL_PERSONAS = {"department_head"}
OTHER_UNIT = {"officer_b", "head_b"}

# How to bring a case to a state where the step's requirements hold:
# (kind, last step of the normal path, extra steps, data of the step under test).
SETUP = {
    "proposed": ("office", None, [], {"estimated_officer_days": 5}),
    "returned": ("office", "proposed", [], {"note": "more information"}),
    "assigned": ("office", None, [], {"unit": "team_a"}),
    "approved": ("office", "proposed", [], {"planned_year": 2026}),
    "team_assigned": ("office", "approved", [], {"lead": "officer_a"}),
    "decision_signed": (
        "office",
        "team_assigned",
        [],
        {"signed_on": SIGNED, "start_on": dt.date(2026, 10, 19)},
    ),
    "decision_sent": ("office", "decision_signed", [], {"sent_on": dt.date(2026, 10, 6)}),
    "amended": ("office", "decision_signed", [], {"start_on": dt.date(2026, 10, 20)}),
    "started": ("office", "decision_sent", [], {"started_on": dt.date(2026, 10, 19)}),
    "declarant_answered": ("office", "started", [], {"answered_on": dt.date(2026, 10, 19)}),
    "non_compliant": ("office", "started", [], {}),
    "extended": ("premises", "started", [], {"extension_days": 5}),
    "minutes_recorded": (
        "office",
        "declarant_answered",
        [],
        {"ended_on": dt.date(2026, 10, 23), "minutes_on": dt.date(2026, 10, 23)},
    ),
    "draft_conclusion": ("premises", "minutes_recorded", [], {"draft_on": dt.date(2026, 10, 26)}),
    "explanation_recorded": (
        "premises",
        "draft_conclusion",
        [],
        {"explanation_on": dt.date(2026, 10, 30)},
    ),
    "expert_requested": (
        "premises",
        "minutes_recorded",
        [],
        {"expert_requested_on": dt.date(2026, 10, 26)},
    ),
    "expert_received": (
        "premises",
        "minutes_recorded",
        [("expert_requested", {"expert_requested_on": dt.date(2026, 10, 26)})],
        {"expert_received_on": dt.date(2026, 11, 10)},
    ),
    "concluded": (
        "premises",
        "explanation_recorded",
        [],
        {"concluded_on": dt.date(2026, 11, 5), "no_violation": True},
    ),
    "result_notice_issued": (
        "office",
        "minutes_recorded",
        [],
        {"concluded_on": dt.date(2026, 10, 28), "no_violation": True},
    ),
    "handling_started": ("office", "result_notice_issued", [], {}),
    "closed": ("office", "handling_started", [], {"closed_on": dt.date(2026, 11, 20)}),
    "suspended": ("office", "decision_signed", [], {"note": "court order"}),
    "resumed": ("office", "decision_signed", [("suspended", {"note": "x"})], {}),
    "cancelled": ("office", "proposed", [], {"note": "no longer needed"}),
    "decision_cancelled": ("office", "decision_signed", [], {"note": "enterprise dissolved"}),
}


class Rollback(Exception):
    pass


def _resolve(world, data):
    resolved = dict(data)
    for key in ("lead", "unit"):
        if isinstance(resolved.get(key), str):
            resolved[key] = getattr(world, resolved[key])
    return resolved


def _prepare(world, action):
    kind, until, extra, data = SETUP[action]
    case = open_case(world, kind=kind)
    if until:
        drive(world, case, until=until)
    for step, step_data in extra:
        services.perform(case=case, action=step, user=world.head_a, data=step_data)
    case.refresh_from_db()
    return case, _resolve(world, data)


def _expected(transition, persona):
    if persona is None:
        return SYSTEM in transition.roles
    user_role = {
        "officer_a": "officer",
        "officer_b": "officer",
        "head_a": "unit_head",
        "head_b": "unit_head",
        "department_head": "department_head",
        "api_a": "api_client",
    }[persona]
    if user_role not in transition.roles or persona in OTHER_UNIT:
        return False
    return transition.unit != CENTRAL or persona in CENTRAL_PERSONAS


def test_the_setup_covers_every_row_of_the_table():
    assert set(SETUP) == {t.action for t in TRANSITIONS}


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.action)
def test_each_step_is_allowed_to_exactly_its_roles_and_units(world, transition):
    case, data = _prepare(world, transition.action)
    for persona in PERSONAS:
        user = getattr(world, persona) if persona else None
        expected = _expected(transition, persona)
        try:
            with transaction.atomic():
                event = services.perform(case=case, action=transition.action, user=user, data=data)
                after = AuditCase.objects.get(pk=case.pk)
                assert event.action == f"audits.case.{transition.action}"
                assert event.from_state == case.state
                assert event.to_state == after.state
                assert event.actor == user
                assert after.state == transition.leads_to(case.state, case.suspended_from)
                raise Rollback
        except Rollback:
            assert expected, f"{persona} should not be allowed to {transition.action}"
        except services.NotAllowed:
            assert not expected, f"{persona} should be allowed to {transition.action}"


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.action)
def test_a_step_out_of_turn_is_refused(world, transition):
    closed = drive(world, open_case(world))
    with pytest.raises(DomainError) as refused:
        services.perform(case=closed, action=transition.action, user=world.admin, data={})
    assert refused.value.code == "wrong_state"
    assert str(State.CLOSED.label) in str(refused.value)


def test_an_unknown_step_is_refused(world):
    case = open_case(world)
    with pytest.raises(DomainError):
        services.perform(case=case, action="teleported", user=world.admin)


def test_every_step_leaves_an_event_and_a_history_record(world):
    case = drive(world, open_case(world))
    codes = list(case.events.values_list("action", flat=True))
    assert codes[0] == "audits.case.opened"
    assert "audits.case.decision_signed" in codes
    assert codes[-1] == "audits.case.closed"
    states = [e.to_state for e in case.events.exclude(action="audits.case.opened")]
    assert states[-1] == State.CLOSED
    assert case.history.count() >= len(codes)
    assert {h.state for h in case.history.all()} >= {State.PROPOSED, State.APPROVED, State.CLOSED}


def test_proposal_needs_declarations_in_scope(world):
    case = open_case(world, declarations=0)
    with pytest.raises(DomainError) as refused:
        services.perform(case=case, action="proposed", user=world.officer_a)
    assert refused.value.code == "no_scope"


def test_decision_needs_a_team_lead(world):
    case = drive(world, open_case(world), until="approved")
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case,
            action="decision_signed",
            user=world.head_a,
            data={"signed_on": SIGNED, "start_on": dt.date(2026, 10, 19)},
        )
    assert refused.value.code == "no_lead"


def test_decision_sent_less_than_5_working_days_before_the_start_is_refused(world):
    case = drive(world, open_case(world), until="decision_signed")  # start 19/10/2026
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case,
            action="decision_sent",
            user=world.officer_a,
            data={"sent_on": dt.date(2026, 10, 13)},
        )
    assert refused.value.code == "too_late"
    assert "12/10/2026" in str(refused.value)
    services.perform(
        case=case, action="decision_sent", user=world.officer_a, data={"sent_on": SIGNED}
    )


def test_an_audit_for_signs_of_violation_starts_at_the_hand_over(world):
    case = open_case(world, legal_basis=AuditCase.LegalBasis.SIGNS_OF_VIOLATION)
    drive(world, case, until="decision_signed")
    services.perform(case=case, action="started", user=world.officer_a, data={"started_on": SIGNED})
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    assert case.documents.filter(kind="announcement").exists()


def test_other_audits_cannot_skip_sending_the_decision(world):
    case = drive(world, open_case(world), until="decision_signed")
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case, action="started", user=world.officer_a, data={"started_on": SIGNED}
        )
    assert refused.value.code == "not_sent"


def test_a_premises_audit_is_extended_once_by_at_most_10_working_days(world):
    case = drive(world, open_case(world, kind="premises"), until="started")
    with pytest.raises(DomainError):
        services.perform(
            case=case, action="extended", user=world.head_a, data={"extension_days": 11}
        )
    services.perform(case=case, action="extended", user=world.head_a, data={"extension_days": 4})
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case, action="extended", user=world.head_a, data={"extension_days": 2}
        )
    assert refused.value.code == "already_extended"
    assert case.documents.filter(kind="extension").count() == 1


def test_an_office_audit_cannot_be_extended_nor_get_a_premises_conclusion(world):
    case = drive(world, open_case(world), until="started")
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case, action="extended", user=world.head_a, data={"extension_days": 2}
        )
    assert refused.value.code == "wrong_kind"
    assert "extended" not in {
        t.action for t in services.allowed_actions(case=case, user=world.head_a)
    }


def test_a_conclusion_needs_findings_or_a_statement_of_no_violation(world):
    case = drive(world, open_case(world), until="minutes_recorded")
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case,
            action="result_notice_issued",
            user=world.head_a,
            data={"concluded_on": dt.date(2026, 10, 28)},
        )
    assert refused.value.code == "no_results"


def test_cancelling_needs_a_reason(world):
    case = drive(world, open_case(world), until="proposed")
    with pytest.raises(DomainError) as refused:
        services.perform(case=case, action="cancelled", user=world.head_a, data={})
    assert refused.value.field == "note"


def test_dates_of_steps_must_follow_each_other_and_not_be_in_the_future(world):
    case = drive(world, open_case(world), until="declarant_answered")
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case,
            action="minutes_recorded",
            user=world.officer_a,
            data={"ended_on": dt.date(2026, 10, 16)},
        )
    assert refused.value.code == "date_order"
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case,
            action="minutes_recorded",
            user=world.officer_a,
            data={"ended_on": dt.date(2099, 1, 1)},
        )
    assert refused.value.code == "future_date"


def test_suspending_and_resuming_returns_to_the_same_step(world):
    case = drive(world, open_case(world), until="decision_sent")
    services.perform(case=case, action="suspended", user=world.head_a, data={"note": "x"})
    case.refresh_from_db()
    assert case.state == State.SUSPENDED
    assert case.is_open
    services.perform(case=case, action="resumed", user=world.head_a)
    case.refresh_from_db()
    assert case.state == State.DECISION_SENT


def test_a_cancelled_case_is_no_longer_open(world):
    case = drive(world, open_case(world), until="decision_signed")
    services.perform(
        case=case, action="decision_cancelled", user=world.head_a, data={"note": "dissolved"}
    )
    case.refresh_from_db()
    assert case.state == State.CANCELLED
    assert not case.is_open
    assert case.documents.filter(kind="cancellation").exists()


def test_aeo_enterprises_are_approved_and_decided_centrally(world):
    enterprise = enterprise_in(world, is_aeo=True)
    case = drive(world, open_case(world, enterprise=enterprise), until="proposed")
    assert case.needs_central
    with pytest.raises(services.NotAllowed):
        services.perform(
            case=case, action="approved", user=world.head_a, data={"planned_year": 2026}
        )
    services.perform(
        case=case, action="approved", user=world.department_head, data={"planned_year": 2026}
    )


def test_an_enterprise_outside_the_area_goes_to_central_for_assignment(world):
    outside = enterprise_in(world, world.team_b)  # province of B
    case = drive(world, open_case(world, enterprise=outside), until="proposed")
    assert case.needs_central
    with pytest.raises(services.NotAllowed):
        services.perform(
            case=case, action="approved", user=world.head_a, data={"planned_year": 2026}
        )
    services.perform(
        case=case, action="assigned", user=world.department_head, data={"unit": world.team_b}
    )
    case.refresh_from_db()
    assert case.unit == world.team_b
    assert not case.needs_central
    services.perform(case=case, action="approved", user=world.head_b, data={"planned_year": 2026})
    assert CaseEvent.objects.filter(case=case, action="audits.case.assigned").exists()


def test_a_second_planned_audit_in_a_year_needs_a_reason(world, settings):
    settings.AUDIT_ONCE_A_YEAR_RULE = True
    enterprise = enterprise_in(world)
    drive(world, open_case(world, enterprise=enterprise), until="approved")
    second = open_case(
        world,
        enterprise=enterprise,
        content=AuditCase.Content.ORIGIN,
        declarations=0,
    )
    drive(world, second, until="proposed")
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=second, action="approved", user=world.head_a, data={"planned_year": 2026}
        )
    assert refused.value.code == "second_audit"
    services.perform(
        case=second,
        action="approved",
        user=world.head_a,
        data={"planned_year": 2026, "second_audit_reason": "new VCIS information"},
    )


def test_the_once_a_year_rule_spares_signs_of_violation_and_can_be_switched_off(world, settings):
    enterprise = enterprise_in(world)
    drive(world, open_case(world, enterprise=enterprise), until="approved")
    violation = open_case(
        world,
        enterprise=enterprise,
        content=AuditCase.Content.ORIGIN,
        legal_basis=AuditCase.LegalBasis.SIGNS_OF_VIOLATION,
        declarations=0,
    )
    drive(world, violation, until="approved")
    assert violation.state == State.APPROVED
    settings.AUDIT_ONCE_A_YEAR_RULE = False
    third = open_case(
        world, enterprise=enterprise, content=AuditCase.Content.VALUATION, declarations=0
    )
    drive(world, third, until="approved")
    assert third.state == State.APPROVED


def test_the_available_steps_follow_role_and_state(world):
    case = drive(world, open_case(world), until="proposed")
    officer_steps = {t.action for t in services.allowed_actions(case=case, user=world.officer_a)}
    head_steps = {t.action for t in services.allowed_actions(case=case, user=world.head_a)}
    assert "approved" not in officer_steps
    assert {"approved", "returned", "cancelled", "team_assigned"} <= head_steps
    assert services.allowed_actions(case=case, user=world.officer_b) == []
    assert all(case.state in t.sources for t in lifecycle.TRANSITIONS if t.action in head_steps)


def test_a_customs_office_audits_only_its_own_dossiers_within_60_days(world):
    from stq02.models import Role, Unit
    from tests.factories import DeclarationFactory, UnitFactory, UserFactory

    office = UnitFactory(code="KV-A-01", kind=Unit.Kind.OFFICE, parent=world.branch_a)
    officer = UserFactory(username="officer-office", role=Role.OFFICER, unit=office)
    enterprise = enterprise_in(world)
    own = DeclarationFactory(
        enterprise=enterprise,
        customs_office=office,
        registered_on=dt.date(2026, 8, 10),
        cleared_on=dt.date(2026, 8, 11),
    )
    case = open_case(
        world,
        enterprise=enterprise,
        unit=office,
        user=officer,
        declarations=0,
        period_from=dt.date(2026, 8, 1),
        period_to=dt.date(2026, 8, 31),
    )
    assert list(case.declarations.all()) == [own]
    services.perform(case=case, action="proposed", user=officer)
    services.perform(case=case, action="approved", user=world.head_a, data={"planned_year": 2026})
    services.perform(case=case, action="team_assigned", user=world.head_a, data={"lead": officer})
    sign = {"start_on": dt.date(2026, 10, 26)}
    with pytest.raises(DomainError) as refused:  # cleared 11/08, signed 61 days later
        services.perform(
            case=case,
            action="decision_signed",
            user=world.head_a,
            data={**sign, "signed_on": dt.date(2026, 10, 11)},
        )
    assert refused.value.code == "office_dossiers"
    assert own.number in str(refused.value)
    foreign = DeclarationFactory(
        enterprise=enterprise,
        customs_office=world.team_b,
        registered_on=dt.date(2026, 8, 12),
        cleared_on=dt.date(2026, 8, 12),
    )
    services.add_to_scope(case=case, numbers=[foreign.number], user=officer)
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case,
            action="decision_signed",
            user=world.head_a,
            data={**sign, "signed_on": dt.date(2026, 10, 5)},
        )
    assert foreign.number in str(refused.value)
    case.scope.filter(declaration=foreign).delete()
    services.perform(
        case=case,
        action="decision_signed",
        user=world.head_a,
        data={**sign, "signed_on": dt.date(2026, 10, 5)},
    )

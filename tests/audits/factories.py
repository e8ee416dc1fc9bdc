"""Cases and the steps that bring a case to a state, for the audit tests."""

import datetime as dt

from audits import services
from audits.models import AuditCase
from tests.factories import DeclarationFactory, EnterpriseFactory

# A fixed calendar for the step dates: Monday 5 October 2026 onwards (no holidays).
SIGNED = dt.date(2026, 10, 5)


def enterprise_in(world, unit=None, **kwargs):
    unit = unit or world.team_a
    province = unit.provinces.first() or world.branch_a.provinces.first()
    return EnterpriseFactory(managing_unit=unit, province=province, **kwargs)


def open_case(world, *, enterprise=None, unit=None, user=None, declarations=2, **kwargs):
    unit = unit or world.team_a
    enterprise = enterprise or enterprise_in(world, unit)
    for n in range(declarations):
        DeclarationFactory(enterprise=enterprise, registered_on=dt.date(2025, 3, 2 + n))
    values = {
        "kind": AuditCase.Kind.OFFICE,
        "legal_basis": AuditCase.LegalBasis.RISK,
        "content": AuditCase.Content.GENERAL,
        "period_from": dt.date(2025, 1, 1),
        "period_to": dt.date(2025, 12, 31),
        "estimated_officer_days": 10,
    }
    values.update(kwargs)
    return services.open_case(
        enterprise=enterprise, unit=unit, user=user or world.officer_a, **values
    )


def steps(world, case):
    """(action, persona, data) for every step from information collection to closed."""
    office = case.kind == AuditCase.Kind.OFFICE
    start = dt.date(2026, 10, 19)  # 10 WD after signing
    flow = [
        ("proposed", "officer_a", {"estimated_officer_days": 10}),
        ("approved", "head_a", {"planned_year": 2026}),
        (
            "team_assigned",
            "head_a",
            {"lead": world.officer_a, "members": [world.officer_a]},
        ),
        ("decision_signed", "head_a", {"signed_on": SIGNED, "start_on": start}),
        ("decision_sent", "officer_a", {"sent_on": dt.date(2026, 10, 7)}),
        ("started", "officer_a", {"started_on": start}),
        ("declarant_answered", "officer_a", {"answered_on": start}),
        (
            "minutes_recorded",
            "officer_a",
            {"ended_on": dt.date(2026, 10, 23), "minutes_on": dt.date(2026, 10, 23)},
        ),
    ]
    if office:
        flow.append(
            (
                "result_notice_issued",
                "head_a",
                {"concluded_on": dt.date(2026, 10, 28), "no_violation": True},
            )
        )
    else:
        flow += [
            ("draft_conclusion", "officer_a", {"draft_on": dt.date(2026, 10, 26)}),
            ("explanation_recorded", "officer_a", {"explanation_on": dt.date(2026, 10, 30)}),
            ("concluded", "head_a", {"concluded_on": dt.date(2026, 11, 5), "no_violation": True}),
        ]
    flow += [
        ("handling_started", "officer_a", {}),
        ("closed", "head_a", {"closed_on": dt.date(2026, 11, 20)}),
    ]
    return flow


def drive(world, case, *, until: str | None = None, skip=()):
    """Take the steps in order up to and including the action ``until``, starting
    after the last step the case has already taken."""
    flow = steps(world, case)
    done = [e.action.removeprefix("audits.case.") for e in case.events.all()]
    actions = [action for action, _persona, _data in flow]
    taken = [action for action in done if action in actions]
    if taken:
        flow = flow[actions.index(taken[-1]) + 1 :]
    for action, persona, data in flow:
        if action in skip:
            continue
        services.perform(case=case, action=action, user=getattr(world, persona), data=data)
        if action == until:
            break
    case.refresh_from_db()
    return case

"""Closed cases with findings in unit A or B, walked through the lifecycle as the
audit tests do (tests.audits.factories.steps), for the report tests."""

import datetime as dt

from audits import services
from tests.audits.factories import open_case, steps


def closed_case(world, *, branch="a", kind="office", findings=(), until=None):
    """A case of team A or B taken to closed (or to ``until``), with ``findings``
    (dicts of amounts) recorded after the minutes, on its first declaration."""
    officer = getattr(world, f"officer_{branch}")
    head = getattr(world, f"head_{branch}")
    unit = getattr(world, f"team_{branch}")
    case = open_case(world, unit=unit, user=officer, kind=kind)
    people = {"officer_a": officer, "head_a": head}
    for action, persona, data in steps(world, case):
        if action == "team_assigned":
            data = {"lead": officer, "members": [officer]}
        services.perform(case=case, action=action, user=people[persona], data=data)
        if action == "minutes_recorded":
            case.refresh_from_db()
            number = case.declarations.order_by("number").first().number
            for amounts in findings:
                values = {"assessed_on": dt.date(2026, 10, 26), **amounts}
                services.record_finding(
                    case=case,
                    user=officer,
                    declaration_number=number,
                    issue="valuation",
                    description="Trị giá khai báo thấp",
                    **values,
                )
        if action == until:
            break
    case.refresh_from_db()
    return case

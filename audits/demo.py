"""Demo data for ``manage.py generate_data``: audit cases of the demo branches KV01
and KV02 at every stage of the lifecycle, taken through the real steps (so they
have their events, numbered PDF documents, deadlines and, when closed, outcomes).
Step dates are counted back from today in working days."""

import datetime as dt
import random

from django.db.models import Count, Q
from django.utils import timezone

from audits import services
from audits.models import AuditCase
from enterprises.models import Enterprise
from stq02 import workdays
from stq02.errors import DomainError
from stq02.models import Role, Unit, User

# The last step each demo case takes, in the order they are created.
TARGETS = [
    "proposed",
    "approved",
    "decision_signed",
    "decision_sent",
    "started",
    "minutes_recorded",
    "result_notice_issued",
    "closed",
    "closed",
]
CASES_PER_BRANCH = len(TARGETS)


def _dates(today: dt.date) -> dict[str, dt.date]:
    signed = workdays.add_working_days(today, -30)
    start = workdays.add_working_days(signed, 8)
    ended = workdays.add_working_days(start, 4)
    concluded = workdays.add_working_days(ended, 3)
    return {
        "signed_on": signed,
        "sent_on": workdays.add_working_days(signed, 1),
        "start_on": start,
        "started_on": start,
        "answered_on": start,
        "ended_on": ended,
        "minutes_on": ended,
        "concluded_on": concluded,
        "closed_on": workdays.add_working_days(concluded, 5),
    }


def _steps(case, officer, head, dates, rng):
    yield "proposed", officer, {"estimated_officer_days": case.estimated_officer_days}
    yield "approved", head, {"planned_year": dates["signed_on"].year}
    yield "team_assigned", head, {"lead": officer, "members": [officer]}
    yield "decision_signed", head, {k: dates[k] for k in ("signed_on", "start_on")}
    yield "decision_sent", officer, {"sent_on": dates["sent_on"]}
    yield "started", officer, {"started_on": dates["started_on"]}
    if rng.random() < 0.7:
        yield "declarant_answered", officer, {"answered_on": dates["answered_on"]}
    yield "minutes_recorded", officer, {k: dates[k] for k in ("ended_on", "minutes_on")}
    yield (
        "result_notice_issued",
        head,
        {"concluded_on": dates["concluded_on"], "no_violation": True},
    )
    yield "handling_started", officer, {}
    yield "closed", head, {"closed_on": dates["closed_on"]}


def _finding(case, officer, dates, rng) -> None:
    case.refresh_from_db()  # the steps change the case in the database, not this copy
    declaration = case.declarations.order_by("-customs_value").first()
    # the goods line the finding is about: the declaration's dearest
    line_no = declaration.lines.order_by("-customs_value").values_list("line_no", flat=True).first()
    duty = rng.randint(5, 300) * 1_000_000
    collected = duty if rng.random() < 0.5 else 0
    services.record_finding(
        case=case,
        user=officer,
        declaration_number=declaration.number,
        line_no=line_no,
        issue=rng.choice(["valuation", "classification", "origin"]),
        description="Khai sai dẫn đến thiếu số thuế phải nộp",
        import_duty=duty,
        vat=duty // 10,
        fine=duty // 5,
        assessed_on=dates["ended_on"],
        collected=collected,
        collected_on=dates["closed_on"] if collected else None,
    )


def generate(*, options: dict, rng: random.Random, progress) -> str:
    if AuditCase.objects.exists():
        return "audit cases already present: nothing generated"
    today = timezone.localdate()
    dates = _dates(today)
    made = 0
    for code in ("KV01", "KV02"):
        branch = Unit.objects.filter(code=code).first()
        team = Unit.objects.filter(code=f"{code}-KT").first()
        officer = User.objects.filter(unit=team, role=Role.OFFICER).order_by("username").first()
        head = User.objects.filter(unit=branch, role=Role.UNIT_HEAD).order_by("username").first()
        if not (branch and team and officer and head):
            continue
        year = today.year - 1
        enterprises = (
            Enterprise.objects.filter(managing_unit=branch, head__isnull=True, is_aeo=False)
            .annotate(
                recent=Count("declarations", filter=Q(declarations__registered_on__year=year))
            )
            .filter(recent__gt=0)
            .order_by("-recent", "tax_code")[:CASES_PER_BRANCH]
        )
        found = False
        for enterprise, target in zip(enterprises, TARGETS, strict=False):
            try:
                early = target in TARGETS[:5]
                case = services.open_case(
                    enterprise=enterprise,
                    unit=team,
                    user=officer,
                    # The premises path (draft conclusion, explanation) is only
                    # shown up to the start of the audit in the demo.
                    kind=AuditCase.Kind.PREMISES
                    if early and rng.random() < 0.4
                    else AuditCase.Kind.OFFICE,
                    legal_basis=AuditCase.LegalBasis.RISK,
                    content=rng.choice(AuditCase.Content.values),
                    period_from=dt.date(year, 1, 1),
                    period_to=dt.date(year, 12, 31),
                    summary="Dữ liệu minh họa",
                    estimated_officer_days=rng.randint(4, 20),
                )
                for action, user, data in _steps(case, officer, head, dates, rng):
                    # Most audits that conclude find something; the first of each
                    # branch always does, so that the demo always shows results.
                    if action == "result_notice_issued" and (rng.random() < 0.6 or not found):
                        _finding(case, officer, dates, rng)
                        found = True
                        data = {**data, "no_violation": False}
                    services.perform(case=case, action=action, user=user, data=data)
                    if action == target:
                        break
            except DomainError:
                continue  # an enterprise whose data does not fit a demo step is skipped
            made += 1
            progress("audit cases", made, 2 * CASES_PER_BRANCH)
    return f"{made} audit cases"

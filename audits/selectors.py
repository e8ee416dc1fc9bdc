"""Reads of the audit lifecycle: case lists, a case's page, plan and workload."""

import datetime as dt

from django.db.models import Count, Q, Sum
from django.utils import timezone

from audits import rules
from audits.lifecycle import State
from audits.models import AuditCase, Notification
from stq02.models import Role, Unit, User
from stq02.scoping import can_see_unit, visible_units

PLANNED_STATES = (State.PROPOSED,)
APPROVED_STATES = tuple(
    s for s in State.values if s not in {"information", "proposed", "cancelled"}
)


def cases_for(*, user):
    return AuditCase.objects.visible_to(user).select_related("enterprise", "unit", "lead")


def case_for(*, user, pk: int) -> AuditCase:
    """One case the user may see; AuditCase.DoesNotExist otherwise (pages: 404)."""
    return cases_for(user=user).get(pk=pk)


def case_list(*, user, state="", kind="", unit="", deadline="", query=""):
    cases = cases_for(user=user)
    if state == "open":
        cases = cases.filter(is_open=True)
    elif state:
        cases = cases.filter(state=state)
    if kind:
        cases = cases.filter(kind=kind)
    if unit:
        cases = cases.filter(unit__code=unit)
    today = timezone.localdate()
    if deadline == "overdue":
        cases = cases.filter(next_deadline_on__lt=today)
    elif deadline == "week":
        cases = cases.filter(
            next_deadline_on__gte=today, next_deadline_on__lte=today + dt.timedelta(days=7)
        )
    if query:
        cases = cases.filter(
            Q(number__icontains=query)
            | Q(enterprise__tax_code__startswith=query)
            | Q(enterprise__name__icontains=query)
        )
    return cases.order_by("-is_open", "next_deadline_on", "-created_at")


def deadline_rows(case: AuditCase) -> list[dict]:
    today = timezone.localdate()
    return [
        {"deadline": deadline, "status": deadline.status(today)}
        for deadline in rules.deadlines(case)
    ]


def findings_totals(case: AuditCase) -> dict:
    totals = case.findings.aggregate(
        import_duty=Sum("import_duty"),
        vat=Sum("vat"),
        special_consumption_tax=Sum("special_consumption_tax"),
        environmental_tax=Sum("environmental_tax"),
        fine=Sum("fine"),
        collected=Sum("collected"),
        appealed=Sum("appealed"),
        written_off=Sum("written_off"),
    )
    totals = {key: value or 0 for key, value in totals.items()}
    totals["tax"] = sum(
        totals[k] for k in ("import_duty", "vat", "special_consumption_tax", "environmental_tax")
    )
    totals["total"] = totals["tax"] + totals["fine"]
    totals["outstanding"] = (
        totals["total"] - totals["collected"] - totals["appealed"] - totals["written_off"]
    )
    return totals


def units_for(*, user):
    """Units the user may pick on the plan and workload pages."""
    return visible_units(user).exclude(kind=Unit.Kind.CENTRAL).order_by("path")


def plan(*, user, unit: Unit, year: int) -> dict:
    """A unit's annual plan: proposed and approved cases against its capacity."""
    if not can_see_unit(user, unit):
        raise Unit.DoesNotExist
    cases = (
        AuditCase.objects.filter(unit__path__startswith=unit.path)
        .filter(Q(planned_year=year) | Q(planned_year__isnull=True, created_at__year=year))
        .exclude(state=State.CANCELLED)
        .select_related("enterprise", "unit")
        .order_by("state", "number")
    )
    proposed = [c for c in cases if c.state in (State.INFORMATION, State.PROPOSED)]
    approved = [c for c in cases if c.state not in (State.INFORMATION, State.PROPOSED)]
    proposed_days = sum(c.estimated_officer_days for c in proposed)
    approved_days = sum(c.estimated_officer_days for c in approved)
    capacity = unit.capacity_officer_days
    return {
        "unit": unit,
        "year": year,
        "proposed": proposed,
        "approved": approved,
        "proposed_days": proposed_days,
        "approved_days": approved_days,
        "capacity": capacity,
        "free_days": capacity - approved_days,
        "used_percent": round(100 * approved_days / capacity) if capacity else None,
        "over_capacity": bool(capacity) and approved_days + proposed_days > capacity,
    }


def workload(*, user, unit: Unit) -> list[dict]:
    """Per officer of the unit: open cases led and joined, and their officer-days
    (a case's estimated officer-days shared equally among its team)."""
    if not can_see_unit(user, unit):
        raise Unit.DoesNotExist
    officers = (
        User.objects.filter(
            unit__path__startswith=unit.path,
            is_active=True,
            role__in=[Role.OFFICER, Role.UNIT_HEAD],
        )
        .annotate(
            led=Count("led_audit_cases", filter=Q(led_audit_cases__is_open=True), distinct=True),
            joined=Count("audit_cases", filter=Q(audit_cases__is_open=True), distinct=True),
        )
        .select_related("unit")
        .order_by("unit__path", "last_name", "first_name")
    )
    open_cases = (
        AuditCase.objects.filter(is_open=True, unit__path__startswith=unit.path)
        .prefetch_related("members")
        .only("pk", "estimated_officer_days", "lead_id")
    )
    days: dict[int, float] = {}
    for case in open_cases:
        team = {member.pk for member in case.members.all()}
        if case.lead_id:
            team.add(case.lead_id)
        for person in team:
            days[person] = days.get(person, 0) + case.estimated_officer_days / len(team)
    return [
        {
            "officer": officer,
            "led": officer.led,
            "joined": officer.joined,
            "days": round(days.get(officer.pk, 0), 1),
        }
        for officer in officers
    ]


def unread_notifications(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()

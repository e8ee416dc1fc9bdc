"""The figures of the statistics page, the reports and the API, computed from case
records in the database: every total is the sum of the unit rows above it, and
every figure names the cases behind it (``case_rows``).

The period: a case counts as *opened* when it was created in the period, *started*
on its start date and *closed* on its closing date. Money counts on the date it was
assessed (a finding without an assessment date counts on the case's conclusion
date; one with neither is not in any period). Ageing is of the amounts still
outstanding at the end of the period (or today, if earlier), by days since
assessment, over everything assessed up to that day.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audits.lifecycle import State
from audits.models import AuditCase, Finding
from enterprises.models import Enterprise
from risk.models import EnterpriseScore
from risk.selectors import latest_run
from stq02.models import Unit
from stq02.scoping import visible_units

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=0))
TAX_KINDS = ("import_duty", "vat", "special_consumption_tax", "environmental_tax")
MONEY = (*TAX_KINDS, "tax", "fine", "assessed", "collected", "appealed", "written_off")
NO_MONEY = dict.fromkeys(MONEY, Decimal(0))
COUNTS = ("opened", "office", "premises", "started", "closed")
AGEING = (
    ("0_90", _("0–90 days"), 0, 90),
    ("91_180", _("91–180 days"), 91, 180),
    ("181_365", _("181–365 days"), 181, 365),
    ("over_365", _("over 365 days"), 366, None),
)
MAX_CHART_MONTHS = 36


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @property
    def as_of(self) -> dt.date:
        return min(self.end, timezone.localdate())


def _sum(expression):
    return Coalesce(Sum(expression), ZERO)


def _tax():
    return F("import_duty") + F("vat") + F("special_consumption_tax") + F("environmental_tax")


def _visible(model, user):
    """The rows ``user`` may see; every row when ``user`` is None (the monthly job
    and the command)."""
    return model.objects.all() if user is None else model.objects.visible_to(user)


def scope_cases(*, user, unit: Unit | None = None):
    """The cases ``user`` may see, within ``unit``'s subtree when given."""
    cases = _visible(AuditCase, user)
    if unit is not None:
        cases = cases.filter(unit__path__startswith=unit.path)
    return cases


def scope_findings(*, user, unit: Unit | None = None):
    return Finding.objects.filter(case__in=scope_cases(user=user, unit=unit).values("pk"))


def units_for(*, user):
    """The units a user may choose on the statistics and report pages."""
    return visible_units(user).order_by("path")


def _money_by(findings, field: str) -> dict:
    """The money of ``findings`` per value of ``field``: {value: {key of MONEY: amount}}."""
    rows = (
        findings.values(field)
        .annotate(
            # Prefixed: an aggregate named like a field would shadow it in F().
            **{f"sum_{kind}": _sum(kind) for kind in TAX_KINDS},
            sum_tax=_sum(_tax()),
            sum_fine=_sum("fine"),
            sum_assessed=_sum(_tax() + F("fine")),
            sum_collected=_sum("collected"),
            sum_appealed=_sum("appealed"),
            sum_written_off=_sum("written_off"),
        )
        .order_by()
    )
    return {row[field]: {key: row[f"sum_{key}"] for key in MONEY} for row in rows}


def _dated(findings):
    return findings.annotate(day=Coalesce("assessed_on", "case__concluded_on"))


def statistics(*, user, period: Period, unit: Unit | None = None) -> dict:
    cases = scope_cases(user=user, unit=unit)
    start, end = period.start, period.end
    opened = Q(created_at__date__gte=start, created_at__date__lte=end)
    started = Q(started_on__gte=start, started_on__lte=end)
    closed = Q(closed_on__gte=start, closed_on__lte=end, state=State.CLOSED)
    case_rows = (
        cases.values("unit_id", "unit__code", "unit__name", "unit__path")
        .annotate(
            opened=Count("pk", filter=opened),
            office=Count("pk", filter=opened & Q(kind=AuditCase.Kind.OFFICE)),
            premises=Count("pk", filter=opened & Q(kind=AuditCase.Kind.PREMISES)),
            started=Count("pk", filter=started),
            closed=Count("pk", filter=closed),
        )
        .order_by()
    )
    scoped = scope_findings(user=user, unit=unit)
    findings = _dated(scoped)
    in_period = findings.filter(day__gte=start, day__lte=end)
    money = _money_by(in_period, "case__unit_id")
    rows = []
    for row in sorted(case_rows, key=lambda r: r["unit__path"]):
        figures = money.get(row["unit_id"], NO_MONEY)
        if not any(row[c] for c in COUNTS) and not any(figures.values()):
            continue
        rows.append(
            {
                "unit_id": row["unit_id"],
                "code": row["unit__code"],
                "name": row["unit__name"],
                **{c: row[c] for c in COUNTS},
                **figures,
                "outstanding": figures["assessed"]
                - figures["collected"]
                - figures["appealed"]
                - figures["written_off"],
            }
        )
    # The total row is the sum of the unit rows (never a separate count).
    total = {key: sum(r[key] for r in rows) for key in (*COUNTS, *MONEY, "outstanding")}
    by_kind_state = _by_kind_state(cases.filter(opened))
    return {
        "period": period,
        "unit": unit,
        "rows": rows,
        "total": total,
        "by_kind_state": by_kind_state,
        "ageing": _ageing(findings, period.as_of),
        "months": _months(scoped, period),
    }


def _by_kind_state(cases) -> list[dict]:
    counts = {
        (row["state"], row["kind"]): row["n"]
        for row in cases.values("state", "kind").annotate(n=Count("pk")).order_by()
    }
    rows = []
    for state, label in State.choices:
        office = counts.get((state, AuditCase.Kind.OFFICE), 0)
        premises = counts.get((state, AuditCase.Kind.PREMISES), 0)
        if office or premises:
            rows.append(
                {
                    "state": state,
                    "label": label,
                    "office": office,
                    "premises": premises,
                    "total": office + premises,
                }
            )
    return rows


def _ageing(findings, as_of: dt.date) -> dict:
    outstanding = _tax() + F("fine") - F("collected") - F("appealed") - F("written_off")
    buckets = {}
    for code, _label, low, high in AGEING:
        condition = Q(day__lte=as_of - dt.timedelta(days=low))
        if high is not None:
            condition &= Q(day__gte=as_of - dt.timedelta(days=high))
        buckets[code] = Coalesce(Sum(outstanding, filter=condition), ZERO)
    figures = findings.filter(day__lte=as_of).aggregate(**buckets)
    rows = [
        {"code": code, "label": label, "amount": figures[code]} for code, label, _l, _h in AGEING
    ]
    return {"as_of": as_of, "rows": rows, "total": sum(r["amount"] for r in rows)}


def _month_list(period: Period) -> list[dt.date]:
    months = []
    day = period.start.replace(day=1)
    while day <= period.end and len(months) < MAX_CHART_MONTHS:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _months(findings, period: Period) -> dict:
    """Assessed by month of assessment (``_dated``), collected by month of collection."""
    months = _month_list(period)
    assessed = dict.fromkeys(months, Decimal(0))
    collected = dict.fromkeys(months, Decimal(0))
    for row in (
        _dated(findings)
        .filter(day__gte=period.start, day__lte=period.end)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(amount=_sum(_tax() + F("fine")))
        .order_by()
    ):
        month = _as_date(row["month"])
        if month in assessed:
            assessed[month] += row["amount"]
    for row in (
        findings.filter(collected_on__gte=period.start, collected_on__lte=period.end)
        .annotate(month=TruncMonth("collected_on"))
        .values("month")
        .annotate(amount=_sum("collected"))
        .order_by()
    ):
        month = _as_date(row["month"])
        if month in collected:
            collected[month] += row["amount"]
    return {"months": months, "assessed": assessed, "collected": collected}


def case_rows(*, user, period: Period, unit: Unit | None = None) -> list[dict]:
    """The cases behind the figures: opened, started or closed in the period, or
    with money assessed in it; with their amounts in the period."""
    start, end = period.start, period.end
    findings = _dated(scope_findings(user=user, unit=unit)).filter(day__gte=start, day__lte=end)
    money = _money_by(findings, "case_id")
    cases = (
        scope_cases(user=user, unit=unit)
        .filter(
            Q(created_at__date__gte=start, created_at__date__lte=end)
            | Q(started_on__gte=start, started_on__lte=end)
            | Q(closed_on__gte=start, closed_on__lte=end)
            | Q(pk__in=findings.values("case_id"))
        )
        .select_related("unit", "enterprise")
        .order_by("unit__path", "number")
    )
    return [
        {
            "number": case.number,
            "unit": case.unit.code,
            "tax_code": case.enterprise.tax_code,
            "enterprise": case.enterprise.name,
            "kind": str(case.get_kind_display()),
            "state": str(case.get_state_display()),
            "started_on": case.started_on,
            "closed_on": case.closed_on,
            **money.get(case.pk, NO_MONEY),
        }
        for case in cases
    ]


def _per_unit(queryset, unit_field: str, **counts) -> dict:
    """``counts`` per unit of ``unit_field``, in the organisation's order: rows with
    the unit's ``code`` and ``name``, and the total row, the sum of the rows."""
    code, name = f"{unit_field}__code", f"{unit_field}__name"
    rows = [
        {"code": row.pop(code), "name": row.pop(name), **row}
        for row in queryset.values(code, name).annotate(**counts).order_by(f"{unit_field}__path")
    ]
    return {"rows": rows, "total": {key: sum(row[key] for row in rows) for key in counts}}


def risk_classification(*, user, unit: Unit | None = None) -> dict:
    """Per managing unit: enterprises by class in the latest scoring run."""
    run = latest_run()
    scores = EnterpriseScore.objects.none()
    if run is not None:
        scores = _visible(EnterpriseScore, user).filter(run=run)
        if unit is not None:
            scores = scores.filter(enterprise__managing_unit__path__startswith=unit.path)
    klass = EnterpriseScore.Klass
    per_unit = _per_unit(
        scores,
        "enterprise__managing_unit",
        audit=Count("pk", filter=Q(klass=klass.AUDIT)),
        monitoring=Count("pk", filter=Q(klass=klass.MONITORING)),
        not_audited=Count("pk", filter=Q(klass=klass.NOT_AUDITED)),
        scored=Count("pk"),
    )
    details = list(
        scores.exclude(klass=klass.NOT_AUDITED)
        .select_related("enterprise", "enterprise__managing_unit")
        .order_by("enterprise__managing_unit__path", "-score")
    )
    return {"run": run, **per_unit, "details": details}


def enterprise_counts() -> dict:
    """What the home page, the dashboard and the enterprise list count of a set
    of enterprises (aggregates for ``aggregate`` or ``annotate``)."""
    return {
        "count": Count("pk"),
        "active": Count("pk", filter=Q(status=Enterprise.Status.ACTIVE)),
        "aeo": Count("pk", filter=Q(is_aeo=True)),
        "low_compliance": Count("pk", filter=Q(compliance_level__gte=4)),
    }


def enterprise_list(*, user, unit: Unit | None = None) -> dict:
    enterprises = _visible(Enterprise, user)
    if unit is not None:
        enterprises = enterprises.filter(managing_unit__path__startswith=unit.path)
    per_unit = _per_unit(enterprises, "managing_unit", **enterprise_counts())
    details = enterprises.select_related("managing_unit").order_by(
        "managing_unit__path", "tax_code"
    )
    return {**per_unit, "details": details}

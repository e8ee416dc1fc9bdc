"""Reads of declarations: lists, one declaration with its versions, and the
trade picture of one enterprise (months, goods, partners, channels, outcomes).

Every figure is an aggregate computed by the database; nothing here loads an
enterprise's declarations into Python. The enterprise queries use the index on
(enterprise, registered_on) and stay within the last ``MONTHS`` months.
"""

import datetime as dt

from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from declarations.models import Declaration, DeclarationLine, Outcome

MONTHS = 36
TAX = F("import_duty") + F("vat") + F("special_consumption_tax") + F("environmental_tax")


def declaration_list(*, user):
    """Current versions of the declarations ``user`` may see, newest first."""
    return (
        Declaration.objects.visible_to(user)
        .filter(is_current=True)
        .select_related("enterprise", "customs_office")
    )


def declaration_for(*, user, number: str) -> Declaration:
    """The current version of declaration ``number``, if ``user`` may see it."""
    return (
        Declaration.objects.visible_to(user)
        .select_related("enterprise", "enterprise__managing_unit", "customs_office")
        .get(number=number, is_current=True)
    )


def declaration_detail(*, declaration: Declaration) -> dict:
    """Versions, goods lines of the current version and outcomes of one declaration."""
    versions = list(
        Declaration.objects.filter(number=declaration.number)
        .order_by("-version")
        .annotate(line_count=Count("lines"))
    )
    return {
        "versions": versions,
        "lines": list(declaration.lines.order_by("line_no")),
        "outcomes": list(
            Outcome.objects.filter(
                Q(declaration__number=declaration.number) | Q(declaration_number=declaration.number)
            )
            .distinct()
            .order_by("-decided_on")
        ),
    }


def month_starts(*, months: int = MONTHS, today: dt.date | None = None) -> list[dt.date]:
    """The first days of the last ``months`` months, oldest first, this month last."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def enterprise_trade(*, enterprise, months: int = MONTHS, today: dt.date | None = None) -> dict:
    """Import/export count, value and tax by month, channel shares, partners and countries."""
    starts = month_starts(months=months, today=today)
    current = Declaration.objects.filter(
        enterprise=enterprise, is_current=True, registered_on__gte=starts[0]
    )
    by_month = {start: {"import": [0, 0, 0], "export": [0, 0, 0]} for start in starts}
    rows = (
        current.annotate(month=TruncMonth("registered_on"))
        .values("month", "direction")
        .annotate(n=Count("pk"), value=Sum("customs_value"), tax=Sum(TAX))
        .order_by()
    )
    for row in rows:
        month = _as_date(row["month"])
        if month in by_month and row["direction"] in by_month[month]:
            by_month[month][row["direction"]] = [row["n"], row["value"] or 0, row["tax"] or 0]
    totals = {
        direction: {
            "count": sum(by_month[m][direction][0] for m in starts),
            "value": sum(by_month[m][direction][1] for m in starts),
            "tax": sum(by_month[m][direction][2] for m in starts),
        }
        for direction in ("import", "export")
    }

    channel_rows = current.values("channel").annotate(n=Count("pk")).order_by("channel")
    channel_total = sum(row["n"] for row in channel_rows) or 1
    labels = dict(Declaration.Channel.choices)
    channels = [
        {
            "channel": row["channel"],
            "label": labels.get(row["channel"], "–"),
            "count": row["n"],
            "share": 100 * row["n"] / channel_total,
        }
        for row in channel_rows
    ]
    partners = list(
        current.values("partner_name", "partner_country")
        .annotate(
            n=Count("pk"),
            value=Sum("customs_value"),
            related=Count("pk", filter=Q(related_party=True)),
        )
        .order_by("-value")[:8]
    )
    countries = list(
        current.values("direction", "partner_country")
        .annotate(n=Count("pk"), value=Sum("customs_value"))
        .order_by("-value")[:8]
    )
    return {
        "months": starts,
        "by_month": [(start, by_month[start]) for start in starts],
        "totals": totals,
        "channels": channels,
        "partners": partners,
        "countries": countries,
    }


def enterprise_goods(*, enterprise, months: int = MONTHS, today: dt.date | None = None, limit=10):
    """The HS codes with the highest customs value in the last ``months`` months."""
    start = month_starts(months=months, today=today)[0]
    return list(
        DeclarationLine.objects.filter(
            declaration__enterprise=enterprise,
            declaration__is_current=True,
            declaration__registered_on__gte=start,
        )
        .values("hs_code", "declaration__direction")
        .annotate(
            lines=Count("pk"),
            value=Sum("customs_value"),
            tax=Sum(TAX),
            description=Max("description"),
            origins=Count("origin_country", distinct=True),
        )
        .order_by("-value")[:limit]
    )


def enterprise_outcomes(*, enterprise, limit: int = 10) -> dict:
    """Inspection, VCIS and audit outcomes on the enterprise's declarations."""
    outcomes = Outcome.objects.filter(declaration__enterprise=enterprise)
    summary = outcomes.aggregate(
        count=Count("pk"),
        violations=Count("pk", filter=Q(violation_found=True)),
        additional_tax=Sum("additional_tax"),
        fines=Sum("fine"),
    )
    by_source = list(
        outcomes.values("source")
        .annotate(n=Count("pk"), violations=Count("pk", filter=Q(violation_found=True)))
        .order_by("source")
    )
    sources = dict(Outcome.Source.choices)
    for row in by_source:
        row["label"] = sources.get(row["source"], row["source"])
    return {
        "summary": summary,
        "by_source": by_source,
        "latest": list(
            outcomes.select_related("declaration").order_by("-decided_on", "-pk")[:limit]
        ),
    }


def scope_kpis(*, user, today: dt.date | None = None) -> dict:
    """Headline figures of the declarations ``user`` may see, for the home page."""
    today = today or timezone.localdate()
    year_start = dt.date(today.year, 1, 1)
    this_year = Declaration.objects.visible_to(user).filter(
        is_current=True, registered_on__gte=year_start
    )
    figures = this_year.aggregate(
        count=Count("pk"),
        value=Sum("customs_value"),
        tax=Sum(TAX),
        red=Count("pk", filter=Q(channel=Declaration.Channel.RED)),
    )
    outcomes = (
        Outcome.objects.visible_to(user)
        .filter(decided_on__gte=year_start)
        .aggregate(
            count=Count("pk"),
            violations=Count("pk", filter=Q(violation_found=True)),
            additional_tax=Sum("additional_tax"),
        )
    )
    return {"declarations": figures, "outcomes": outcomes, "year": today.year}


def scope_months(*, user, months: int = 12, today: dt.date | None = None) -> dict:
    """Declarations and their value per month for ``user``'s scope."""
    starts = month_starts(months=months, today=today)
    rows = (
        Declaration.objects.visible_to(user)
        .filter(is_current=True, registered_on__gte=starts[0])
        .annotate(month=TruncMonth("registered_on"))
        .values("month", "direction")
        .annotate(n=Count("pk"), value=Sum("customs_value"))
        .order_by()
    )
    series = {start: {"import": 0, "export": 0} for start in starts}
    values = dict.fromkeys(starts, 0)
    for row in rows:
        month = _as_date(row["month"])
        if month in series:
            series[month][row["direction"]] = row["n"]
            values[month] += row["value"] or 0
    return {"months": starts, "counts": series, "values": values}

"""Reads of declarations: lists, one declaration with its versions, and the
trade picture of one enterprise (months, goods, partners, channels, outcomes).

Every figure is an aggregate computed by the database; nothing here loads an
enterprise's declarations into Python. The enterprise's trade and goods figures
are added up from its monthly figures (``declarations.summaries.figures``: the
summary rows the writers keep for a big enterprise, or the same aggregates over
the declarations of any other), within the last ``MONTHS`` months.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from declarations import summaries
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


def _top(rows, key, *, value="customs_value", sums=(), limit=8) -> list[dict]:
    """``rows`` added up by the ``key`` columns, the ``limit`` with the highest
    ``value`` first (ties in key order, so that the list does not change between
    requests)."""
    totals: dict[tuple, dict] = {}
    for row in rows:
        group = tuple(row[name] for name in key)
        entry = totals.setdefault(group, dict.fromkeys(sums, 0))
        for name in sums:
            entry[name] += row[name] or 0
    ordered = sorted(totals.items(), key=lambda item: (-item[1][value], item[0]))
    return [dict(zip(key, group, strict=True)) | entry for group, entry in ordered[:limit]]


def enterprise_trade(*, enterprise, months: int = MONTHS, today: dt.date | None = None) -> dict:
    """Import/export count, value and tax by month, channel shares and top
    countries over ``months`` months; top partners over the last 12 months.

    Added up from the enterprise's monthly figures (``summaries.figures``: its
    summary rows if it is a big enterprise, else aggregated from its declarations)."""
    starts = month_starts(months=months, today=today)
    rows = summaries.figures(summaries.MONTHS, enterprise=enterprise, since=starts[0])
    by_month = {start: {"import": [0, 0, 0], "export": [0, 0, 0]} for start in starts}
    by_channel = {}
    for row in rows:
        month = _as_date(row["month"])
        if month in by_month and row["direction"] in by_month[month]:
            cell = by_month[month][row["direction"]]
            cell[0] += row["declarations"]
            cell[1] += row["customs_value"] or 0
            cell[2] += row["tax"] or 0
        channel = row["channel"] or None  # 0 in the summary: no channel
        by_channel[channel] = by_channel.get(channel, 0) + row["declarations"]
    totals = {
        direction: {
            "count": sum(by_month[m][direction][0] for m in starts),
            "value": sum(by_month[m][direction][1] for m in starts),
            "tax": sum(by_month[m][direction][2] for m in starts),
        }
        for direction in ("import", "export")
    }

    channel_total = sum(by_channel.values()) or 1
    labels = dict(Declaration.Channel.choices)
    channels = [
        {
            "channel": channel,
            "label": labels.get(channel, "–"),
            "count": count,
            "share": 100 * count / channel_total,
        }
        for channel, count in sorted(by_channel.items(), key=lambda item: item[0] or 0)
    ]
    partner_start = starts[-12] if len(starts) >= 12 else starts[0]
    partners = _top(
        summaries.figures(summaries.PARTNERS, enterprise=enterprise, since=partner_start),
        ("partner_name", "partner_country"),
        sums=("declarations", "customs_value", "related"),
    )
    countries = _top(rows, ("direction", "partner_country"), sums=("declarations", "customs_value"))
    return {
        "months": starts,
        "by_month": [(start, by_month[start]) for start in starts],
        "totals": totals,
        "channels": channels,
        "partners": [_renamed(row, declarations="n", customs_value="value") for row in partners],
        "countries": [_renamed(row, declarations="n", customs_value="value") for row in countries],
    }


def _renamed(row: dict, **names) -> dict:
    return {names.get(key, key): value for key, value in row.items()}


def enterprise_data_version(*, enterprise) -> str:
    """A cheap fingerprint of what the enterprise page shows: the enterprise's
    declaration count and newest registration date (index-only on the
    (enterprise, registered_on) index), the newest outcome id and today's date."""
    figures = Declaration.objects.filter(enterprise=enterprise).aggregate(
        n=Count("*"), last=Max("registered_on")
    )
    last_outcome = Outcome.objects.aggregate(last=Max("pk"))["last"]
    return f"{figures['n']}-{figures['last']}-{last_outcome}-{timezone.localdate():%Y%m%d}"


def enterprise_goods(*, enterprise, months: int = 12, today: dt.date | None = None, limit=10):
    """The HS codes with the highest customs value in the last ``months`` months,
    from the enterprise's goods figures; descriptions are looked up after."""
    start = month_starts(months=months, today=today)[0]
    goods = [
        _renamed(row, direction="declaration__direction", customs_value="value")
        for row in _top(
            summaries.figures(summaries.GOODS, enterprise=enterprise, since=start),
            ("hs_code", "direction"),
            sums=("lines", "customs_value", "tax"),
            limit=limit,
        )
    ]
    for row in goods:
        # Unordered LIMIT 1: the HS code index finds one line at once.
        row["description"] = next(
            iter(
                DeclarationLine.objects.filter(hs_code=row["hs_code"])
                .order_by()
                .values_list("description", flat=True)[:1]
            ),
            "",
        )
    return goods


def enterprise_outcomes(*, enterprise, limit: int = 10) -> dict:
    """Inspection, VCIS and audit outcomes on the enterprise's declarations (any
    version): totals, totals by source and the newest ``limit`` outcomes.

    Outcomes carry their declaration's enterprise, so both reads go through the
    (enterprise, decided_on) index instead of every declaration of the enterprise."""
    mine = Outcome.objects.filter(enterprise=enterprise)
    rows = (
        mine.values("source")
        .annotate(
            n=Count("pk"),
            violations=Count("pk", filter=Q(violation_found=True)),
            additional_tax=Sum("additional_tax"),
            fines=Sum("fine"),
        )
        .order_by()
    )
    sources = dict(Outcome.Source.choices)
    summary = {"count": 0, "violations": 0, "additional_tax": 0, "fines": 0}
    by_source = []
    for row in rows:
        by_source.append(
            {
                "source": row["source"],
                "label": sources.get(row["source"], row["source"]),
                "n": row["n"],
                "violations": row["violations"],
            }
        )
        summary["count"] += row["n"]
        summary["violations"] += row["violations"]
        summary["additional_tax"] += Decimal(row["additional_tax"] or 0)
        summary["fines"] += Decimal(row["fines"] or 0)
    by_source.sort(key=lambda row: row["source"])
    return {
        "summary": summary,
        "by_source": by_source,
        "latest": list(mine.order_by("-decided_on", "-pk")[:limit]) if limit else [],
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

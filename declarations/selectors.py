"""Reads of declarations: lists, one declaration with its versions, and the
trade picture of one enterprise (months, goods, partners, channels, outcomes).

Every figure is an aggregate computed by the database; nothing here loads an
enterprise's declarations into Python. The enterprise queries use the index on
(enterprise, registered_on) and stay within the last ``MONTHS`` months.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection
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
    """Import/export count, value and tax by month, channel shares and top
    countries over ``months`` months; top partners over the last 12 months."""
    starts = month_starts(months=months, today=today)
    current = Declaration.objects.filter(
        enterprise=enterprise, is_current=True, registered_on__gte=starts[0]
    )
    by_month = {start: {"import": [0, 0, 0], "export": [0, 0, 0]} for start in starts}
    by_channel = {}
    # Months and channels in one pass: at most months x 2 directions x 3 channels
    # rows, which PostgreSQL aggregates in a hash table (grouping by country as
    # well made it sort every declaration on disk).
    rows = (
        current.annotate(month=TruncMonth("registered_on"))
        .values("month", "direction", "channel")
        .annotate(n=Count("pk"), value=Sum("customs_value"), tax=Sum(TAX))
        .order_by()
    )
    for row in rows:
        month = _as_date(row["month"])
        if month in by_month and row["direction"] in by_month[month]:
            cell = by_month[month][row["direction"]]
            cell[0] += row["n"]
            cell[1] += row["value"] or 0
            cell[2] += row["tax"] or 0
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["n"]
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
    partners = list(
        current.filter(registered_on__gte=starts[-12] if len(starts) >= 12 else starts[0])
        .values("partner_name", "partner_country")
        .annotate(
            n=Count("pk"),
            value=Sum("customs_value"),
            related=Count("pk", filter=Q(related_party=True)),
        )
        .order_by("-value")[:8]
    )
    return {
        "months": starts,
        "by_month": [(start, by_month[start]) for start in starts],
        "totals": totals,
        "channels": channels,
        "partners": partners,
        "countries": list(
            current.values("direction", "partner_country")
            .annotate(n=Count("pk"), value=Sum("customs_value"))
            .order_by("-value")[:8]
        ),
    }


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
    """The HS codes with the highest customs value in the last ``months`` months.

    This is the one query of the enterprise page that reads goods lines (about
    five per declaration), so it looks at the last year rather than three, and
    it reads only columns an index can cover; descriptions are looked up after."""
    start = month_starts(months=months, today=today)[0]
    goods = list(
        DeclarationLine.objects.filter(
            declaration__enterprise=enterprise,
            declaration__is_current=True,
            declaration__registered_on__gte=start,
        )
        .values("hs_code", "declaration__direction")
        .annotate(lines=Count("*"), value=Sum("customs_value"), tax=Sum(TAX))
        .order_by("-value")[:limit]
    )
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
    """Inspection, VCIS and audit outcomes on the enterprise's declarations: totals,
    totals by source and the newest ``limit`` outcomes.

    One SQL statement over a materialised set of the enterprise's outcomes: as two
    ORM queries it read every outcome twice, and given ``ORDER BY … LIMIT``
    PostgreSQL sorted all outcomes of the database before probing declarations."""
    outcome = Outcome._meta.db_table
    declaration = Declaration._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH mine AS MATERIALIZED ("  # noqa: S608 - model tables, values as parameters
            f"  SELECT o.id, o.source, o.violation_found, o.additional_tax, o.fine, o.decided_on"
            f"  FROM {outcome} o WHERE o.declaration_id IN"
            f"  (SELECT id FROM {declaration} WHERE enterprise_id = %s)) "
            "SELECT source, COUNT(*), SUM(CASE WHEN violation_found THEN 1 ELSE 0 END), "
            "  SUM(additional_tax), SUM(fine), CAST(NULL AS BIGINT) FROM mine GROUP BY source "
            "UNION ALL "
            "SELECT * FROM (SELECT CAST(NULL AS VARCHAR(10)), CAST(NULL AS BIGINT), "
            "  CAST(NULL AS BIGINT), CAST(NULL AS NUMERIC), CAST(NULL AS NUMERIC), id FROM mine "
            "  ORDER BY decided_on DESC, id DESC LIMIT %s) newest",
            [enterprise.pk, limit],
        )
        rows = cursor.fetchall()

    sources = dict(Outcome.Source.choices)
    summary = {"count": 0, "violations": 0, "additional_tax": 0, "fines": 0}
    by_source = []
    newest = []
    for source, count, violations, additional_tax, fines, outcome_id in rows:
        if outcome_id is not None:
            newest.append(outcome_id)
            continue
        by_source.append(
            {
                "source": source,
                "label": sources.get(source, source),
                "n": count,
                "violations": violations,
            }
        )
        summary["count"] += count
        summary["violations"] += violations
        summary["additional_tax"] += Decimal(additional_tax or 0)
        summary["fines"] += Decimal(fines or 0)
    by_source.sort(key=lambda row: row["source"])
    return {
        "summary": summary,
        "by_source": by_source,
        "latest": list(Outcome.objects.filter(pk__in=newest).order_by("-decided_on", "-pk")),
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

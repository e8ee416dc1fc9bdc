# ruff: noqa: S608 -- the SQL below interpolates table names from model metadata only;
# every value is a bound parameter.
"""Enterprise features ("indicators") computed in the database for any cut-off date.

Each query is one pass of GROUP BY over the rows of a range of enterprise ids,
filtered by date windows counted back from ``as_of``; Python only receives one
row of aggregates per enterprise. Nothing dated after ``as_of`` is read (the
enterprise's ``last_audit_on`` is used only when it is on or before that date),
so the features of a past date can be rebuilt and a past score explained.

The HS value norms and heading duty rates are computed once per date into
``HsNorm`` / ``HeadingRate`` (``ensure_norms``), then joined by every chunk.
PostgreSQL computes the median with ``percentile_cont``; other databases use
an exact median from window functions.

``INDICATORS`` is the registry criteria point into: a key, its label, its unit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from declarations.models import Declaration, DeclarationLine, Outcome
from enterprises.models import Enterprise, RegistryChange, TaxDebt, Violation
from risk.models import HeadingRate, HsNorm

# A line is "below the norm" under this share of the median unit value.
UNDERVALUE_RATIO = 0.7
# Norms from fewer lines than this are not trusted.
NORM_MIN_LINES = 5
# The audit window of Customs Law art. 77, and how close to its end counts as "near".
WINDOW_DAYS = 5 * 365 + 1
NEAR_WINDOW_DAYS = 182
NEVER_AUDITED_DAYS = 3650

INDICATORS = {
    "declarations_12m": (_("declarations in the last 12 months"), ""),
    "value_12m": (_("customs value in the last 12 months"), "VND"),
    "value_trend": (_("customs value, last 12 months / the 12 months before"), "×"),
    "value_jump_90d": (_("daily customs value, last 90 days / the year before them"), "×"),
    "count_jump_90d": (_("daily declarations, last 90 days / the year before them"), "×"),
    "yellow_red_share": (_("share of declarations in the yellow or red channel"), "share"),
    "undervalued_share": (
        _("share of goods value declared under 70 % of the HS-code norm for its origin"),
        "share",
    ),
    "unit_value_ratio": (_("median unit value against the HS-code norm"), "×"),
    "tariff_spread": (_("duty rate points below the highest rate of the heading"), "points"),
    "preferential_share": (_("share of goods value with a preferential-origin claim"), "share"),
    "preferential_change": (
        _("preferential share now minus the 12 months before"),
        "share",
    ),
    "origin_change_share": (
        _("share of goods value from an origin the enterprise did not use before"),
        "share",
    ),
    "related_party_share": (_("share of customs value traded with related parties"), "share"),
    "age_days": (_("days since founding"), "days"),
    "dormant_then_active": (_("active in the last 90 days after a dormant year"), "0/1"),
    "violations_5y": (_("VCIS violation records in 5 years"), ""),
    "grave_violations_5y": (_("grave violations in 5 years"), ""),
    "outcome_violations_5y": (_("inspections and audits that found a violation, 5 years"), ""),
    "outcome_revenue_5y": (_("additional tax and fines from outcomes, 5 years"), "VND"),
    "overdue_debt": (_("tax debt overdue more than 90 days"), "VND"),
    "registry_changes_24m": (_("changes of address or representative in 24 months"), ""),
    "days_since_audit": (_("days since the last post-clearance audit"), "days"),
    "near_window_share": (
        _("share of the 5-year window's declarations within 6 months of leaving it"),
        "share",
    ),
    "compliance_level": (_("compliance level (1–5)"), ""),
    "is_aeo": (_("AEO / priority enterprise"), "0/1"),
}
FEATURE_NAMES = tuple(INDICATORS)


def _tables():
    return {
        "enterprise": Enterprise._meta.db_table,
        "declaration": Declaration._meta.db_table,
        "line": DeclarationLine._meta.db_table,
        "outcome": Outcome._meta.db_table,
        "violation": Violation._meta.db_table,
        "debt": TaxDebt._meta.db_table,
        "change": RegistryChange._meta.db_table,
        "norm": HsNorm._meta.db_table,
        "heading": HeadingRate._meta.db_table,
    }


# The origin of a line: its own, or its declaration's.
ORIGIN = "(CASE WHEN l.origin_country <> '' THEN l.origin_country ELSE d.origin_country END)"


def _windows(as_of: dt.date) -> dict:
    day = dt.timedelta(days=1)
    return {
        "as_of": as_of,
        "y1": as_of - 364 * day,  # the last 12 months, inclusive
        "y2": as_of - 729 * day,  # the 12 months before them
        "y1_end": as_of - 365 * day,
        "d90": as_of - 89 * day,
        "before90_from": as_of - 454 * day,
        "before90_until": as_of - 90 * day,
        "w5": as_of - (WINDOW_DAYS - 1) * day,
        "w5_near": as_of - (WINDOW_DAYS - 1 - NEAR_WINDOW_DAYS) * day,
        "m24": as_of - 730 * day,
    }


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# -- HS norms -------------------------------------------------------------------
def ensure_norms(*, as_of: dt.date, rebuild: bool = False) -> int:
    """Compute the HS value norms and heading rates of ``as_of`` once (idempotent)."""
    if not rebuild and HeadingRate.objects.filter(as_of=as_of).exists():
        return HsNorm.objects.filter(as_of=as_of).count()
    t = _tables()
    params = {**_windows(as_of), "current": True}
    base = f"""
        FROM {t["line"]} l JOIN {t["declaration"]} d ON d.id = l.declaration_id
        WHERE d.is_current = %(current)s AND d.direction = 'import'
          AND d.registered_on BETWEEN %(y1)s AND %(as_of)s
    """
    if connection.vendor == "postgresql":
        norm_sql = f"""
            INSERT INTO {t["norm"]} (as_of, hs_code, origin_country, median_unit_value, lines)
            SELECT %(as_of)s, l.hs_code, {ORIGIN},
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY (l.customs_value / l.quantity)::float8),
                   COUNT(*)
            {base} AND l.quantity > 0
            GROUP BY l.hs_code, {ORIGIN}
        """
    else:
        norm_sql = f"""
            INSERT INTO {t["norm"]} (as_of, hs_code, origin_country, median_unit_value, lines)
            SELECT %(as_of)s, hs_code, origin, AVG(unit_value), MAX(n)
            FROM (
                SELECT l.hs_code AS hs_code, {ORIGIN} AS origin,
                       l.customs_value * 1.0 / l.quantity AS unit_value,
                       ROW_NUMBER() OVER (
                           PARTITION BY l.hs_code, {ORIGIN}
                           ORDER BY l.customs_value * 1.0 / l.quantity) AS position,
                       COUNT(*) OVER (PARTITION BY l.hs_code, {ORIGIN}) AS n
                {base} AND l.quantity > 0
            ) ranked
            WHERE position IN ((n + 1) / 2, (n + 2) / 2)
            GROUP BY hs_code, origin
        """
    if connection.vendor == "postgresql":
        wide_sql = f"""
            INSERT INTO {t["norm"]} (as_of, hs_code, origin_country, median_unit_value, lines)
            SELECT %(as_of)s, l.hs_code, '*',
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY (l.customs_value / l.quantity)::float8),
                   COUNT(*)
            {base} AND l.quantity > 0
            GROUP BY l.hs_code
        """
    else:
        wide_sql = f"""
            INSERT INTO {t["norm"]} (as_of, hs_code, origin_country, median_unit_value, lines)
            SELECT %(as_of)s, hs_code, '*', AVG(unit_value), MAX(n)
            FROM (
                SELECT l.hs_code AS hs_code, l.customs_value * 1.0 / l.quantity AS unit_value,
                       ROW_NUMBER() OVER (
                           PARTITION BY l.hs_code ORDER BY l.customs_value * 1.0 / l.quantity
                       ) AS position,
                       COUNT(*) OVER (PARTITION BY l.hs_code) AS n
                {base} AND l.quantity > 0
            ) ranked
            WHERE position IN ((n + 1) / 2, (n + 2) / 2)
            GROUP BY hs_code
        """
    heading_sql = f"""
        INSERT INTO {t["heading"]} (as_of, heading, max_rate, min_rate)
        SELECT %(as_of)s, SUBSTR(l.hs_code, 1, 4),
               MAX(l.import_duty_rate), MIN(l.import_duty_rate)
        {base} AND l.import_duty_rate IS NOT NULL
        GROUP BY SUBSTR(l.hs_code, 1, 4)
    """
    with transaction.atomic():
        HsNorm.objects.filter(as_of=as_of).delete()
        HeadingRate.objects.filter(as_of=as_of).delete()
        with connection.cursor() as cursor:
            cursor.execute(norm_sql, params)
            cursor.execute(wide_sql, params)
            cursor.execute(heading_sql, params)
        # A marker row, so that a date without any priced line is not recomputed
        # by every chunk.
        HeadingRate.objects.get_or_create(
            as_of=as_of, heading="", defaults={"max_rate": 0, "min_rate": 0}
        )
    return HsNorm.objects.filter(as_of=as_of).count()


# -- features -----------------------------------------------------------------
def compute(
    *, as_of: dt.date, first_id: int, last_id: int, chapters: dict | None = None
) -> dict[int, dict]:
    """Features of the enterprises with ``first_id <= id <= last_id`` as of ``as_of``.

    ``ensure_norms(as_of=...)`` must have run. Returns {enterprise id: {name: value}};
    when given, ``chapters`` is filled with {enterprise id: "HS chapters traded in
    the last 12 months"} ("39 84 85").
    """
    t = _tables()
    p = {**_windows(as_of), "lo": first_id, "hi": last_id, "current": True}
    p.update(ratio=UNDERVALUE_RATIO, min_lines=NORM_MIN_LINES)
    features: dict[int, dict] = defaultdict(dict)

    # Enterprise facts that do not need aggregation.
    for row in Enterprise.objects.filter(pk__gte=first_id, pk__lte=last_id).values_list(
        "pk", "founded_on", "last_audit_on", "compliance_level", "is_aeo"
    ):
        pk, founded_on, last_audit_on, compliance, is_aeo = row
        features[pk].update(
            age_days=(as_of - founded_on).days if founded_on else None,
            _founded_on=founded_on,
            _last_audit_on=last_audit_on if last_audit_on and last_audit_on <= as_of else None,
            compliance_level=compliance,
            is_aeo=1 if is_aeo else 0,
        )

    declarations_sql = f"""
        SELECT d.enterprise_id,
          SUM(CASE WHEN d.registered_on >= %(y1)s THEN 1 ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s THEN d.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on BETWEEN %(y2)s AND %(y1_end)s
                   THEN d.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(d90)s THEN d.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(d90)s THEN 1 ELSE 0 END),
          SUM(CASE WHEN d.registered_on BETWEEN %(before90_from)s AND %(before90_until)s
                   THEN d.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on BETWEEN %(before90_from)s AND %(before90_until)s
                   THEN 1 ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s AND d.channel IN (2, 3) THEN 1 ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s AND d.related_party
                   THEN d.customs_value ELSE 0 END),
          COUNT(*),
          SUM(CASE WHEN d.registered_on <= %(w5_near)s THEN 1 ELSE 0 END),
          MIN(d.registered_on)
        FROM {t["declaration"]} d
        WHERE d.is_current = %(current)s AND d.enterprise_id BETWEEN %(lo)s AND %(hi)s
          AND d.registered_on BETWEEN %(w5)s AND %(as_of)s
        GROUP BY d.enterprise_id
    """
    for row in _rows(declarations_sql, p):
        (
            pk,
            n12,
            v12,
            v_prev,
            v90,
            n90,
            v_before,
            n_before,
            yellow_red,
            related,
            n5,
            near,
            _first,
        ) = row
        n12, v12, v_prev, v90, v_before = (
            int(n12),
            float(v12),
            float(v_prev),
            float(v90),
            float(v_before),
        )
        f = features[pk]
        f["declarations_12m"] = n12
        f["value_12m"] = v12
        f["value_trend"] = round(v12 / v_prev, 4) if v_prev > 0 else None
        f["value_jump_90d"] = round((v90 / 90) / (v_before / 365), 4) if v_before > 0 else None
        f["count_jump_90d"] = (
            round((int(n90) / 90) / (int(n_before) / 365), 4) if n_before else None
        )
        f["yellow_red_share"] = round(int(yellow_red) / n12, 4) if n12 else None
        f["related_party_share"] = round(float(related) / v12, 4) if v12 > 0 else None
        f["near_window_share"] = round(int(near) / int(n5), 4) if n5 else None
        old_enough = f.get("age_days") is None or f["age_days"] > 455
        f["dormant_then_active"] = 1 if (int(n90) and not int(n_before) and old_enough) else 0

    # The norm of a line: its HS code and origin when that has enough lines,
    # otherwise its HS code over every origin (origin "*").
    norm = (
        "(CASE WHEN n.lines >= %(min_lines)s THEN n.median_unit_value "
        "WHEN a.lines >= %(min_lines)s THEN a.median_unit_value END)"
    )
    lines_sql = f"""
        SELECT d.enterprise_id,
          SUM(CASE WHEN d.registered_on >= %(y1)s THEN l.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s AND {norm} > 0 AND l.quantity > 0
                    AND l.customs_value < %(ratio)s * {norm} * l.quantity
                   THEN l.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s AND {norm} > 0 AND l.quantity > 0
                   THEN l.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s AND {norm} > 0 AND l.quantity > 0
                   THEN {norm} * l.quantity ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s AND l.import_duty_rate IS NOT NULL
                   THEN l.customs_value * (h.max_rate - l.import_duty_rate) ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s AND l.import_duty_rate IS NOT NULL
                   THEN l.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on >= %(y1)s AND l.preference_code <> ''
                   THEN l.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on < %(y1)s THEN l.customs_value ELSE 0 END),
          SUM(CASE WHEN d.registered_on < %(y1)s AND l.preference_code <> ''
                   THEN l.customs_value ELSE 0 END)
        FROM {t["line"]} l
        JOIN {t["declaration"]} d ON d.id = l.declaration_id
        LEFT JOIN {t["norm"]} n ON n.as_of = %(as_of)s AND n.hs_code = l.hs_code
             AND n.origin_country = {ORIGIN}
        LEFT JOIN {t["norm"]} a ON a.as_of = %(as_of)s AND a.hs_code = l.hs_code
             AND a.origin_country = '*'
        LEFT JOIN {t["heading"]} h ON h.as_of = %(as_of)s
             AND h.heading = SUBSTR(l.hs_code, 1, 4)
        WHERE d.is_current = %(current)s AND d.direction = 'import'
          AND d.enterprise_id BETWEEN %(lo)s AND %(hi)s
          AND d.registered_on BETWEEN %(y2)s AND %(as_of)s
        GROUP BY d.enterprise_id
    """
    for row in _rows(lines_sql, p):
        pk, value, under, normed, norm_value, spread, rated, pref, value_prev, pref_prev = (
            float(x or 0) for x in row
        )
        f = features[int(pk)]
        f["undervalued_share"] = round(under / normed, 4) if normed > 0 else None
        f["unit_value_ratio"] = round(normed / norm_value, 4) if norm_value > 0 else None
        f["tariff_spread"] = round(spread / rated, 4) if rated > 0 else None
        share = pref / value if value > 0 else None
        f["preferential_share"] = round(share, 4) if share is not None else None
        if share is not None and value_prev > 0:
            f["preferential_change"] = round(share - pref_prev / value_prev, 4)

    # Origins new to the enterprise: goods value of the last 12 months whose
    # (heading, origin) pair the enterprise did not import in the year before,
    # counted only for headings it did import before. One pass groups the two
    # years of lines by (enterprise, heading, origin); the comparison and the
    # HS chapters traded (for the risk list's filter) are worked out from those
    # groups, a few per enterprise.
    pairs_sql = f"""
        SELECT d.enterprise_id, SUBSTR(l.hs_code, 1, 4), {ORIGIN},
          SUM(CASE WHEN d.registered_on >= %(y1)s AND d.direction = 'import'
                   THEN l.customs_value ELSE 0 END),
          MAX(CASE WHEN d.registered_on < %(y1)s AND d.direction = 'import' THEN 1 ELSE 0 END),
          MAX(CASE WHEN d.registered_on >= %(y1)s THEN 1 ELSE 0 END)
        FROM {t["line"]} l JOIN {t["declaration"]} d ON d.id = l.declaration_id
        WHERE d.is_current = %(current)s AND d.enterprise_id BETWEEN %(lo)s AND %(hi)s
          AND d.registered_on BETWEEN %(y2)s AND %(as_of)s
        GROUP BY d.enterprise_id, SUBSTR(l.hs_code, 1, 4), {ORIGIN}
    """
    groups = defaultdict(list)
    for pk, heading, origin, value, before, recent in _rows(pairs_sql, p):
        groups[pk].append((heading, origin, float(value or 0), bool(before), bool(recent)))
    for pk, rows in groups.items():
        headings_before = {heading for heading, _o, _v, before, _r in rows if before}
        value = sum(v for heading, _o, v, _b, _r in rows if heading in headings_before)
        new_value = sum(
            v for heading, _o, v, before, _r in rows if heading in headings_before and not before
        )
        features[pk]["origin_change_share"] = round(new_value / value, 4) if value > 0 else None
        if chapters is not None:
            chapters[pk] = " ".join(sorted({heading[:2] for heading, _o, _v, _b, r in rows if r}))

    outcomes_sql = f"""
        SELECT d.enterprise_id,
               SUM(CASE WHEN o.violation_found THEN 1 ELSE 0 END),
               SUM(o.additional_tax + o.fine),
               MAX(CASE WHEN o.source = 'audit' THEN o.decided_on END)
        FROM {t["outcome"]} o JOIN {t["declaration"]} d ON d.id = o.declaration_id
        WHERE d.enterprise_id BETWEEN %(lo)s AND %(hi)s
          AND o.decided_on BETWEEN %(w5)s AND %(as_of)s
        GROUP BY d.enterprise_id
    """
    for pk, found, revenue, last_audit in _rows(outcomes_sql, p):
        f = features[pk]
        f["outcome_violations_5y"] = int(found or 0)
        f["outcome_revenue_5y"] = float(revenue or 0)
        if last_audit:
            last_audit = _as_date(last_audit)
            if f.get("_last_audit_on") is None or last_audit > f["_last_audit_on"]:
                f["_last_audit_on"] = last_audit

    violations_sql = f"""
        SELECT v.enterprise_id, COUNT(*), SUM(CASE WHEN v.is_grave THEN 1 ELSE 0 END)
        FROM {t["violation"]} v
        WHERE v.enterprise_id BETWEEN %(lo)s AND %(hi)s
          AND v.decided_on BETWEEN %(w5)s AND %(as_of)s
        GROUP BY v.enterprise_id
    """
    for pk, count, grave in _rows(violations_sql, p):
        features[pk].update(violations_5y=int(count), grave_violations_5y=int(grave or 0))

    debt_sql = f"""
        SELECT t.enterprise_id, t.overdue_amount
        FROM {t["debt"]} t
        WHERE t.enterprise_id BETWEEN %(lo)s AND %(hi)s
          AND t.as_of = (SELECT MAX(t2.as_of) FROM {t["debt"]} t2
                         WHERE t2.enterprise_id = t.enterprise_id AND t2.as_of <= %(as_of)s)
    """
    for pk, overdue in _rows(debt_sql, p):
        features[pk]["overdue_debt"] = float(overdue or 0)

    changes_sql = f"""
        SELECT c.enterprise_id, COUNT(*)
        FROM {t["change"]} c
        WHERE c.enterprise_id BETWEEN %(lo)s AND %(hi)s
          AND c.field IN ('address', 'legal_representative')
          AND c.changed_on BETWEEN %(m24)s AND %(as_of)s
        GROUP BY c.enterprise_id
    """
    for pk, count in _rows(changes_sql, p):
        features[pk]["registry_changes_24m"] = int(count)

    result = {}
    for pk, f in features.items():
        if "_founded_on" not in f:  # rows of enterprises outside the id range cannot occur
            continue
        last_audit = f.pop("_last_audit_on")
        founded_on = f.pop("_founded_on")
        since = last_audit or founded_on
        f["days_since_audit"] = (
            min((as_of - since).days, NEVER_AUDITED_DAYS) if since else NEVER_AUDITED_DAYS
        )
        for name, default in _DEFAULTS.items():
            f.setdefault(name, default)
        result[pk] = {name: f.get(name) for name in FEATURE_NAMES}
    return result


# Counts default to zero when an enterprise has no rows; ratios stay None
# ("cannot be computed"), and a criterion on None never fires.
_DEFAULTS = {
    "declarations_12m": 0,
    "value_12m": 0.0,
    "dormant_then_active": 0,
    "violations_5y": 0,
    "grave_violations_5y": 0,
    "outcome_violations_5y": 0,
    "outcome_revenue_5y": 0.0,
    "overdue_debt": 0.0,
    "registry_changes_24m": 0,
}


def _as_date(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])

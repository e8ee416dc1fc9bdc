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
        _("share of goods value declared under 0.7 × the HS-code norm for its origin"),
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
        # One sort for both norms: per HS code and origin, and per HS code ("*").
        # A plain SELECT (its rows are few) can use parallel workers, which an
        # INSERT … SELECT cannot.
        norm_sql = f"""
            SELECT hs_code, CASE WHEN GROUPING(origin) = 1 THEN '*' ELSE origin END,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY unit_value), COUNT(*)
            FROM (
                SELECT l.hs_code AS hs_code, {ORIGIN} AS origin,
                       (l.customs_value / l.quantity)::float8 AS unit_value
                {base} AND l.quantity > 0
            ) priced
            GROUP BY GROUPING SETS ((hs_code, origin), (hs_code))
        """
        wide_sql = None
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
    if connection.vendor != "postgresql":
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
        SELECT SUBSTR(l.hs_code, 1, 4),
               MAX(l.import_duty_rate), MIN(l.import_duty_rate)
        {base} AND l.import_duty_rate IS NOT NULL
        GROUP BY SUBSTR(l.hs_code, 1, 4)
    """
    with transaction.atomic():
        HsNorm.objects.filter(as_of=as_of).delete()
        HeadingRate.objects.filter(as_of=as_of).delete()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(norm_sql, params)
                HsNorm.objects.bulk_create(
                    [
                        HsNorm(
                            as_of=as_of,
                            hs_code=hs_code,
                            origin_country=origin,
                            median_unit_value=median,
                            lines=lines,
                        )
                        for hs_code, origin, median, lines in cursor.fetchall()
                    ],
                    batch_size=2000,
                )
            else:
                cursor.execute(norm_sql, params)
            if wide_sql:
                cursor.execute(wide_sql, params)
            cursor.execute(heading_sql, params)
            HeadingRate.objects.bulk_create(
                [
                    HeadingRate(as_of=as_of, heading=heading, max_rate=high, min_rate=low)
                    for heading, high, low in cursor.fetchall()
                ],
                batch_size=2000,
            )
            # The value a line is compared with, resolved once per HS code and origin.
            cursor.execute(
                f"""
                UPDATE {t["norm"]} SET reference_value = CASE
                    WHEN lines >= %(min_lines)s THEN median_unit_value
                    ELSE (SELECT a.median_unit_value FROM {t["norm"]} a
                          WHERE a.as_of = %(as_of)s AND a.hs_code = {t["norm"]}.hs_code
                            AND a.origin_country = '*' AND a.lines >= %(min_lines)s)
                    END
                WHERE as_of = %(as_of)s AND origin_country <> '*'
                """,
                {**params, "min_lines": NORM_MIN_LINES},
            )
        # A marker row, so that a date without any priced line is not recomputed
        # by every chunk.
        HeadingRate.objects.get_or_create(
            as_of=as_of, heading="", defaults={"max_rate": 0, "min_rate": 0}
        )
    return HsNorm.objects.filter(as_of=as_of).count()


# -- features -----------------------------------------------------------------
# The raw aggregates of one enterprise, in the order the query returns them.
RAW = (
    "founded_on",
    "last_audit_on",
    "compliance_level",
    "is_aeo",
    # declarations of the 5-year window
    "n12",
    "v12",
    "v_prev",
    "v90",
    "n90",
    "v_before",
    "n_before",
    "yellow_red",
    "related",
    "n5",
    "near",
    # goods lines of two years
    "l_value",
    "l_under",
    "l_normed",
    "l_norm_value",
    "l_spread",
    "l_rated",
    "l_pref",
    "l_value_prev",
    "l_pref_prev",
    "o_value",
    "o_new",
    "chapters",
    # outcomes, VCIS, debt, registry
    "out_found",
    "out_revenue",
    "out_last_audit",
    "violations",
    "grave",
    "overdue",
    "changes",
)


def _select_sql(*, ranged: bool) -> str:
    """One SELECT of the raw aggregates of every enterprise (or of an id range).

    Each subquery is one GROUP BY pass over its table; over the whole population
    the database runs them as hash aggregates, one scan each, which is why the
    nightly run computes all enterprises at once (``stage``) instead of per chunk.
    """
    t = _tables()
    d_range = "AND d.enterprise_id BETWEEN %(lo)s AND %(hi)s" if ranged else ""
    plain_range = "AND {alias}.enterprise_id BETWEEN %(lo)s AND %(hi)s" if ranged else ""
    # Chapters are joined with repeats (one per recent heading and origin) and made
    # distinct in ``derive``: an aggregate with DISTINCT sorts every group.
    if connection.vendor == "postgresql":
        chapters = "string_agg(CASE WHEN recent = 1 THEN SUBSTR(heading, 1, 2) END, ',')"
    else:
        chapters = "group_concat(CASE WHEN recent = 1 THEN SUBSTR(heading, 1, 2) END)"
    # The norm of a line: the median of its HS code and origin when that has
    # enough lines, otherwise of its HS code over every origin (resolved in
    # ``ensure_norms`` as ``reference_value``).
    norm = "n.reference_value"
    recent_import = "d.registered_on >= %(y1)s AND d.direction = 'import'"
    priced = f"{recent_import} AND {norm} > 0 AND l.quantity > 0"
    rated = f"{recent_import} AND l.import_duty_rate IS NOT NULL"
    return f"""
    SELECT e.id, e.founded_on, e.last_audit_on, e.compliance_level,
           CASE WHEN e.is_aeo THEN 1 ELSE 0 END,
           dc.n12, dc.v12, dc.v_prev, dc.v90, dc.n90, dc.v_before, dc.n_before,
           dc.yellow_red, dc.related, dc.n5, dc.near,
           ln.l_value, ln.l_under, ln.l_normed, ln.l_norm_value, ln.l_spread, ln.l_rated,
           ln.l_pref, ln.l_value_prev, ln.l_pref_prev, ln.o_value, ln.o_new, ln.chapters,
           oc.found, oc.revenue, oc.last_audit,
           vi.n, vi.grave, db.overdue, ch.n
    FROM {t["enterprise"]} e
    LEFT JOIN (
        SELECT d.enterprise_id,
          SUM(CASE WHEN d.registered_on >= %(y1)s THEN 1 ELSE 0 END) AS n12,
          SUM(CASE WHEN d.registered_on >= %(y1)s THEN d.customs_value ELSE 0 END) AS v12,
          SUM(CASE WHEN d.registered_on BETWEEN %(y2)s AND %(y1_end)s
                   THEN d.customs_value ELSE 0 END) AS v_prev,
          SUM(CASE WHEN d.registered_on >= %(d90)s THEN d.customs_value ELSE 0 END) AS v90,
          SUM(CASE WHEN d.registered_on >= %(d90)s THEN 1 ELSE 0 END) AS n90,
          SUM(CASE WHEN d.registered_on BETWEEN %(before90_from)s AND %(before90_until)s
                   THEN d.customs_value ELSE 0 END) AS v_before,
          SUM(CASE WHEN d.registered_on BETWEEN %(before90_from)s AND %(before90_until)s
                   THEN 1 ELSE 0 END) AS n_before,
          SUM(CASE WHEN d.registered_on >= %(y1)s AND d.channel IN (2, 3)
                   THEN 1 ELSE 0 END) AS yellow_red,
          SUM(CASE WHEN d.registered_on >= %(y1)s AND d.related_party
                   THEN d.customs_value ELSE 0 END) AS related,
          COUNT(*) AS n5,
          SUM(CASE WHEN d.registered_on <= %(w5_near)s THEN 1 ELSE 0 END) AS near
        FROM {t["declaration"]} d
        WHERE d.is_current = %(current)s {d_range}
          AND d.registered_on BETWEEN %(w5)s AND %(as_of)s
        GROUP BY d.enterprise_id
    ) dc ON dc.enterprise_id = e.id
    LEFT JOIN (
        -- Goods lines grouped by (enterprise, heading, origin), then by enterprise:
        -- the sums add up, and the groups also tell which (heading, origin) pairs
        -- are new against the year before and which HS chapters were traded.
        SELECT enterprise_id,
          SUM(value) AS l_value, SUM(under) AS l_under, SUM(normed) AS l_normed,
          SUM(norm_value) AS l_norm_value, SUM(spread) AS l_spread, SUM(rated) AS l_rated,
          SUM(pref) AS l_pref, SUM(value_prev) AS l_value_prev, SUM(pref_prev) AS l_pref_prev,
          SUM(CASE WHEN heading_before = 1 THEN value ELSE 0 END) AS o_value,
          SUM(CASE WHEN heading_before = 1 AND pair_before = 0 THEN value ELSE 0 END) AS o_new,
          {chapters} AS chapters
        FROM (
          SELECT g.*, MAX(pair_before) OVER (PARTITION BY enterprise_id, heading)
                 AS heading_before
          FROM (
            SELECT d.enterprise_id AS enterprise_id, SUBSTR(l.hs_code, 1, 4) AS heading,
              {ORIGIN} AS origin,
              SUM(CASE WHEN {recent_import} THEN l.customs_value ELSE 0 END) AS value,
              SUM(CASE WHEN {priced} AND l.customs_value < %(ratio)s * {norm} * l.quantity
                       THEN l.customs_value ELSE 0 END) AS under,
              SUM(CASE WHEN {priced} THEN l.customs_value ELSE 0 END) AS normed,
              SUM(CASE WHEN {priced} THEN {norm} * l.quantity ELSE 0 END) AS norm_value,
              SUM(CASE WHEN {rated} THEN l.customs_value * (h.max_rate - l.import_duty_rate)
                       ELSE 0 END) AS spread,
              SUM(CASE WHEN {rated} THEN l.customs_value ELSE 0 END) AS rated,
              SUM(CASE WHEN {recent_import} AND l.preference_code <> ''
                       THEN l.customs_value ELSE 0 END) AS pref,
              SUM(CASE WHEN d.registered_on < %(y1)s AND d.direction = 'import'
                       THEN l.customs_value ELSE 0 END) AS value_prev,
              SUM(CASE WHEN d.registered_on < %(y1)s AND d.direction = 'import'
                        AND l.preference_code <> '' THEN l.customs_value ELSE 0 END) AS pref_prev,
              MAX(CASE WHEN d.registered_on < %(y1)s AND d.direction = 'import'
                       THEN 1 ELSE 0 END) AS pair_before,
              MAX(CASE WHEN d.registered_on >= %(y1)s THEN 1 ELSE 0 END) AS recent
            FROM {t["line"]} l
            JOIN {t["declaration"]} d ON d.id = l.declaration_id
            LEFT JOIN {t["norm"]} n ON n.as_of = %(as_of)s AND n.hs_code = l.hs_code
                 AND n.origin_country = {ORIGIN}
            LEFT JOIN {t["heading"]} h ON h.as_of = %(as_of)s
                 AND h.heading = SUBSTR(l.hs_code, 1, 4)
            WHERE d.is_current = %(current)s {d_range}
              AND d.registered_on BETWEEN %(y2)s AND %(as_of)s
            GROUP BY d.enterprise_id, SUBSTR(l.hs_code, 1, 4), {ORIGIN}
          ) g
        ) w
        GROUP BY enterprise_id
    ) ln ON ln.enterprise_id = e.id
    LEFT JOIN (
        SELECT d.enterprise_id,
               SUM(CASE WHEN o.violation_found THEN 1 ELSE 0 END) AS found,
               SUM(o.additional_tax + o.fine) AS revenue,
               MAX(CASE WHEN o.source = 'audit' THEN o.decided_on END) AS last_audit
        FROM {t["outcome"]} o JOIN {t["declaration"]} d ON d.id = o.declaration_id
        WHERE o.decided_on BETWEEN %(w5)s AND %(as_of)s {d_range}
        GROUP BY d.enterprise_id
    ) oc ON oc.enterprise_id = e.id
    LEFT JOIN (
        SELECT v.enterprise_id, COUNT(*) AS n,
               SUM(CASE WHEN v.is_grave THEN 1 ELSE 0 END) AS grave
        FROM {t["violation"]} v
        WHERE v.decided_on BETWEEN %(w5)s AND %(as_of)s {plain_range.format(alias="v")}
        GROUP BY v.enterprise_id
    ) vi ON vi.enterprise_id = e.id
    LEFT JOIN (
        SELECT enterprise_id, overdue_amount AS overdue FROM (
            SELECT t.enterprise_id, t.overdue_amount,
                   ROW_NUMBER() OVER (PARTITION BY t.enterprise_id ORDER BY t.as_of DESC) AS rn
            FROM {t["debt"]} t
            WHERE t.as_of <= %(as_of)s {plain_range.format(alias="t")}
        ) latest WHERE rn = 1
    ) db ON db.enterprise_id = e.id
    LEFT JOIN (
        SELECT c.enterprise_id, COUNT(*) AS n
        FROM {t["change"]} c
        WHERE c.field IN ('address', 'legal_representative')
          AND c.changed_on BETWEEN %(m24)s AND %(as_of)s {plain_range.format(alias="c")}
        GROUP BY c.enterprise_id
    ) ch ON ch.enterprise_id = e.id
    {"WHERE e.id BETWEEN %(lo)s AND %(hi)s" if ranged else ""}
    """


def _params(as_of: dt.date, first_id: int | None = None, last_id: int | None = None) -> dict:
    return {
        **_windows(as_of),
        "lo": first_id,
        "hi": last_id,
        "current": True,
        "ratio": UNDERVALUE_RATIO,
        "min_lines": NORM_MIN_LINES,
    }


def compute(
    *, as_of: dt.date, first_id: int, last_id: int, chapters: dict | None = None
) -> dict[int, dict]:
    """Features of the enterprises with ``first_id <= id <= last_id`` as of ``as_of``.

    ``ensure_norms(as_of=...)`` must have run. Returns {enterprise id: {name: value}};
    when given, ``chapters`` is filled with {enterprise id: "HS chapters traded in
    the last 12 months"} ("39 84 85").
    """
    rows = _rows(_select_sql(ranged=True), _params(as_of, first_id, last_id))
    result = {}
    for row in rows:
        values, traded = derive(as_of, row[1:])
        result[row[0]] = values
        if chapters is not None:
            chapters[row[0]] = traded
    return result


def stage(*, run_id: int, as_of: dt.date) -> int:
    """Write the raw aggregates of every enterprise for a run into ``FeatureStage``,
    in one statement (whole-table passes); the run's chunks then read them by id."""
    from risk.models import FeatureStage

    pack = "json_build_array" if connection.vendor == "postgresql" else "json_array"
    names = [f"c{index}" for index in range(len(RAW))]
    sql = f"""
        WITH s (c_id, {", ".join(names)}) AS ({_select_sql(ranged=False)})
        INSERT INTO {FeatureStage._meta.db_table} (run_id, enterprise_id, raw)
        SELECT %(run)s, s.c_id, {pack}({", ".join(f"s.{name}" for name in names)}) FROM s
    """
    with transaction.atomic():
        FeatureStage.objects.filter(run_id=run_id).delete()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Compiling this statement's few hundred expressions just in time
                # cost more than it saved (21–27 s against 19 s on the bench data).
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, {**_params(as_of), "run": run_id})
    return FeatureStage.objects.filter(run_id=run_id).count()


def derive(as_of: dt.date, raw) -> tuple[dict, str]:
    """(features, HS chapters traded) from one enterprise's raw aggregates (``RAW`` order)."""
    r = dict(zip(RAW, raw, strict=True))

    def number(name):
        value = r[name]
        return float(value) if value is not None else 0.0

    founded_on = _as_date(r["founded_on"]) if r["founded_on"] else None
    last_audit = _as_date(r["last_audit_on"]) if r["last_audit_on"] else None
    if last_audit and last_audit > as_of:
        last_audit = None  # recorded after the cut-off: not known on that date
    if r["out_last_audit"]:
        audited = _as_date(r["out_last_audit"])
        last_audit = max(audited, last_audit) if last_audit else audited
    age = (as_of - founded_on).days if founded_on else None

    n12, v12, v_prev = number("n12"), number("v12"), number("v_prev")
    v90, n90, v_before, n_before = (number(k) for k in ("v90", "n90", "v_before", "n_before"))
    n5 = number("n5")
    value, normed, norm_value = number("l_value"), number("l_normed"), number("l_norm_value")
    rated, value_prev = number("l_rated"), number("l_value_prev")
    share = number("l_pref") / value if value > 0 else None
    since = last_audit or founded_on
    features = {
        "declarations_12m": int(n12),
        "value_12m": v12,
        "value_trend": _ratio(v12, v_prev),
        "value_jump_90d": _ratio(v90 / 90, v_before / 365) if v_before > 0 else None,
        "count_jump_90d": _ratio(n90 / 90, n_before / 365) if n_before > 0 else None,
        "yellow_red_share": _ratio(number("yellow_red"), n12),
        "undervalued_share": _ratio(number("l_under"), normed),
        "unit_value_ratio": _ratio(normed, norm_value),
        "tariff_spread": _ratio(number("l_spread"), rated),
        "preferential_share": round(share, 4) if share is not None else None,
        "preferential_change": (
            round(share - number("l_pref_prev") / value_prev, 4)
            if share is not None and value_prev > 0
            else None
        ),
        "origin_change_share": _ratio(number("o_new"), number("o_value")),
        "related_party_share": _ratio(number("related"), v12),
        "age_days": age,
        "dormant_then_active": 1 if (n90 and not n_before and (age is None or age > 455)) else 0,
        "violations_5y": int(number("violations")),
        "grave_violations_5y": int(number("grave")),
        "outcome_violations_5y": int(number("out_found")),
        "outcome_revenue_5y": number("out_revenue"),
        "overdue_debt": number("overdue"),
        "registry_changes_24m": int(number("changes")),
        "days_since_audit": (
            min((as_of - since).days, NEVER_AUDITED_DAYS) if since else NEVER_AUDITED_DAYS
        ),
        "near_window_share": _ratio(number("near"), n5),
        "compliance_level": r["compliance_level"],
        "is_aeo": int(r["is_aeo"] or 0),
    }
    traded = " ".join(sorted(set(filter(None, (r["chapters"] or "").split(",")))))
    return features, traded


def _ratio(numerator: float, denominator: float):
    """A ratio rounded to 4 places; None ("cannot be computed") without a denominator.

    Counts default to zero when an enterprise has no rows; ratios stay None, and a
    criterion on None never fires."""
    return round(numerator / denominator, 4) if denominator > 0 else None


def _as_date(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])

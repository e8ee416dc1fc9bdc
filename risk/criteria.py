"""The starting set of risk criteria and how a set of criteria judges one enterprise."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from risk.models import Criterion

# (code, name, description, indicator, operator, threshold, weight, source)
STARTING_SET = [
    (
        "VAL-TREND",
        "Value trend",
        "Customs value of the last 12 months more than 2.5 times the year before.",
        "value_trend",
        "gt",
        2.5,
        1.0,
        "WCO Risk Management Compendium: volume and value trends",
    ),
    (
        "VAL-JUMP",
        "Sudden jump",
        "Daily customs value of the last 90 days more than three times that of the year before.",
        "value_jump_90d",
        "gt",
        3.0,
        1.5,
        "WCO Risk Management Compendium",
    ),
    (
        "CNT-JUMP",
        "Declaration count jump",
        "Declarations per day in the last 90 days more than three times the year before.",
        "count_jump_90d",
        "gt",
        3.0,
        1.0,
        "WCO Risk Management Compendium",
    ),
    (
        "CHANNEL",
        "Yellow and red channel",
        "More than half of the year's declarations went to the yellow or red channel.",
        "yellow_red_share",
        "gt",
        0.5,
        1.0,
        "Circular 81/2019/TT-BTC",
    ),
    (
        "UNDERVAL",
        "Valuation below the HS norm",
        "More than 15 % of the goods value declared under 70 % of the median unit value of the same HS code and origin.",
        "undervalued_share",
        "gt",
        0.15,
        3.0,
        "WCO guidelines: valuation risk",
    ),
    (
        "TARIFF",
        "Tariff spread in a heading",
        "Goods declared on average more than 5 duty points below the highest rate of their HS heading.",
        "tariff_spread",
        "gt",
        5.0,
        1.0,
        "WCO guidelines: classification risk",
    ),
    (
        "PREF",
        "Preferential origin claims",
        "More than 60 % of the goods value claims a preferential origin.",
        "preferential_share",
        "gt",
        0.6,
        0.5,
        "Origin risk",
    ),
    (
        "PREF-RISE",
        "Rise of preferential claims",
        "The preferential share rose by more than 25 points against the year before.",
        "preferential_change",
        "gt",
        0.25,
        1.5,
        "Origin risk",
    ),
    (
        "ORIGIN-NEW",
        "New origins",
        "More than half of the goods value comes from origins the enterprise did not use the year before for the same heading.",
        "origin_change_share",
        "gt",
        0.5,
        1.5,
        "Origin switching",
    ),
    (
        "RELATED",
        "Related-party trade",
        "More than half of the customs value traded with related parties.",
        "related_party_share",
        "gt",
        0.5,
        1.5,
        "Valuation: related parties (WTO Valuation Agreement art. 1.2)",
    ),
    (
        "NEW",
        "Newly founded",
        "Enterprise founded less than a year ago.",
        "age_days",
        "lt",
        365,
        0.5,
        "Circular 81/2019/TT-BTC: risk levels 7–9",
    ),
    (
        "DORMANT",
        "Dormant, then active",
        "Declarations in the last 90 days after none for a year.",
        "dormant_then_active",
        "eq",
        1,
        1.0,
        "National practice",
    ),
    (
        "VIOL",
        "Past violations",
        "At least one VCIS violation record in 5 years.",
        "violations_5y",
        "gte",
        1,
        1.5,
        "Circular 81/2019/TT-BTC",
    ),
    (
        "VIOL-GRAVE",
        "Grave violation",
        "A grave violation in 5 years.",
        "grave_violations_5y",
        "gte",
        1,
        1.5,
        "Circular 81/2019/TT-BTC",
    ),
    (
        "OUTCOME",
        "Past findings",
        "Inspections or audits found a violation at least twice in 5 years.",
        "outcome_violations_5y",
        "gte",
        2,
        1.5,
        "Audit outcomes",
    ),
    (
        "DEBT",
        "Overdue tax debt",
        "Tax debt overdue more than 90 days.",
        "overdue_debt",
        "gt",
        0,
        1.0,
        "Law on Tax Administration",
    ),
    (
        "REGISTRY",
        "Frequent registry changes",
        "Three or more changes of address or legal representative in 24 months.",
        "registry_changes_24m",
        "gte",
        3,
        0.5,
        "National practice",
    ),
    (
        "NO-AUDIT",
        "Long without audit",
        "No post-clearance audit for more than 3 years.",
        "days_since_audit",
        "gt",
        1095,
        0.5,
        "Customs Law art. 78",
    ),
    (
        "WINDOW",
        "Near the 5-year window",
        "More than 15 % of the 5-year window's declarations leave it within 6 months.",
        "near_window_share",
        "gt",
        0.15,
        0.5,
        "Customs Law art. 77",
    ),
]

STARTING_DATE = dt.date(2020, 1, 1)


def load_starting_set(*, effective_from: dt.date = STARTING_DATE) -> int:
    """Create version 1 of every starting criterion that does not exist yet
    (idempotent: an existing code, whatever its version, is left alone)."""
    created = 0
    for code, name, description, indicator, operator, threshold, weight, source in STARTING_SET:
        if Criterion.objects.filter(code=code).exists():
            continue
        Criterion.objects.create(
            code=code,
            version=1,
            name=name,
            description=description,
            indicator=indicator,
            operator=operator,
            threshold=threshold,
            weight=weight,
            legal_basis=source,
            effective_from=effective_from,
        )
        created += 1
    return created


def effective_on(as_of: dt.date):
    """The criterion versions in force on ``as_of`` (every unit scope)."""
    return (
        Criterion.objects.filter(is_active=True, effective_from__lte=as_of)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gt=as_of))
        .select_related("unit")
        .order_by("code", "version")
    )


def applies(criterion: Criterion, unit_path: str | None) -> bool:
    if criterion.unit_id is None:
        return True
    return bool(unit_path) and unit_path.startswith(criterion.unit.path)


_OPERATORS = {
    "gt": lambda value, threshold: value > threshold,
    "gte": lambda value, threshold: value >= threshold,
    "lt": lambda value, threshold: value < threshold,
    "lte": lambda value, threshold: value <= threshold,
    "eq": lambda value, threshold: value == threshold,
}


class Judge:
    """The criteria in force, prepared once per run: for each unit, the criteria
    that apply to it, their total weight and the versions applied."""

    def __init__(self, criteria):
        self.criteria = list(criteria)
        self._by_unit: dict = {}

    def _for(self, unit_path):
        if unit_path not in self._by_unit:
            applying = [c for c in self.criteria if applies(c, unit_path)]
            prepared = [
                (
                    c,
                    _OPERATORS[c.operator],
                    {
                        "code": c.code,
                        "id": c.pk,
                        "version": c.version,
                        "name": c.name,
                        "indicator": c.indicator,
                        "operator": str(c.get_operator_display()),
                        "threshold": c.threshold,
                        "weight": c.weight,
                    },
                )
                for c in applying
            ]
            versions = {c.code: {"id": c.pk, "version": c.version} for c in applying}
            total = sum(c.weight for c in applying)
            self._by_unit[unit_path] = (prepared, versions, total)
        return self._by_unit[unit_path]

    def __call__(self, features: dict, unit_path: str | None):
        """(criteria score 0–1, criteria fired with their values, versions applied).

        The score is the weight of the criteria that fired over the weight of all
        criteria that apply to the enterprise's unit."""
        prepared, versions, total = self._for(unit_path)
        fired = []
        fired_weight = 0.0
        for criterion, test, facts in prepared:
            value = features.get(criterion.indicator)
            if value is not None and test(value, criterion.threshold):
                fired_weight += criterion.weight
                fired.append({**facts, "value": value})
        return (fired_weight / total if total else 0.0), fired, dict(versions)


def judge(features: dict, criteria, unit_path: str | None) -> tuple[float, list[dict], dict]:
    """One enterprise against ``criteria`` (see ``Judge``)."""
    return Judge(criteria)(features, unit_path)

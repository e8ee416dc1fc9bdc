"""Indicators computed in the database, as of a date."""

import datetime as dt
from decimal import Decimal

from enterprises.models import RegistryChange, TaxDebt, Violation
from risk import features
from tests.factories import EnterpriseFactory
from tests.risk.factories import AS_OF, enterprises, ordinary_trade, outcome, trade


def _features(enterprise, as_of=AS_OF):
    features.ensure_norms(as_of=as_of, rebuild=True)
    return features.compute(as_of=as_of, first_id=enterprise.pk, last_id=enterprise.pk)[
        enterprise.pk
    ]


def test_a_line_at_half_the_norm_counts_as_undervalued(world):
    for peer in enterprises(world.team_b, 6):
        trade(peer, days_ago=40, value=100_000_000, quantity=100)
    cheap = EnterpriseFactory(managing_unit=world.team_a)
    trade(cheap, days_ago=20, value=50_000_000, quantity=100)
    trade(cheap, days_ago=25, value=100_000_000, quantity=100)

    values = _features(cheap)

    # A third of its goods value (one line of two, the cheaper) is at half the median.
    assert values["undervalued_share"] == 0.3333
    assert values["declarations_12m"] == 2
    assert values["value_12m"] == 150_000_000


def test_channels_related_parties_debt_and_registry_changes(world):
    enterprise = EnterpriseFactory(managing_unit=world.team_a)
    trade(enterprise, days_ago=10, channel=3, related_party=True, value=300_000_000)
    trade(enterprise, days_ago=20, channel=2)
    trade(enterprise, days_ago=30, channel=1)
    trade(enterprise, days_ago=40, channel=1)
    TaxDebt.objects.create(
        enterprise=enterprise, as_of=AS_OF - dt.timedelta(days=5), amount=9, overdue_amount=7
    )
    for days in (10, 100, 200):
        RegistryChange.objects.create(
            enterprise=enterprise,
            field=RegistryChange.Field.ADDRESS,
            new_value=f"{days} Lê Lợi",
            changed_on=AS_OF - dt.timedelta(days=days),
        )

    values = _features(enterprise)

    assert values["yellow_red_share"] == 0.5
    assert values["related_party_share"] == 0.5
    assert values["overdue_debt"] == 7
    assert values["registry_changes_24m"] == 3


def test_nothing_after_the_cut_off_date_is_read(world):
    enterprise = EnterpriseFactory(managing_unit=world.team_a, founded_on=dt.date(2015, 1, 1))
    past = trade(enterprise, days_ago=100)
    outcome(past, found=True, days_after=10)
    later = trade(enterprise, days_ago=-30)  # a month after the cut-off
    outcome(later, found=True, days_after=1)
    Violation.objects.create(
        reference="V-LATER",
        enterprise=enterprise,
        kind=Violation.Kind.VIOLATION,
        decided_on=AS_OF + dt.timedelta(days=3),
    )
    enterprise.last_audit_on = AS_OF + dt.timedelta(days=10)
    enterprise.save()

    values = _features(enterprise)

    assert values["declarations_12m"] == 1
    assert values["outcome_violations_5y"] == 1
    assert values["violations_5y"] == 0
    # The audit after the cut-off is ignored: days since founding count instead.
    assert values["days_since_audit"] == features.NEVER_AUDITED_DAYS


def test_a_jump_in_the_last_90_days(world):
    enterprise = EnterpriseFactory(managing_unit=world.team_a)
    ordinary_trade(enterprise, declarations=4, value=Decimal(100_000_000))
    for days in (5, 10, 15, 20, 25, 30):
        trade(enterprise, days_ago=days, value=400_000_000)

    values = _features(enterprise)

    assert values["value_jump_90d"] > 3
    assert values["count_jump_90d"] > 3


def test_goods_from_an_origin_not_used_the_year_before(world):
    enterprise = EnterpriseFactory(managing_unit=world.team_a)
    trade(enterprise, days_ago=400, origin="CN")
    trade(enterprise, days_ago=30, origin="TH", preference="AJ", value=300_000_000)
    trade(enterprise, days_ago=60, origin="CN")

    values = _features(enterprise)

    assert values["origin_change_share"] == 0.75
    assert values["preferential_share"] == 0.75

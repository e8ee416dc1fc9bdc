import pytest

from risk.models import ClassPolicy
from tests.risk.factories import enterprises, ordinary_trade, trade


@pytest.fixture
def market(world):
    """Ten enterprises in each of units A and B: a few risky ones, the rest ordinary.

    Risky: in A the first three undervalue (half the norm price) and trade with
    related parties; in B the first two jump in volume and go to the red channel.
    """
    ClassPolicy.objects.create(unit=None, audit_share=0.3, monitoring_share=0.2)
    in_a = enterprises(world.team_a, 10)
    in_b = enterprises(world.team_b, 10)
    for enterprise in in_a + in_b:
        ordinary_trade(enterprise)
    for enterprise in in_a[:3]:
        for days in (10, 20, 30):
            trade(enterprise, days_ago=days, quantity=200, related_party=True)
    for enterprise in in_b[:2]:
        for days in (3, 6, 9, 12, 15, 18):
            trade(enterprise, days_ago=days, value=300_000_000, channel=3)
    return {"a": in_a, "b": in_b}

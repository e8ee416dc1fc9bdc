"""Hit rate and revenue of criterion versions from outcomes after the score date."""

from django.urls import reverse
from django.utils.translation import gettext

from risk import scoring, selectors
from risk.models import EnterpriseScore
from tests.risk.factories import AS_OF, outcome, trade


def test_hit_rate_and_revenue_come_from_later_outcomes_of_selected_enterprises(world, market):
    run = scoring.execute(run_id=scoring.run_for(as_of=AS_OF).pk)
    undervaluing = market["a"][:3]
    assert all(
        EnterpriseScore.objects.get(run=run, enterprise=enterprise).klass == "audit"
        for enterprise in undervaluing
    )
    # After the score date an audit finds a violation at two of the three.
    for enterprise, found in zip(undervaluing, (True, True, False), strict=True):
        declaration = trade(enterprise, days_ago=60)
        outcome(declaration, found=found, days_after=90, source="audit", tax=5_000_000)
    # An outcome before the score date does not count.
    outcome(trade(market["a"][3], days_ago=200), found=True, days_after=1)

    rows = {row["criterion"].code: row for row in selectors.criterion_feedback()}

    assert rows["UNDERVAL"]["selected"] == 3
    assert rows["UNDERVAL"]["checked"] == 3
    assert rows["UNDERVAL"]["found"] == 2
    assert rows["UNDERVAL"]["revenue"] == 10_000_000
    assert not rows["UNDERVAL"]["needs_review"]
    page = world.client("department_head").get(reverse("risk:feedback"))
    assert "UNDERVAL v1" in page.content.decode()


def test_a_criterion_that_stops_finding_anything_is_flagged(world, market, monkeypatch):
    monkeypatch.setattr(selectors, "REVIEW_MIN_CHECKED", 3)
    run = scoring.execute(run_id=scoring.run_for(as_of=AS_OF).pk)
    for enterprise in market["a"][:3]:
        assert EnterpriseScore.objects.get(run=run, enterprise=enterprise).klass == "audit"
        outcome(trade(enterprise, days_ago=60), found=False, days_after=90, source="audit")

    rows = {row["criterion"].code: row for row in selectors.criterion_feedback()}

    assert rows["UNDERVAL"]["checked"] == 3
    assert rows["UNDERVAL"]["needs_review"]
    page = world.client("department_head").get(reverse("risk:feedback"))
    assert gettext("review") in page.content.decode()

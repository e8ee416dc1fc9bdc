"""On generated data with planted risky enterprises, the audit class catches them
far above random; the enterprise back-test runs on the same data."""

import csv
import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from enterprises.models import PlantedRisk
from risk.models import Backtest, EnterpriseScore, RiskModel, ScoringRun
from stq02.models import Role, Unit
from tests.factories import UserFactory


@pytest.fixture
def generated(db):
    call_command("generate_data", seed=11, enterprises=400, lines=30000, no_users=True)
    # The demo step approves models; the planted-risk check measures the criteria alone.
    RiskModel.objects.update(status=RiskModel.Status.RETIRED)
    return timezone.localdate() - dt.timedelta(days=1)


def test_planted_risks_are_caught_far_above_random(generated, capsys):
    call_command("score_all", "--as-of", generated.isoformat())
    run = ScoringRun.objects.get(as_of=generated)
    scores = EnterpriseScore.objects.filter(run=run)
    planted = set(PlantedRisk.objects.values_list("enterprise_id", flat=True))
    chosen = set(
        scores.filter(klass=EnterpriseScore.Klass.AUDIT, is_random=False).values_list(
            "enterprise_id", flat=True
        )
    )

    base_rate = len(planted) / scores.count()
    precision = len(chosen & planted) / len(chosen)
    recall = len(chosen & planted) / len(planted)
    with capsys.disabled():
        print(
            f"\nplanted {len(planted)}/{scores.count()} (random precision {base_rate:.3f}); "
            f"audit quota {len(chosen)}: precision {precision:.3f}, recall {recall:.3f}"
        )
    assert precision >= 4 * base_rate
    # The quota (5 %) is smaller than the planted share (about 7 %): recall is bounded.
    assert recall >= 0.3


def test_the_enterprise_backtest_writes_tax_codes_scores_and_classes(generated, tmp_path, client):
    output = tmp_path / "enterprises.csv"
    train_until = generated - dt.timedelta(days=365)
    call_command(
        "risk_backtest",
        "--target=enterprises",
        f"--train-until={train_until}",
        f"--test-from={train_until + dt.timedelta(days=1)}",
        f"--test-until={generated}",
        f"--output={output}",
    )
    with output.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["tax_code", "score", "class"]
    assert {row["class"] for row in rows} == {"audit", "monitoring", "not_audited"}
    scores = [float(row["score"]) for row in rows]
    assert scores == sorted(scores, reverse=True)

    backtest = Backtest.objects.get(output_file=str(output))
    officer = UserFactory(role=Role.OFFICER, unit=Unit.objects.get(kind=Unit.Kind.CENTRAL))
    client.force_login(officer)
    page = client.get(reverse("risk:backtest-detail", args=[backtest.pk]))
    assert "criteria only" in page.content.decode()

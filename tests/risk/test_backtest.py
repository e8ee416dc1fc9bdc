"""The declaration back-test on a slice of the KCS data set, imported as an operator would."""

import csv
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from risk.models import Backtest

KCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "kcs"


def _slice(source: Path, target: Path, rows: int) -> None:
    with source.open() as handle:
        lines = [next(handle) for _ in range(rows + 1)]
    target.write_text("".join(lines))


@pytest.fixture
def kcs_slice(db, tmp_path):
    train, valid = tmp_path / "train.csv", tmp_path / "valid.csv"
    _slice(KCS / "df_syn_train_eng.csv", train, 3000)
    _slice(KCS / "df_syn_valid_eng.csv", valid, 600)
    call_command("import_data", "kcs", str(train), str(valid), quiet_progress=True)
    return tmp_path


def test_declaration_backtest_trains_before_the_cut_off_and_scores_after_it(kcs_slice, capsys):
    output = kcs_slice / "scores.csv"
    call_command(
        "risk_backtest",
        "--target=declarations",
        "--train-until=2020-12-31",
        "--test-from=2021-01-01",
        "--test-until=2021-03-31",
        f"--output={output}",
    )
    printed = capsys.readouterr().out

    with output.open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["declaration_number", "score"]
    assert len(rows) == 601
    backtest = Backtest.objects.get()
    assert backtest.test_rows == 600
    # The slice of training rows is dated 2020 only.
    assert backtest.training_rows == 3000
    assert {"hgb", "lightgbm", "lightgbm-raw"} <= set(backtest.results)
    # Every other entry measures the same estimators on the declarations that copy
    # no training line.
    assert all(
        kind.split(",")[0] in {"hgb", "lightgbm", "lightgbm-raw"} for kind in backtest.results
    )
    p_at_5 = backtest.results["hgb"][2]
    assert p_at_5["n"] == 5
    assert p_at_5["precision"] > backtest.base_rate
    assert re.search(r"\[hgb\]\n +n % +selected +P@n +R@n", printed)

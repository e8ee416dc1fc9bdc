"""Leakage checks of the declaration model on a sample of the KCS data set.

Shuffled training labels (same features) must give a precision at the base rate
on the later rows: if a shuffled model still found fraud, the features would be
reading the scored rows' own outcomes. The real labels must do better, and the
back-test must tell apart the later rows that copy a training line."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk import backtest, kcs, learning, metrics

KCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "kcs"


@pytest.fixture(scope="module")
def sample():
    train = kcs.read(KCS / "df_syn_train_eng.csv").sample(4000, random_state=1)
    later = kcs.read(KCS / "df_syn_valid_eng.csv").sample(2000, random_state=1)
    return train.reset_index(drop=True), later.reset_index(drop=True)


def _precision_at_10(train, labels, later) -> float:
    model = learning.train(featurizer=learning.DeclarationFeaturizer(), frame=train, target=labels)
    rows = metrics.at_n(model.predict(later), later["label"], levels=(10,))
    return rows[0]["precision"]


def test_shuffled_training_labels_find_fraud_no_better_than_chance(sample):
    train, later = sample
    base_rate = later["label"].mean()
    shuffled = pd.Series(np.random.default_rng(7).permutation(train["label"].to_numpy()))

    assert abs(_precision_at_10(train, shuffled, later) - base_rate) < 0.08
    assert _precision_at_10(train, train["label"], later) > base_rate + 0.15


def test_the_backtest_recognises_later_lines_copied_from_training(sample):
    train, later = sample
    copied = later.iloc[:3].assign(number=["X1", "X2", "X3"])
    copied.loc[copied.index[2], "value"] += 1  # one value changed: no longer a copy
    train = pd.concat([train, later.iloc[:3]])
    assert backtest.repeated_declarations(train, copied) >= {"X1", "X2"}
    assert "X3" not in backtest.repeated_declarations(train.iloc[:-1], copied.iloc[2:])

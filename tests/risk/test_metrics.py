"""Precision@n %, Recall@n % and revenue@n % on a small hand-built set."""

import math
import random

from risk import metrics


def test_metrics_match_a_count_done_by_hand():
    rng = random.Random(7)
    rows = [
        {"score": rng.random(), "fraud": rng.random() < 0.3, "revenue": rng.randint(0, 9) * 1000}
        for _ in range(200)
    ]
    for row in rows:
        if not row["fraud"]:
            row["revenue"] = 0

    result = metrics.at_n(
        [row["score"] for row in rows],
        [int(row["fraud"]) for row in rows],
        [row["revenue"] for row in rows],
    )

    ranked = sorted(rows, key=lambda row: row["score"], reverse=True)
    frauds = sum(row["fraud"] for row in rows)
    revenue = sum(row["revenue"] for row in rows)
    for row, n in zip(result, (1, 2, 5, 10), strict=True):
        top = ranked[: math.ceil(200 * n / 100)]
        assert row["n"] == n
        assert row["selected"] == len(top)
        assert row["precision"] == sum(item["fraud"] for item in top) / len(top)
        assert row["recall"] == sum(item["fraud"] for item in top) / frauds
        assert row["revenue"] == sum(item["revenue"] for item in top) / revenue
        assert row["random_precision"] == frauds / 200
        assert row["random_recall"] == n / 100


def test_a_perfect_ranking_and_a_small_set():
    # Ten rows, two frauds on top: the top 10 % is one row (at least one is taken).
    result = metrics.at_n([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], [1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert [(row["selected"], row["precision"], row["recall"]) for row in result] == [
        (1, 1.0, 0.5),
        (1, 1.0, 0.5),
        (1, 1.0, 0.5),
        (1, 1.0, 0.5),
    ]
    assert result[0]["revenue"] is None  # no revenue column

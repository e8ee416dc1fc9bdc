"""Precision@n %, Recall@n % and revenue@n % (definitions in docs/risk.md).

Rank the scored rows by score, highest first, and take the top ``ceil(n % × N)``
rows (ties broken by the given order, so a result can be reproduced):

* Precision@n % = frauds among the selected rows / selected rows;
* Recall@n %    = frauds among the selected rows / all frauds;
* revenue@n %   = revenue (additional tax + fine) of the selected rows / all revenue.

Random selection of the same size has expected precision = base rate, recall and
revenue share = n %.
"""

import math

import numpy as np

LEVELS = (1, 2, 5, 10)


def top_count(total: int, percent: float) -> int:
    return max(1, math.ceil(total * percent / 100)) if total else 0


def at_n(scores, labels, revenue=None, *, levels=LEVELS) -> list[dict]:
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=float)
    revenue = np.zeros_like(scores) if revenue is None else np.asarray(revenue, dtype=float)
    # A stable sort on -score keeps the input order among ties.
    order = np.argsort(-scores, kind="stable")
    total_frauds = labels.sum()
    total_revenue = revenue.sum()
    base_rate = labels.mean() if len(labels) else 0.0
    rows = []
    for n in levels:
        k = top_count(len(scores), n)
        chosen = order[:k]
        frauds = labels[chosen].sum()
        rows.append(
            {
                "n": n,
                "selected": k,
                "precision": frauds / k if k else 0.0,
                "recall": frauds / total_frauds if total_frauds else 0.0,
                "revenue": revenue[chosen].sum() / total_revenue if total_revenue else None,
                "random_precision": float(base_rate),
                "random_recall": n / 100,
                "random_revenue": n / 100 if total_revenue else None,
            }
        )
    return rows


def format_table(rows: list[dict], *, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'n %':>4} {'selected':>8} {'P@n':>7} {'R@n':>7} {'rev@n':>7}   random P/R")
    for row in rows:
        revenue = "-" if row["revenue"] is None else f"{row['revenue']:.3f}"
        lines.append(
            f"{row['n']:>4} {row['selected']:>8} {row['precision']:>7.3f} {row['recall']:>7.3f}"
            f" {revenue:>7}   {row['random_precision']:.3f}/{row['random_recall']:.3f}"
        )
    return "\n".join(lines)

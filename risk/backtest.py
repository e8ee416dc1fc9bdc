"""Back-tests: train on outcomes up to a date, score the period after it, measure.

Declarations: the model is trained on the goods lines of declarations registered
up to ``train_until`` whose outcome was decided up to ``train_until``; it scores
every declaration registered in the test period (a declaration's score is the
highest of its lines) and is measured on those with an outcome.

Enterprises: features as of ``train_until − horizon`` learn the violations found
in ``(train_until − horizon, train_until]``; features as of the day before the
test period are scored (criteria + model, as the nightly run combines them) and
measured against the violations found in the test period. The horizon is the
length of the test period.
"""

from __future__ import annotations

import csv
import datetime as dt
import time

import numpy as np
import pandas as pd

from enterprises.models import Enterprise
from risk import criteria as criteria_module
from risk import datasets, learning, metrics
from risk.models import Backtest, ClassPolicy, EnterpriseScore
from risk.scoring import model_weight, policy_for, random_share, select
from stq02.models import Unit

DECLARATION_ESTIMATORS = ("hgb", "lightgbm")
ENTERPRISE_ESTIMATORS = ("hgb", "lightgbm")


def _lightgbm_raw(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The plain baseline: LightGBM on the raw columns (ids and categories as
    integer codes learned on the training rows, numbers as they are), without
    the risk encodings."""
    import lightgbm

    columns = [
        *learning.ID_COLUMNS,
        *learning.CATEGORY_COLUMNS,
    ]
    train_matrix = pd.DataFrame(index=train.index)
    test_matrix = pd.DataFrame(index=test.index)
    for column in columns:
        values = (
            train[column].fillna("").astype(str)
            if column in train
            else pd.Series("", index=train.index)
        )
        codes = {value: index for index, value in enumerate(sorted(values.unique()))}
        train_matrix[column] = values.map(codes).astype(float)
        other = (
            test[column].fillna("").astype(str)
            if column in test
            else pd.Series("", index=test.index)
        )
        test_matrix[column] = other.map(codes).astype(float)
    for column in learning.NUMERIC_COLUMNS:
        train_matrix[column] = train[column].astype(float)
        test_matrix[column] = test[column].astype(float)
    estimator = lightgbm.LGBMClassifier(
        n_estimators=400, learning_rate=0.05, num_leaves=31, random_state=0, verbose=-1, n_jobs=1
    )
    estimator.fit(train_matrix.to_numpy(), train["label"].astype(int))
    return estimator.predict_proba(test_matrix.to_numpy())[:, 1]


def score_declarations(
    train: pd.DataFrame, test: pd.DataFrame, *, estimators=DECLARATION_ESTIMATORS
):
    """{estimator name: (model, line scores of ``test``)} for each estimator,
    and the raw-column LightGBM baseline (model None)."""
    results = {}
    featurizer = learning.DeclarationFeaturizer()
    matrix = learning.usable(featurizer.fit_transform(train, train["label"]))
    test_matrix = featurizer.transform(test)[list(matrix.columns)]
    for kind in estimators:
        estimator = learning.make_estimator(kind)
        with learning.threads():
            estimator.fit(matrix, train["label"].astype(int))
        trained = learning.TrainedModel(
            featurizer=featurizer,
            estimator=estimator,
            feature_names=list(matrix.columns),
            baseline={name: learning._plain(value) for name, value in matrix.median().items()},
        )
        results[kind] = (trained, trained.predict_matrix(test_matrix))
    results["lightgbm-raw"] = (None, _lightgbm_raw(train, test))
    return results


# A goods line "repeated from training" has the HS code, origin, quantity and value
# of a training line, all exactly equal. Rare in real declarations (other than
# repeat shipments); in the KCS synthetic data 83 % of the validation lines are
# such copies and carry their training line's label, so a score on them measures
# memory, not risk (docs/risk.md, "KCS figures").
REPEAT_KEY = ("hs6", "origin", "mass_kg", "value")
NOVEL = "declarations with no line repeated from training"


def repeated_declarations(train: pd.DataFrame, test: pd.DataFrame) -> set:
    """Numbers of the test declarations with at least one line whose
    ``REPEAT_KEY`` columns equal those of a training line."""
    if train.empty or test.empty:
        return set()
    key = list(REPEAT_KEY)
    seen = pd.MultiIndex.from_frame(train[key].astype(str))
    inside = pd.MultiIndex.from_frame(test[key].astype(str)).isin(seen)
    return set(test.loc[inside, "number"])


def run_declarations(
    *, train_until: dt.date, test_from: dt.date, test_until: dt.date, output, log=print
) -> Backtest:
    began = time.monotonic()
    train = datasets.labelled_declarations(
        registered_from=None, registered_until=train_until, decided_until=train_until
    )
    test = datasets.labelled_declarations(
        registered_from=test_from, registered_until=test_until, decided_until=None
    )
    if train.empty or test.empty:
        raise ValueError("no declarations in the training or the test period")
    train = train[train["label"].notna()].reset_index(drop=True)
    log(f"training lines: {len(train):,} (fraud rate {train['label'].mean():.3f})")
    results = score_declarations(train, test)

    # One row per declaration: its highest line score.
    per_declaration = {}
    for kind, (_model, scores) in results.items():
        frame = test.assign(score=scores)
        per_declaration[kind] = frame.groupby("number").agg(
            score=("score", "max"), label=("label", "max"), revenue=("revenue", "max")
        )
    chosen = per_declaration[DECLARATION_ESTIMATORS[0]]
    with open(output, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["declaration_number", "score"])
        for number, row in chosen.sort_values("score", ascending=False).iterrows():
            writer.writerow([number, f"{row['score']:.6f}"])

    measured = {}
    repeated = repeated_declarations(train, test)
    for kind, frame in per_declaration.items():
        labelled = frame[frame["label"].notna()].sort_index()
        measured[kind] = metrics.at_n(
            labelled["score"], labelled["label"], labelled["revenue"].fillna(0)
        )
        novel = labelled[~labelled.index.isin(repeated)]
        if len(novel) and len(novel) < len(labelled):
            measured[f"{kind}, {NOVEL}"] = metrics.at_n(
                novel["score"], novel["label"], novel["revenue"].fillna(0)
            )
    labelled = chosen[chosen["label"].notna()]
    backtest = Backtest.objects.create(
        target=Backtest.Target.DECLARATIONS,
        train_until=train_until,
        test_from=test_from,
        test_until=test_until,
        training_rows=len(train),
        test_rows=len(labelled),
        base_rate=float(labelled["label"].mean()) if len(labelled) else 0.0,
        results=measured,
        output_file=str(output),
        duration_seconds=time.monotonic() - began,
    )
    return backtest


def _combined(frame: pd.DataFrame, model_scores, as_of: dt.date, units: dict) -> pd.Series:
    """Criteria score combined with the model score, as the nightly run does."""
    criteria = criteria_module.Judge(criteria_module.effective_on(as_of))
    paths = dict(Unit.objects.values_list("pk", "path"))
    weight = model_weight()
    combined = {}
    for (pk, row), model_score in zip(frame.iterrows(), model_scores, strict=True):
        values = {name: (None if pd.isna(value) else value) for name, value in row.items()}
        criteria_score, _fired, _versions = criteria(values, paths.get(units.get(pk)))
        combined[pk] = (1 - weight) * criteria_score + weight * float(model_score)
    return pd.Series(combined)


def run_enterprises(
    *, train_until: dt.date, test_from: dt.date, test_until: dt.date, output, log=print
) -> Backtest:
    began = time.monotonic()
    horizon = dt.timedelta(days=(test_until - test_from).days + 1)
    train_as_of = train_until - horizon
    train = datasets.enterprise_features(as_of=train_as_of)
    train_labels = datasets.enterprise_labels(
        decided_from=train_as_of + dt.timedelta(days=1), decided_until=train_until
    )
    train_target = train_labels["label"].reindex(train.index).fillna(0).astype(int)
    score_as_of = test_from - dt.timedelta(days=1)
    test = datasets.enterprise_features(as_of=score_as_of)
    test_labels = datasets.enterprise_labels(decided_from=test_from, decided_until=test_until)
    target = test_labels["label"].reindex(test.index).fillna(0).astype(int)
    revenue = test_labels["revenue"].reindex(test.index).fillna(0.0)
    log(
        f"enterprises: {len(train):,} trained (positives {int(train_target.sum())}), {len(test):,} scored"
    )

    units = dict(Enterprise.objects.values_list("pk", "managing_unit_id"))
    featurizer = learning.IdentityFeaturizer(train.columns)
    measured = {}
    combined = None
    for kind in ENTERPRISE_ESTIMATORS:
        if train_target.nunique() < 2:
            break
        trained = learning.train(
            featurizer=featurizer, frame=train, target=train_target, estimator_kind=kind
        )
        model_scores = trained.predict(test)
        measured[f"{kind} (model only)"] = metrics.at_n(model_scores, target, revenue)
        scores = _combined(test, model_scores, score_as_of, units)
        measured[f"{kind} + criteria"] = metrics.at_n(scores.reindex(test.index), target, revenue)
        if combined is None:
            combined = scores
    criteria_only = _combined(test, np.zeros(len(test)), score_as_of, units) / max(
        1e-9, 1 - model_weight()
    )
    measured["criteria only"] = metrics.at_n(criteria_only.reindex(test.index), target, revenue)
    if combined is None:
        combined = criteria_only

    classes = _classes(combined, units, seed=score_as_of.isoformat())
    tax_codes = dict(Enterprise.objects.values_list("pk", "tax_code"))
    with open(output, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tax_code", "score", "class"])
        for pk, value in combined.sort_values(ascending=False).items():
            writer.writerow([tax_codes[pk], f"{value:.6f}", classes[pk]])
    return Backtest.objects.create(
        target=Backtest.Target.ENTERPRISES,
        train_until=train_until,
        test_from=test_from,
        test_until=test_until,
        training_rows=len(train),
        test_rows=len(test),
        base_rate=float(target.mean()) if len(target) else 0.0,
        results=measured,
        output_file=str(output),
        duration_seconds=time.monotonic() - began,
    )


def _classes(scores: pd.Series, units: dict, *, seed: str) -> dict:
    policies = {policy.unit_id: policy for policy in ClassPolicy.objects.all()}
    paths = dict(Unit.objects.values_list("pk", "path"))
    by_unit = {}
    for pk, value in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        by_unit.setdefault(units.get(pk), []).append((pk, value))
    classes = dict.fromkeys(scores.index, EnterpriseScore.Klass.NOT_AUDITED.value)
    for unit_id, ranked in by_unit.items():
        by_score, drawn, monitoring = select(
            ranked, policy_for(unit_id, policies, paths), seed=seed, share=random_share()
        )
        for pk in [*by_score, *drawn]:
            classes[pk] = EnterpriseScore.Klass.AUDIT.value
        for pk in monitoring:
            classes[pk] = EnterpriseScore.Klass.MONITORING.value
    return classes


def format_result(backtest: Backtest) -> str:
    parts = [
        f"Back-test {backtest.target}: trained on outcomes up to {backtest.train_until}, "
        f"tested {backtest.test_from} .. {backtest.test_until}; {backtest.training_rows:,} "
        f"training rows, {backtest.test_rows:,} test rows, base rate {backtest.base_rate:.3f}"
    ]
    for kind, rows in backtest.results.items():
        parts.append(metrics.format_table(rows, title=f"\n[{kind}]"))
    return "\n".join(parts)

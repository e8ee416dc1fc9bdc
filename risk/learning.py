"""Learning from outcomes: the feature encoders and estimators of the risk models.

Everything here works on pandas frames, so that the same code trains on the
declarations in the database (``risk.datasets``) and, for development and the
published comparison, on the KCS CSV files (``risk.kcs``).

Leakage is the main danger of a risk model trained on outcomes. The rules kept:

* every encoding (target/risk encoding of importer, declarant, seller, HS code…,
  price norms, frequencies) is fitted on training rows only and stored inside
  the artefact, so a scored row never sees its own or a later outcome;
* on the training rows themselves the target encodings are computed out of fold
  (K folds), so the estimator learns from encodings as noisy as the ones it will
  meet on unseen rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math

import joblib
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

# Canonical columns of a declaration frame (one row = one goods line or one
# declaration). Missing columns are allowed: they become constants.
ID_COLUMNS = ("importer", "declarant", "seller", "courier", "office", "hs6", "origin", "departure")
CATEGORY_COLUMNS = (
    "process_type",
    "import_type",
    "import_use",
    "payment_type",
    "transport_mode",
    "tax_type",
    "origin_indicator",
)
NUMERIC_COLUMNS = ("tax_rate", "mass_kg", "value")
# Pairs whose joint history says more than either alone (an importer's record
# with one HS code, a seller with one origin…).
PAIR_COLUMNS = (
    ("importer", "hs6"),
    ("importer", "declarant"),
    ("importer", "seller"),
    ("seller", "origin"),
    ("declarant", "hs6"),
    ("hs6", "origin"),
    ("office", "hs6"),
)


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Derived key columns (HS chapter/heading, pairs) as strings."""
    data = pd.DataFrame(index=frame.index)
    for column in ID_COLUMNS + CATEGORY_COLUMNS:
        if column in frame:
            data[column] = frame[column].fillna("").astype(str)
        else:
            data[column] = ""
    data["hs2"] = data["hs6"].str[:2]
    data["hs4"] = data["hs6"].str[:4]
    for left, right in PAIR_COLUMNS:
        data[f"{left}*{right}"] = data[left] + "|" + data[right]
    for column in NUMERIC_COLUMNS:
        data[column] = (
            pd.to_numeric(frame[column], errors="coerce") if column in frame else np.nan
        ).astype(float)
    data["unit_value"] = data["value"] / data["mass_kg"].where(data["mass_kg"] > 0)
    return data


def _encoded_keys() -> list[str]:
    return [*ID_COLUMNS, "hs2", "hs4", *(f"{left}*{right}" for left, right in PAIR_COLUMNS)]


@dataclasses.dataclass
class _Encoding:
    """Smoothed rate of the target per key value, and how often the value was seen."""

    rate: dict
    count: dict
    prior: float

    @classmethod
    def fit(cls, keys: pd.Series, target: pd.Series, prior: float, smoothing: float):
        grouped = target.groupby(keys.values).agg(["sum", "count"])
        rate = (grouped["sum"] + smoothing * prior) / (grouped["count"] + smoothing)
        return cls(rate=rate.to_dict(), count=grouped["count"].to_dict(), prior=prior)

    def transform(self, keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        rate = keys.map(self.rate).astype(float).fillna(self.prior).to_numpy()
        count = keys.map(self.count).astype(float).fillna(0.0).to_numpy()
        return rate, count


class DeclarationFeaturizer:
    """Turns a declaration frame into the numeric matrix the estimators read."""

    def __init__(self, *, smoothing: float = 20.0, folds: int = 5, seed: int = 0):
        self.smoothing = smoothing
        self.folds = folds
        self.seed = seed

    # -- fitting ------------------------------------------------------------
    def fit_transform(self, frame: pd.DataFrame, target: pd.Series) -> pd.DataFrame:
        data = _prepare(frame)
        target = pd.Series(np.asarray(target, dtype=float), index=data.index)
        self.prior_ = float(target.mean())
        self.encodings_ = {
            key: _Encoding.fit(data[key], target, self.prior_, self.smoothing)
            for key in _encoded_keys()
        }
        self._fit_norms(data)
        self.categories_ = {
            column: sorted(data[column].value_counts().head(60).index)
            for column in CATEGORY_COLUMNS
        }

        matrix = self._matrix(data)
        # Out-of-fold target encodings for the training rows themselves.
        rng = np.random.default_rng(self.seed)
        fold_of = rng.integers(0, self.folds, len(data))
        for fold in range(self.folds):
            inside = fold_of == fold
            outside = ~inside
            prior = float(target[outside].mean())
            for key in _encoded_keys():
                encoding = _Encoding.fit(data[key][outside], target[outside], prior, self.smoothing)
                rate, _count = encoding.transform(data[key][inside])
                matrix.loc[inside, f"risk:{key}"] = rate
        self.feature_names_ = list(matrix.columns)
        return matrix

    def _fit_norms(self, data: pd.DataFrame) -> None:
        valued = data[data["unit_value"].notna()]
        self.hs6_norm_ = valued.groupby("hs6")["unit_value"].median().to_dict()
        self.hs6_origin_norm_ = valued.groupby(["hs6", "origin"])["unit_value"].median().to_dict()
        self.hs4_rate_max_ = data.groupby("hs4")["tax_rate"].max().to_dict()
        self.hs4_rate_min_ = data.groupby("hs4")["tax_rate"].min().to_dict()

    # -- applying -----------------------------------------------------------
    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self._matrix(_prepare(frame))[self.feature_names_]

    def _matrix(self, data: pd.DataFrame) -> pd.DataFrame:
        columns = {}
        for key in _encoded_keys():
            rate, count = self.encodings_[key].transform(data[key])
            columns[f"risk:{key}"] = rate
            columns[f"seen:{key}"] = np.log1p(count)
        columns["tax_rate"] = data["tax_rate"].to_numpy()
        columns["log_mass_kg"] = np.log1p(data["mass_kg"].clip(lower=0)).to_numpy()
        columns["log_value"] = np.log1p(data["value"].clip(lower=0)).to_numpy()
        columns["log_unit_value"] = np.log(data["unit_value"].where(data["unit_value"] > 0))
        hs6_norm = data["hs6"].map(self.hs6_norm_).astype(float)
        pair = pd.Series(list(zip(data["hs6"], data["origin"], strict=True)), index=data.index)
        hs6_origin_norm = pair.map(self.hs6_origin_norm_).astype(float)
        columns["unit_value_vs_hs6"] = np.log(data["unit_value"] / hs6_norm).to_numpy()
        columns["unit_value_vs_hs6_origin"] = np.log(
            data["unit_value"] / hs6_origin_norm
        ).to_numpy()
        high = data["hs4"].map(self.hs4_rate_max_).astype(float)
        low = data["hs4"].map(self.hs4_rate_min_).astype(float)
        columns["rate_below_heading_max"] = (high - data["tax_rate"]).to_numpy()
        columns["heading_rate_spread"] = (high - low).to_numpy()
        columns["origin_is_departure"] = (data["origin"] == data["departure"]).astype(float)
        for column, values in self.categories_.items():
            lookup = {value: index for index, value in enumerate(values)}
            columns[f"cat:{column}"] = data[column].map(lookup).astype(float).to_numpy()
        matrix = pd.DataFrame(columns, index=data.index)
        return matrix.replace([np.inf, -np.inf], np.nan)


def threads():
    """A limit on OpenMP/BLAS threads while fitting or predicting.

    Gradient boosting with OpenMP slows down badly when its threads compete with
    other processes for the cores (measured on the 2-core development machine
    with other workers busy: 15 s with all threads against 1.8 s with one, for
    the same fit). ``RISK_ML_THREADS`` (default 1) raises it on a dedicated host.
    """
    from django.conf import settings

    return threadpool_limits(limits=int(getattr(settings, "RISK_ML_THREADS", 1)))


def make_estimator(kind: str, *, seed: int = 0):
    """The candidate estimators compared in docs/risk.md; ``hgb`` is the chosen one."""
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        # Chosen among five settings on the KCS training/validation split (docs/risk.md).
        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=600,
            max_leaf_nodes=63,
            min_samples_leaf=20,
            l2_regularization=1.0,
            random_state=seed,
        )
    if kind == "gb":
        from sklearn.ensemble import GradientBoostingClassifier
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline

        return make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            GradientBoostingClassifier(
                n_estimators=300, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=seed
            ),
        )
    if kind == "logit":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(max_iter=2000),
        )
    if kind == "lightgbm":
        import lightgbm

        return _PlainNames(
            lightgbm.LGBMClassifier(
                n_estimators=400,
                learning_rate=0.05,
                num_leaves=31,
                random_state=seed,
                verbose=-1,
                n_jobs=1,
            )
        )
    raise ValueError(f"unknown estimator kind {kind!r}")


class _PlainNames:
    """LightGBM refuses some characters in column names; give it plain arrays."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, matrix, target):
        self.estimator.fit(np.asarray(matrix, dtype=float), target)
        return self

    def predict_proba(self, matrix):
        return self.estimator.predict_proba(np.asarray(matrix, dtype=float))


@dataclasses.dataclass
class TrainedModel:
    """A featurizer and an estimator fitted together; what an artefact holds."""

    featurizer: object
    estimator: object
    feature_names: list
    baseline: dict  # feature -> training median, the reference for contributions

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.predict_matrix(self.featurizer.transform(frame))

    def predict_matrix(self, matrix: pd.DataFrame) -> np.ndarray:
        with threads():
            return self.estimator.predict_proba(matrix[self.feature_names])[:, 1]

    def contributions(self, matrix: pd.DataFrame, *, top: int = 5) -> list[list[dict]]:
        """Per row, the features whose value moved the score most.

        Method (difference from baseline): for each feature, the row's score minus
        the score of the same row with that one feature set to its training
        median. It is exact for the row as the model sees it, ignores
        interactions between features, and costs one prediction per feature.
        """
        matrix = matrix[self.feature_names].reset_index(drop=True)
        base_scores = self.predict_matrix(matrix)
        rows = len(matrix)
        stacked = pd.concat([matrix] * len(self.feature_names), ignore_index=True)
        for index, name in enumerate(self.feature_names):
            stacked.iloc[index * rows : (index + 1) * rows, index] = self.baseline.get(name, np.nan)
        replaced = self.predict_matrix(stacked).reshape(len(self.feature_names), rows)
        deltas = base_scores[None, :] - replaced
        result = []
        for row in range(rows):
            order = np.argsort(-np.abs(deltas[:, row]))[:top]
            result.append(
                [
                    {
                        "feature": self.feature_names[i],
                        "value": _plain(matrix.iat[row, i]),
                        "contribution": round(float(deltas[i, row]), 4),
                    }
                    for i in order
                    if abs(deltas[i, row]) > 1e-6
                ]
            )
        return result


def _plain(value):
    value = float(value)
    return None if math.isnan(value) else round(value, 4)


class IdentityFeaturizer:
    """For frames that already hold the numeric features (the enterprise model)."""

    def __init__(self, names):
        self.feature_names_ = list(names)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.reindex(columns=self.feature_names_).astype(float)


def train(
    *, featurizer, frame: pd.DataFrame, target, estimator_kind: str = "hgb", seed: int = 0
) -> TrainedModel:
    if isinstance(featurizer, IdentityFeaturizer):
        matrix = featurizer.transform(frame)
    else:
        matrix = featurizer.fit_transform(frame, target)
    matrix = usable(matrix)
    estimator = make_estimator(estimator_kind, seed=seed)
    with threads():
        estimator.fit(matrix, np.asarray(target, dtype=int))
    baseline = {name: _plain(value) for name, value in matrix.median().items()}
    return TrainedModel(
        featurizer=featurizer,
        estimator=estimator,
        feature_names=list(matrix.columns),
        baseline=baseline,
    )


def usable(matrix: pd.DataFrame) -> pd.DataFrame:
    """The columns with at least one known value (an all-empty column teaches
    nothing and some estimators refuse it)."""
    return matrix.loc[:, matrix.notna().any()]


def dump(model: TrainedModel) -> tuple[bytes, str]:
    """The artefact's bytes and their SHA-256 (checked again when it is loaded)."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def load(data: bytes, sha256: str) -> TrainedModel:
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError("model artefact does not match its recorded SHA-256")
    # The artefact was written by this application and its digest checked above.
    return joblib.load(io.BytesIO(data))

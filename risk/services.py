"""Writes of the risk app: criteria versions, model training and approval, runs."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from risk import datasets, learning, metrics
from risk.models import Criterion, RiskModel, ScoringRun
from stq02.errors import ConflictError, DomainError
from stq02.scoping import CENTRAL_HEADS, HEADS, can_see_unit

CRITERION_FIELDS = (
    "name",
    "description",
    "indicator",
    "operator",
    "threshold",
    "weight",
    "unit",
    "legal_basis",
    "is_active",
)


def _check_editor(user, unit) -> None:
    """Heads edit criteria of the units whose data they see (stq02.scoping: their
    unit's subtree; an audit team's, its branch's); the whole-force criteria (no
    unit) are for central heads only."""
    if not user.has_role(*HEADS):
        raise DomainError(_("Only unit and department heads may change risk criteria."))
    if unit is None and not (user.sees_everything and user.has_role(*CENTRAL_HEADS)):
        raise DomainError(
            _("Criteria for the whole force are changed by the central department only."),
            field="unit",
        )
    if unit is not None and not can_see_unit(user, unit):
        raise DomainError(_("You may only set criteria for your own unit."), field="unit")


def _check_indicator(indicator: str) -> None:
    from risk.features import INDICATORS

    if indicator not in INDICATORS:
        raise DomainError(
            _("Unknown indicator “%(name)s”.") % {"name": indicator}, field="indicator"
        )


def criterion_create(*, user, code: str, effective_from: dt.date, **fields) -> Criterion:
    _check_editor(user, fields.get("unit"))
    _check_indicator(fields["indicator"])
    if Criterion.objects.filter(code=code).exists():
        raise ConflictError(
            _("A criterion with the code %(code)s exists; revise it instead.") % {"code": code},
            field="code",
        )
    return Criterion.objects.create(
        code=code, version=1, effective_from=effective_from, created_by=user, **fields
    )


def criterion_revise(
    *, user, criterion: Criterion, effective_from: dt.date, **changes
) -> Criterion:
    """Close ``criterion`` on ``effective_from`` and add the next version with
    ``changes``. The closed row is never modified otherwise, so scores that cite it
    keep their meaning."""
    fields = {name: getattr(criterion, name) for name in CRITERION_FIELDS}
    fields.update({name: value for name, value in changes.items() if name in CRITERION_FIELDS})
    _check_editor(user, criterion.unit)
    _check_editor(user, fields["unit"])
    _check_indicator(fields["indicator"])
    with transaction.atomic():
        current = Criterion.objects.select_for_update().get(pk=criterion.pk)
        latest = Criterion.objects.filter(code=current.code).aggregate(Max("version"))[
            "version__max"
        ]
        if current.version != latest:
            raise ConflictError(
                _("Version %(version)s is not the latest; reload and edit the latest one.")
                % {"version": current.version}
            )
        if current.effective_until and current.effective_until <= effective_from:
            raise DomainError(_("This version has already ended."), field="effective_from")
        if effective_from < current.effective_from:
            raise DomainError(
                _("The new version cannot start before the current one (%(date)s).")
                % {"date": current.effective_from.strftime("%d/%m/%Y")},
                field="effective_from",
            )
        current.effective_until = effective_from
        current.save(update_fields=["effective_until"])
        try:
            return Criterion.objects.create(
                code=current.code,
                version=current.version + 1,
                effective_from=effective_from,
                created_by=user,
                **fields,
            )
        except IntegrityError as exc:
            raise ConflictError(_("Someone else revised this criterion at the same time.")) from exc


# -- models --------------------------------------------------------------------------
def _next_version(kind: str) -> int:
    return (RiskModel.objects.filter(kind=kind).aggregate(Max("version"))["version__max"] or 0) + 1


def model_register(
    *,
    kind: str,
    trained: learning.TrainedModel,
    estimator: str,
    train_until: dt.date,
    training_rows: int,
    measured: dict | None = None,
    test_from: dt.date | None = None,
    test_until: dt.date | None = None,
    train_from: dt.date | None = None,
    note: str = "",
) -> RiskModel:
    data, digest = learning.dump(trained)
    return RiskModel.objects.create(
        kind=kind,
        version=_next_version(kind),
        estimator=estimator,
        train_from=train_from,
        train_until=train_until,
        test_from=test_from,
        test_until=test_until,
        training_rows=training_rows,
        features=list(trained.feature_names),
        metrics=measured or {},
        artefact=data,
        sha256=digest,
        note=note,
    )


def train_declaration_model(
    *, train_until: dt.date, test_from: dt.date, test_until: dt.date, estimator: str = "hgb"
) -> RiskModel:
    """Train on outcomes up to ``train_until``, measure on the later period, store as draft."""
    train = datasets.labelled_declarations(
        registered_from=None, registered_until=train_until, decided_until=train_until
    )
    train = train[train["label"].notna()] if len(train) else train
    if len(train) == 0 or train["label"].nunique() < 2:
        raise DomainError(_("Not enough outcomes up to %(date)s to train.") % {"date": train_until})
    trained = learning.train(
        featurizer=learning.DeclarationFeaturizer(),
        frame=train,
        target=train["label"],
        estimator_kind=estimator,
    )
    test = datasets.labelled_declarations(
        registered_from=test_from, registered_until=test_until, decided_until=None
    )
    measured = {}
    if len(test):
        test = test[test["label"].notna()]
        if len(test):
            test = test.assign(score=trained.predict(test))
            per = test.groupby("number").agg(score=("score", "max"), label=("label", "max"))
            measured = {"at_n": metrics.at_n(per["score"], per["label"]), "rows": len(per)}
    return model_register(
        kind=RiskModel.Kind.DECLARATION,
        trained=trained,
        estimator=estimator,
        train_until=train_until,
        training_rows=len(train),
        measured=measured,
        test_from=test_from,
        test_until=test_until,
    )


def train_enterprise_model(
    *, train_until: dt.date, horizon_days: int = 365, estimator: str = "hgb"
) -> RiskModel:
    """Features as of ``train_until − horizon`` learn the violations found up to
    ``train_until``; measured on features as of ``train_until`` against the outcomes
    known so far after it (empty until they exist)."""
    horizon = dt.timedelta(days=horizon_days)
    as_of = train_until - horizon
    frame = datasets.enterprise_features(as_of=as_of)
    labels = datasets.enterprise_labels(
        decided_from=as_of + dt.timedelta(days=1), decided_until=train_until
    )
    target = labels["label"].reindex(frame.index).fillna(0).astype(int)
    if target.nunique() < 2:
        raise DomainError(_("Not enough outcomes up to %(date)s to train.") % {"date": train_until})
    trained = learning.train(
        featurizer=learning.IdentityFeaturizer(frame.columns),
        frame=frame,
        target=target,
        estimator_kind=estimator,
    )
    later = datasets.enterprise_labels(
        decided_from=train_until + dt.timedelta(days=1), decided_until=train_until + horizon
    )
    measured = {}
    if len(later):
        test = datasets.enterprise_features(as_of=train_until)
        test_target = later["label"].reindex(test.index).fillna(0).astype(int)
        revenue = later["revenue"].reindex(test.index).fillna(0.0)
        measured = {
            "at_n": metrics.at_n(trained.predict(test), test_target, revenue),
            "rows": len(test),
        }
    return model_register(
        kind=RiskModel.Kind.ENTERPRISE,
        trained=trained,
        estimator=estimator,
        train_from=as_of,
        train_until=train_until,
        training_rows=len(frame),
        measured=measured,
        test_from=train_until + dt.timedelta(days=1),
        test_until=train_until + horizon,
    )


def model_approve(*, user, model: RiskModel) -> RiskModel:
    """Approve a draft model; the approved model of the same kind is retired.

    A model scores the whole force, so approval is a decision of the central
    department (department heads, administrators)."""
    if not (user.has_role(*CENTRAL_HEADS) and user.sees_everything):
        raise DomainError(_("Only the central department's heads may approve a risk model."))
    return _approve(model, approved_by=user)


def model_approve_by_system(*, model: RiskModel, reason: str) -> RiskModel:
    """Approve a draft model without a person (demo data with no administrator
    login): the same checks and retirement as ``model_approve``, no approver, and
    ``reason`` added to the model's note so the page says who decided."""
    return _approve(model, approved_by=None, reason=reason)


def _approve(model: RiskModel, *, approved_by, reason: str = "") -> RiskModel:
    with transaction.atomic():
        model = RiskModel.objects.select_for_update().get(pk=model.pk)
        if model.status != RiskModel.Status.DRAFT:
            raise ConflictError(_("Only a draft model can be approved."))
        learning.load(bytes(model.artefact), model.sha256)  # refuses a damaged artefact
        for previous in RiskModel.objects.filter(kind=model.kind, status=RiskModel.Status.APPROVED):
            previous.status = RiskModel.Status.RETIRED
            previous.save(update_fields=["status"])
        model.status = RiskModel.Status.APPROVED
        model.approved_by = approved_by
        model.approved_at = timezone.now()
        if reason:
            model.note = f"{model.note}\n{reason}".strip()
        model.save(update_fields=["status", "approved_by", "approved_at", "note"])
    return model


def model_retire(*, user, model: RiskModel) -> RiskModel:
    if not (user.has_role(*CENTRAL_HEADS) and user.sees_everything):
        raise DomainError(_("Only the central department's heads may retire a risk model."))
    model.status = RiskModel.Status.RETIRED
    model.save(update_fields=["status"])
    return model


# -- runs ----------------------------------------------------------------------------
def scoring_run_start(*, as_of: dt.date, restart: bool = False) -> ScoringRun:
    """Create (or reset, with ``restart``) the run of a date and enqueue it on commit."""
    from risk import scoring, tasks

    run = scoring.run_for(as_of=as_of, restart=restart)
    transaction.on_commit(lambda: tasks.score_run.delay(run.pk))
    return run

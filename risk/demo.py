"""Demo data for ``manage.py generate_data``, the risk step: after enterprises,
declarations and outcomes, so that the risk pages have something to show.

* the starting criteria (idempotent);
* an enterprise model and a declaration model trained on the demo outcomes up to
  ``TRAINED_DAYS_AGO`` days ago, measured on the days after, and approved — by the
  demo administrator ``admin`` when that login exists, otherwise by the system
  (no approver; the model's note says so);
* one scoring run as of today, so /risk/ lists classes, reasons and "Propose audit";
* one stored enterprise back-test.

With ``--enterprises 0`` (a rerun that keeps the data) it does nothing; a database
that already has risk models is left alone too.
"""

import datetime as dt
import random

from django.conf import settings
from django.utils import timezone

from risk.criteria import load_starting_set
from risk.models import Backtest, Criterion, RiskModel
from stq02.errors import DomainError
from stq02.models import User

# Outcomes up to this many days ago train the models; the days after measure them.
TRAINED_DAYS_AGO = 180
DEMO_NOTE = "Trained and approved by the demo data generator (manage.py generate_data)."
SYSTEM_APPROVAL = (
    "Approved by the system: the demo data has no administrator login, so no person approved it."
)


def _approve(model: RiskModel, admin: User | None) -> None:
    from risk import services

    if admin is not None:
        try:
            services.model_approve(user=admin, model=model)
            return
        except DomainError:
            pass  # an "admin" login without the central role: approve as the system
    services.model_approve_by_system(model=model, reason=SYSTEM_APPROVAL)


def _train(today: dt.date) -> list[str]:
    from risk import services

    admin = User.objects.filter(username="admin", is_active=True).first()
    train_until = today - dt.timedelta(days=TRAINED_DAYS_AGO)
    made = []
    trainers = [
        (
            "enterprise",
            lambda: services.train_enterprise_model(train_until=train_until, horizon_days=365),
        ),
        (
            "declaration",
            lambda: services.train_declaration_model(
                train_until=train_until,
                test_from=train_until + dt.timedelta(days=1),
                test_until=today,
            ),
        ),
    ]
    for kind, trainer in trainers:
        try:
            model = trainer()
        except DomainError:
            continue  # too few outcomes at this scale: the criteria score alone
        # The approval reads the model again under its lock.
        RiskModel.objects.filter(pk=model.pk).update(note=DEMO_NOTE)
        _approve(model, admin)
        made.append(kind)
    return made


def generate(*, options: dict, rng: random.Random, progress) -> str:
    if (options.get("enterprises") or 0) <= 0:
        return ""
    # Here, not at the top: ``start_demo`` runs this module on every start with no
    # enterprises, and these bring pandas, NumPy and joblib (0.4 s) for nothing.
    from risk import backtest, scoring

    criteria = load_starting_set()
    if RiskModel.objects.exists():
        return f"{criteria} criteria added; risk models already present: nothing trained"
    today = timezone.localdate()
    progress("risk models", 0, 3)
    models = _train(today)
    progress("risk models", 1, 3)

    run = scoring.execute(run_id=scoring.run_for(as_of=today).pk)
    progress("risk models", 2, 3)

    backtests = 0
    if not Backtest.objects.exists():
        folder = settings.VAR_DIR / "backtests"
        folder.mkdir(parents=True, exist_ok=True)
        test_from = today - dt.timedelta(days=364)
        try:
            backtest.run_enterprises(
                train_until=test_from - dt.timedelta(days=1),
                test_from=test_from,
                test_until=today,
                output=folder / f"demo-enterprises-{today.isoformat()}.csv",
                log=lambda _line: None,
            )
            backtests = 1
        except ValueError:
            pass  # no enterprises or outcomes to measure at this scale
    progress("risk models", 3, 3)
    return (
        f"{Criterion.objects.count()} criteria ({criteria} added), models approved: {', '.join(models) or 'none'}; "
        f"run as of {run.as_of}: {run.enterprises_done} enterprises scored, "
        f"{run.audit_count} audit subjects, {run.monitoring_count} monitoring; "
        f"{backtests} back-test"
    )

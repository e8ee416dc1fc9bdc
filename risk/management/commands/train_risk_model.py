import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from risk import metrics, services
from stq02.errors import DomainError


class Command(BaseCommand):
    help = (
        "Train a risk model on outcomes dated up to --train-until and store it as a draft; "
        "a central head approves it on the models page before it scores."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["declaration", "enterprise"], required=True)
        parser.add_argument("--train-until", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--test-from", type=dt.date.fromisoformat)
        parser.add_argument("--test-until", type=dt.date.fromisoformat)
        parser.add_argument(
            "--horizon-days", type=int, default=365, help="enterprise model: outcome horizon"
        )
        parser.add_argument("--estimator", default="hgb", choices=["hgb", "gb", "lightgbm"])

    def handle(self, *args, kind, train_until, test_from, test_until, horizon_days, estimator, **o):
        try:
            if kind == "declaration":
                test_from = test_from or train_until + dt.timedelta(days=1)
                test_until = test_until or test_from + dt.timedelta(days=89)
                model = services.train_declaration_model(
                    train_until=train_until,
                    test_from=test_from,
                    test_until=test_until,
                    estimator=estimator,
                )
            else:
                model = services.train_enterprise_model(
                    train_until=train_until, horizon_days=horizon_days, estimator=estimator
                )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"Stored {model} ({model.estimator}, {model.training_rows:,} training rows) as draft "
            f"#{model.pk}, sha256 {model.sha256[:12]}…"
        )
        if model.metrics.get("at_n"):
            self.stdout.write(metrics.format_table(model.metrics["at_n"], title="later period:"))

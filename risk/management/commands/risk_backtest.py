import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from risk import backtest


class Command(BaseCommand):
    help = (
        "Train on outcomes dated up to --train-until, score the test period, write the scores "
        "to CSV and print Precision@n %, Recall@n % and revenue@n % (n = 1, 2, 5, 10)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--target", choices=["declarations", "enterprises"], required=True)
        parser.add_argument("--train-until", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--test-from", type=dt.date.fromisoformat)
        parser.add_argument("--test-until", type=dt.date.fromisoformat)
        parser.add_argument("--output", required=True, help="CSV file to write")

    def handle(self, *args, target, train_until, test_from, test_until, output, **options):
        test_from = test_from or train_until + dt.timedelta(days=1)
        if test_until is None:
            days = 90 if target == "declarations" else 365
            test_until = test_from + dt.timedelta(days=days - 1)
        if test_from <= train_until:
            raise CommandError("--test-from must be after --train-until")
        if test_until < test_from:
            raise CommandError("--test-until must not be before --test-from")
        run = backtest.run_declarations if target == "declarations" else backtest.run_enterprises
        try:
            result = run(
                train_until=train_until,
                test_from=test_from,
                test_until=test_until,
                output=output,
                log=self.stdout.write,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(backtest.format_result(result))
        self.stdout.write(f"\nScores written to {output}; stored as back-test {result.pk}.")

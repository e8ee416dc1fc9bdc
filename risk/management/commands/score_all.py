import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from risk import scoring


class Command(BaseCommand):
    help = (
        "The nightly scoring run, by hand: every enterprise and the new declarations as of a date "
        "(default yesterday). A finished run of that date is computed again; an interrupted one "
        "is resumed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument(
            "--resume-only",
            action="store_true",
            help="do not recompute a finished run; only resume an unfinished one",
        )

    def progress(self, label, done, total):
        if total:
            sys.stderr.write(f"\r{label}: {done:,}/{total:,} ({100 * done // total}%)")
        else:
            sys.stderr.write(f"\r{label}: {done:,}")
        sys.stderr.flush()

    def handle(self, *args, as_of, resume_only, **options):
        as_of = as_of or timezone.localdate() - dt.timedelta(days=1)
        run = scoring.run_for(as_of=as_of, restart=not resume_only)
        if run.status == run.Status.RUNNING:
            # A live worker has it, or it is stale: execute() claims only a stale one.
            self.stderr.write("the run is marked running; resuming it if its worker is gone")
        run = scoring.execute(run_id=run.pk, progress=self.progress)
        sys.stderr.write("\n")
        if run.status != run.Status.DONE:
            raise CommandError(f"run {run.pk} is {run.status}: {run.error or 'held by a worker'}")
        self.stdout.write(
            f"Scoring run {run.pk} as of {run.as_of}: {run.enterprises_done:,} enterprises, "
            f"{run.audit_count:,} audit subjects ({run.random_count:,} random), "
            f"{run.monitoring_count:,} monitoring, {run.declarations_done:,} declarations, "
            f"{run.duration_seconds:.1f} s"
        )

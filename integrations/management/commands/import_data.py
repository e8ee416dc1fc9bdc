"""``manage.py import_data SOURCE PATH [PATH ...]``: one import batch per file."""

import csv
import gc
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import translation

from integrations import pipeline
from integrations.adapters import ADAPTERS, FILE_SOURCES
from integrations.models import ImportBatch
from integrations.selectors import write_rejections_csv
from stq02.models import Unit


class Command(BaseCommand):
    # An operator's data load: the project-wide checks (URLs, admin, templates) are
    # `manage.py check`'s and CI's job; importing them here cost 0.6 s a run.
    requires_system_checks = []
    help = (
        "Import files through an adapter (one batch per file), print the counts (new, changed, "
        "unchanged, rejected) and where the rejected rows are. Exit status 1 when a file is "
        "refused as a whole or a batch fails. With --pull, pull an HTTP source instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="one of: " + ", ".join(FILE_SOURCES))
        parser.add_argument("paths", nargs="*", help="files to import")
        parser.add_argument("--unit", help="code of the unit the batches belong to")
        parser.add_argument(
            "--chunk-rows", type=int, help="rows per transaction (default 5000; 50000 with COPY)"
        )
        parser.add_argument("--resume", type=int, metavar="BATCH_ID", help="resume a batch")
        parser.add_argument("--pull", action="store_true", help="SOURCE is an HTTP source")
        parser.add_argument("--url", help="with --pull: the address of the first page")
        parser.add_argument("--quiet-progress", action="store_true", help="no progress line")
        parser.add_argument(
            "--rejects-dir",
            help="folder for the rejected rows' CSV (default: PRIVATE_MEDIA_ROOT/rejected)",
        )
        parser.add_argument("--language", help="language of rejection reasons (vi or en)")

    def handle(self, *args, **options):
        if self._called_from_command_line:  # the process is this command's (not a test's)
            # What start-up made (Django's apps, NumPy, Arrow: some 130,000 objects)
            # is never garbage; left out of the collections, the three full ones
            # during a 1 M-line import no longer walk it again (0.17 s).
            gc.freeze()
        self.rejects_dir = Path(
            options["rejects_dir"] or Path(settings.PRIVATE_MEDIA_ROOT) / "rejected"
        )
        if options["language"]:
            translation.activate(options["language"])
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit with code {options['unit']}")
        if options["pull"]:
            return self.pull(options, unit)
        source = options["source"]
        if source not in ADAPTERS or ADAPTERS[source].file_format == "http":
            raise CommandError(
                f"Unknown file source {source!r}; use one of: {', '.join(FILE_SOURCES)}"
            )
        if options["resume"]:
            batches = [ImportBatch.objects.get(pk=options["resume"])]
            ImportBatch.objects.filter(pk=batches[0].pk, status=ImportBatch.Status.RUNNING).update(
                status=ImportBatch.Status.FAILED
            )
        else:
            if not options["paths"]:
                raise CommandError("Give at least one file to import.")
            batches = [
                pipeline.create_batch(source=source, path=Path(p).resolve(), unit=unit)
                for p in options["paths"]
            ]
        failed = 0
        for batch in batches:
            started = time.monotonic()
            progress = None if options["quiet_progress"] else self._progress(started)
            batch = pipeline.run_batch(
                batch_id=batch.pk, progress=progress, chunk_rows=options["chunk_rows"]
            )
            if progress:
                sys.stderr.write("\n")
            failed += self.report(batch)
        if failed:
            sys.exit(1)

    def _progress(self, started):
        def show(batch):
            elapsed = max(time.monotonic() - started, 1e-6)
            total = batch.rows_total or 0
            percent = f" ({batch.rows_done * 100 // total}%)" if total else ""
            sys.stderr.write(
                f"\r{batch.file_name}: row {batch.rows_done:,}/{total:,}{percent}, "
                f"{batch.rows_done / elapsed:,.0f} rows/s, rejected {batch.rejected_count:,}   "
            )
            sys.stderr.flush()

        return show

    def report(self, batch) -> int:
        seconds = batch.duration.total_seconds() if batch.duration else 0
        self.stdout.write(
            f"batch {batch.pk} {batch.file_name}: {batch.status}; new {batch.new_count}, "
            f"changed {batch.changed_count}, unchanged {batch.unchanged_count}, "
            f"rejected {batch.rejected_count} ({batch.rows_done} rows, {seconds:.1f} s)"
        )
        if batch.rejected_count:
            url = reverse("integrations:batch-rejections-csv", args=[batch.pk])
            target = (
                self.rejects_dir / f"batch-{batch.pk}-{Path(batch.file_name).stem}-rejected.csv"
            )
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "w", encoding="utf-8-sig", newline="") as handle:
                    write_rejections_csv(batch, csv.writer(handle))
                where = f"{target} and {url}"
            except OSError:
                where = url
            self.stdout.write(f"  rejected rows: {where}")
        if batch.status in (ImportBatch.Status.REFUSED, ImportBatch.Status.FAILED):
            self.stderr.write(f"  {batch.error}")
            return 1
        return 0

    def pull(self, options, unit):
        from integrations.pull import pull

        if not options["url"]:
            raise CommandError("--pull needs --url")
        batch = pull(source=options["source"], url=options["url"], unit=unit)
        return sys.exit(self.report(batch))

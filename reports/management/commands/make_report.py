"""Generate a report file from the command line, with progress on stderr:

python manage.py make_report audit_results --format xlsx --year 2026 --unit KV-A --output r.xlsx
"""

import shutil
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.models import ReportJob
from reports.services import run_job
from stq02.models import Unit


class Command(BaseCommand):
    help = "Generate an audit results, risk classification or enterprise list report."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ReportJob.Kind.values)
        parser.add_argument("--format", choices=ReportJob.Format.values, default="pdf")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--unit", help="unit code (its subtree); default: every unit")
        parser.add_argument("--language", default="vi")
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, *args, **options):
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(_("No unit with code %(code)s.") % {"code": options["unit"]})
        job = ReportJob.objects.create(
            kind=options["kind"],
            format=options["format"],
            parameters={"year": options["year"], "language": options["language"]},
            unit=unit,
        )

        def progress(percent):
            sys.stderr.write(f"\r{_('Report')} {job.pk}: {percent:3d}%")
            sys.stderr.flush()

        job = run_job(job.pk, progress=progress)
        sys.stderr.write("\n")
        if job.status != ReportJob.Status.DONE:
            raise CommandError(job.error or job.get_status_display())
        with job.file.open("rb") as source, open(options["output"], "wb") as target:
            shutil.copyfileobj(source, target)
        self.stdout.write(options["output"])

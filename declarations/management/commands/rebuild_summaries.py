"""Recompute the enterprise summaries from the declarations and goods lines."""

from django.core.management.base import BaseCommand
from django.db import transaction

from declarations import summaries
from enterprises.models import Enterprise


class Command(BaseCommand):
    help = (
        "Recompute the enterprise page's summaries (months, partners, goods) of the "
        "summarised (big) enterprises from the current declarations and their lines, "
        "each outcome's enterprise, and summarise enterprises that have grown past "
        "ENTERPRISE_SUMMARY_THRESHOLD. The "
        "writers keep them up to date; this repairs them after rows were written "
        "another way (a restore, a manual correction)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "tax_codes", nargs="*", help="only these enterprises (default: every enterprise)"
        )

    def handle(self, *args, tax_codes, **options):
        enterprise_ids = None
        if tax_codes:
            found = dict(
                Enterprise.objects.filter(tax_code__in=tax_codes).values_list("tax_code", "pk")
            )
            missing = sorted(set(tax_codes) - set(found))
            if missing:
                self.stderr.write(f"unknown tax codes: {', '.join(missing)}")
            enterprise_ids = list(found.values())
        with transaction.atomic():
            summaries.rebuild(enterprise_ids=enterprise_ids)
        promoted = summaries.promote()
        scope = "all summarised" if enterprise_ids is None else len(enterprise_ids)
        self.stdout.write(
            f"summaries rebuilt (enterprises: {scope}); newly summarised: {len(promoted)}"
        )

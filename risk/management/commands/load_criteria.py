from django.core.management.base import BaseCommand

from risk.criteria import load_starting_set


class Command(BaseCommand):
    help = "Create the starting set of risk criteria (idempotent: existing codes are kept)."

    def handle(self, *args, **options):
        created = load_starting_set()
        self.stdout.write(f"Risk criteria created: {created}")

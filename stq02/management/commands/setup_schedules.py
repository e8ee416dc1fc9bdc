from django.core.management.base import BaseCommand

from stq02 import schedules


class Command(BaseCommand):
    help = "Create the periodic tasks (nightly scoring, deadline alerts, pulls, heartbeat) for Celery beat."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="restore the default times of existing tasks"
        )

    def handle(self, *args, reset, **options):
        written = schedules.install(reset=reset)
        self.stdout.write(f"Periodic tasks written: {len(written)} of {len(schedules.SCHEDULES)}")
        for name in written:
            self.stdout.write(f"  {name}")

"""``manage.py start_demo``: the newcomer's one command.

Migrates the database, loads the demo data when the database is empty, prints the
demo logins and starts the development server on http://127.0.0.1:8000. To start
again from fresh data, delete var/stq02.sqlite3 first.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from stq02.models import Unit


class Command(BaseCommand):
    help = "Set up the embedded database with demo data and start the development server."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare the data, do not start the server"
        )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup_schedules", verbosity=0)
        self.stdout.write("Database ready.")
        if Unit.objects.exists():
            # Keep the data of earlier runs; give the demo logins new passwords to print.
            call_command("generate_data", seed=options["seed"], enterprises=0, lines=0)
        else:
            call_command("generate_data", seed=options["seed"])
        if options["no_serve"]:
            return
        self.stdout.write(f"\nSTQ02 answers on http://{options['addrport']}/ (Ctrl+C stops it).")
        call_command("runserver", options["addrport"], use_reloader=False)

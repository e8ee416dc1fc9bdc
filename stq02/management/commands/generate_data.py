"""``manage.py generate_data``: deterministic demo and benchmark data.

The same ``--seed`` and sizes give the same records. Units and demo logins come
first; then every installed app that has a ``demo.py`` with ``generate(options,
rng, progress)`` adds its part, in INSTALLED_APPS order.
"""

import importlib
import logging
import random
import sys

from django.apps import apps
from django.core.management.base import BaseCommand

from stq02.demo.people import generate_organisation, generate_people


class Command(BaseCommand):
    help = (
        "Generate deterministic demo data: units, demo logins, enterprises, declarations, outcomes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument(
            "--enterprises",
            type=int,
            default=300,
            help="number of enterprises (0: units and users only)",
        )
        parser.add_argument(
            "--lines", type=int, default=20000, help="number of declaration goods lines"
        )
        parser.add_argument(
            "--password", help="one password for every demo login (default: a random one each)"
        )
        parser.add_argument(
            "--no-users", action="store_true", help="do not create or reset the demo logins"
        )

    def progress(self, label: str, done: int, total: int) -> None:
        if total:
            sys.stderr.write(f"\r{label}: {done:,}/{total:,} ({100 * done // total}%)")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    def handle(self, *args, **options):
        # The services log every step they take; thousands of demo steps would
        # bury the summary and the demo logins.
        logging.disable(logging.INFO)
        try:
            self._generate(options)
        finally:
            logging.disable(logging.NOTSET)

    def _generate(self, options):
        rng = random.Random(options["seed"])
        units = generate_organisation(rng=rng)
        self.stdout.write(f"Units: {len(units)}")
        people = (
            []
            if options["no_users"]
            else generate_people(
                rng=random.Random(options["seed"] + 1), units=units, password=options["password"]
            )
        )

        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            if callable(getattr(module, "generate", None)):
                summary = module.generate(
                    options=options,
                    rng=random.Random(f"{options['seed']}-{config.name}"),
                    progress=self.progress,
                )
                if summary:
                    self.stdout.write(f"{config.verbose_name}: {summary}")

        if people:
            self.stdout.write("\nDemo logins (user name / password / role / unit):")
            for user, password in people:
                self.stdout.write(
                    f"  {user.username:<16} {password:<16} {user.get_role_display():<28} {user.unit.code}"
                )

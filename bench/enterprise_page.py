"""How fast the enterprise page answers for a big trader in a big database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stq02 python bench/enterprise_page.py

Builds its own database (the name in DATABASE_URL with ``_bench_page`` appended,
dropped and created again unless ``--reuse`` finds it filled) with the demo
generator: ``--lines`` goods lines (default 5 million) over ``--enterprises``
enterprises, one of which has ``--heavy`` declarations (default 50,000). Then it
signs a central officer in with Django's test client and times the page of
that enterprise (``--repeats`` times after two warm-up requests) against the
page of a small enterprise in the same database, both with the shared cache
emptied before each request (every figure computed by the database), then the
big page again with its panel figures cached, and once more with its figures
aggregated from its declarations (as for an enterprise under the summary
threshold: an upper bound for those). It prints median, 95th percentile
and minimum of each, and on the last line the ratio alone: the big enterprise's
uncached median over the small enterprise's uncached median.

The page reads the enterprise summaries (``declarations.summaries``); before timing,
the bench checks that the big enterprise's summaries add up to its current
declarations and lines, and stops if they do not (a database filled before the
summaries existed is filled by ``migrate``).
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench_page"
    return urlunsplit(parts._replace(path="/" + name)), name


def _recreate(url: str, name: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _timed(client, url: str, repeats: int, *, cold: bool) -> list[float]:
    """Milliseconds per request after two warm-up requests. ``cold``: the shared
    cache is emptied before each request, so every panel figure is computed."""
    from django.core.cache import cache

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeats):
        if cold:
            cache.clear()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _check_summaries(enterprise_id: int) -> None:
    """The summaries of ``enterprise_id`` against a fresh aggregate of the base tables."""
    from django.db.models import Count, Sum

    from declarations.models import (
        Declaration,
        DeclarationLine,
        EnterpriseGoodsMonth,
        EnterpriseMonth,
    )

    fresh = Declaration.objects.filter(enterprise_id=enterprise_id, is_current=True).aggregate(
        n=Count("pk"), value=Sum("customs_value")
    )
    kept = EnterpriseMonth.objects.filter(enterprise_id=enterprise_id).aggregate(
        n=Sum("declarations"), value=Sum("customs_value")
    )
    lines = DeclarationLine.objects.filter(
        declaration__enterprise_id=enterprise_id, declaration__is_current=True
    ).aggregate(n=Count("pk"), value=Sum("customs_value"))
    kept_lines = EnterpriseGoodsMonth.objects.filter(enterprise_id=enterprise_id).aggregate(
        n=Sum("lines"), value=Sum("customs_value")
    )
    if fresh != kept or lines != kept_lines:
        sys.exit(f"summaries differ from the declarations: {fresh} {kept} {lines} {kept_lines}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--heavy", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep a database built earlier")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database")
    bench_url, name = _bench_url(url)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stq02.settings")
    os.environ.setdefault("DEBUG", "1")

    import django

    if not args.reuse:
        _recreate(url, name)
    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment

    from declarations import demo as declarations_demo
    from declarations.models import Declaration, DeclarationLine
    from enterprises import demo as enterprises_demo
    from stq02.demo.people import generate_organisation
    from stq02.models import Role, Unit, User

    call_command("migrate", interactive=False, verbosity=0)
    if not (args.reuse and DeclarationLine.objects.exists()):
        started = time.perf_counter()
        generate_organisation(rng=random.Random(args.seed))
        options = {
            "seed": args.seed,
            "enterprises": args.enterprises,
            "lines": args.lines,
            "heavy_declarations": args.heavy,
        }

        def progress(label, done, total):
            print(f"\r{label}: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

        enterprises_demo.generate(
            options=options, rng=random.Random(f"{args.seed}-enterprises"), progress=progress
        )
        print(file=sys.stderr)
        declarations_demo.generate(
            options=options, rng=random.Random(f"{args.seed}-declarations"), progress=progress
        )
        print(file=sys.stderr)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"built in {time.perf_counter() - started:.0f} s")

    lines = DeclarationLine.objects.count()
    per_enterprise = (
        Declaration.objects.filter(is_current=True)
        .values("enterprise_id", "enterprise__tax_code")
        .annotate(n=Count("pk"))
    )
    big = per_enterprise.order_by("-n").first()
    small = per_enterprise.filter(n__gte=5, n__lte=20).order_by("enterprise_id").first()
    central = Unit.objects.get(kind=Unit.Kind.CENTRAL, parent=None)
    user, _ = User.objects.update_or_create(
        username="bench.central", defaults={"role": Role.OFFICER, "unit": central}
    )

    _check_summaries(big["enterprise_id"])
    setup_test_environment()
    client = Client()
    client.force_login(user)
    big_url = f"/enterprises/{big['enterprise__tax_code']}/"
    small_url = f"/enterprises/{small['enterprise__tax_code']}/"
    big_times = _timed(client, big_url, args.repeats, cold=True)
    small_times = _timed(client, small_url, args.repeats, cold=True)
    big_cached = _timed(client, big_url, args.repeats, cold=False)
    # The same page with the big enterprise's figures aggregated from its declarations,
    # as for an enterprise under ENTERPRISE_SUMMARY_THRESHOLD (an upper bound for them):
    # its summarised mark is taken away inside a transaction that is rolled back.
    from django.db import transaction

    from declarations.models import SummarisedEnterprise

    with transaction.atomic():
        SummarisedEnterprise.objects.filter(enterprise_id=big["enterprise_id"]).delete()
        big_aggregated = _timed(client, big_url, args.repeats, cold=True)
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        start = time.perf_counter()
        for _ in range(args.repeats):
            cursor.execute(
                "SELECT count(*) FROM declarations_declaration WHERE enterprise_id = %s",
                [big["enterprise_id"]],
            )
            cursor.fetchone()
        count_ms = (time.perf_counter() - start) * 1000 / args.repeats

    print(f"database {name}: {lines:,} goods lines")
    for label, times in (
        (f"big enterprise {big['enterprise__tax_code']} ({big['n']:,} declarations)", big_times),
        (
            f"small enterprise {small['enterprise__tax_code']} ({small['n']:,} declarations)",
            small_times,
        ),
        ("big enterprise, panel figures cached", big_cached),
        (
            "big enterprise, figures aggregated from its declarations (not summarised)",
            big_aggregated,
        ),
    ):
        print(
            f"{label}: median {statistics.median(times):.0f} ms, p95 {_p95(times):.0f} ms, "
            f"min {min(times):.0f} ms"
        )
    print(f"SELECT count(*) of the big enterprise's declarations: {count_ms:.1f} ms")
    print(f"{statistics.median(big_times) / statistics.median(small_times):.2f}")


if __name__ == "__main__":
    main()

"""How long the nightly scoring run takes, against one bare aggregate over the same lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stq02 python bench/scoring.py \\
        --enterprises 100000 --lines 5000000

Uses its own database (the name in DATABASE_URL with ``_bench_scoring`` appended;
dropped and created again unless ``--reuse`` finds it filled), so it never
touches anyone's data. Steps:

1. builds the data with the demo generator (``manage.py generate_data``, COPY on
   PostgreSQL): enterprises with planted risks, declarations, goods lines,
   outcomes, VCIS records, tax debt, registry changes;
2. times the floor: one bare ``GROUP BY enterprise`` aggregate (count and sum of
   customs value) over the goods lines of the last two years, joined to their
   declarations, the smallest pass any per-enterprise feature needs (best of two);
3. times ``manage.py score_all --as-of`` in a child process (norms, features in
   SQL, criteria, classes, random share, frozen reasons, written scores) and its
   peak memory (the child's ru_maxrss);
4. checks that the run scored every enterprise.

Prints the figures, and on the last line, alone, scoring time / floor time.
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def bench_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench_scoring"
    return urlunsplit(parts._replace(path="/" + name)), name


def connect(url: str, dbname: str | None = None):
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=dbname or parts.path.lstrip("/"),
    )
    connection.autocommit = True
    return connection


def manage(url: str, *args: str) -> float:
    """Run a management command in a child process; its wall time in seconds."""
    env = {**os.environ, "DATABASE_URL": url}
    began = time.perf_counter()
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT)
    return time.perf_counter() - began


# Runs ``manage.py score_all`` and writes the process's own peak RSS to a file
# (RUSAGE_CHILDREN would also count the generator, a larger earlier child).
_SCORING = """
import resource, runpy, sys
sys.argv = ["manage.py", "score_all", "--as-of=" + sys.argv[1]]
try:
    runpy.run_path("manage.py", run_name="__main__")
finally:
    with open(PEAK_FILE, "w") as handle:
        handle.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def scoring_run(url: str, as_of: dt.date) -> tuple[float, int]:
    """(wall seconds, peak RSS in kB) of one ``score_all`` in a child process."""
    with tempfile.NamedTemporaryFile(suffix=".peak", delete=False) as handle:
        peak_file = handle.name
    code = _SCORING.replace("PEAK_FILE", repr(peak_file))
    env = {**os.environ, "DATABASE_URL": url}
    began = time.perf_counter()
    subprocess.run([PYTHON, "-c", code, as_of.isoformat()], check=True, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - began
    peak = int(Path(peak_file).read_text() or 0)
    os.unlink(peak_file)
    return elapsed, peak


def filled(url: str, name: str) -> int:
    admin = connect(url, "postgres")
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone()
    admin.close()
    if not exists:
        return 0
    connection = connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM declarations_declarationline")
            return cursor.fetchone()[0]
    except Exception:  # noqa: BLE001 -- a half-built database is rebuilt
        return 0
    finally:
        connection.close()


def floor(url: str, as_of: dt.date) -> float:
    sql = """
        SELECT d.enterprise_id, COUNT(*), SUM(l.customs_value)
        FROM declarations_declarationline l
        JOIN declarations_declaration d ON d.id = l.declaration_id
        WHERE d.registered_on BETWEEN %s AND %s
        GROUP BY d.enterprise_id
    """
    connection = connect(url)
    best = None
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        for _ in range(2):
            began = time.perf_counter()
            cursor.execute(sql, [as_of - dt.timedelta(days=729), as_of])
            cursor.fetchall()
            elapsed = time.perf_counter() - began
            best = elapsed if best is None else min(best, elapsed)
    connection.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the bench database if it holds the lines"
    )
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL")
    url, name = bench_url(url)
    as_of = dt.date.today() - dt.timedelta(days=1)

    lines = filled(url, name) if options.reuse else 0
    if lines < options.lines:
        admin = connect(url, "postgres")
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        manage(url, "migrate", "-v0")
        built = manage(
            url,
            "generate_data",
            f"--seed={options.seed}",
            f"--enterprises={options.enterprises}",
            f"--lines={options.lines}",
            "--no-users",
        )
        print(f"data built in {built:.1f} s")
        lines = filled(url, name)
    else:
        manage(url, "migrate", "-v0")  # the reused database gets this code's schema
    connection = connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM enterprises_enterprise")
        enterprises = cursor.fetchone()[0]
        # A run of this date from an earlier bench: removed before timing, so the run
        # measured is a first nightly run, not a rerun (which also deletes).
        for table in ("risk_featurestage", "risk_enterprisescore", "risk_declarationscore"):
            cursor.execute(
                f"DELETE FROM {table} WHERE run_id IN "  # noqa: S608 -- fixed table names
                "(SELECT id FROM risk_scoringrun WHERE as_of = %s)",
                [as_of],
            )
        cursor.execute("DELETE FROM risk_scoringrun WHERE as_of = %s", [as_of])
    connection.close()
    print(f"database {name}: {enterprises:,} enterprises, {lines:,} goods lines")

    floor_seconds = floor(url, as_of)
    print(f"floor (one GROUP BY over two years of lines): {floor_seconds:.2f} s")

    scoring_seconds, peak_kb = scoring_run(url, as_of)
    print(
        f"scoring run: {scoring_seconds:.1f} s wall ({enterprises / scoring_seconds:,.0f} "
        f"enterprises/s), peak memory of the scoring process {peak_kb / 1024:.0f} MB"
    )

    connection = connect(url)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, enterprises_done, audit_count, random_count, duration_seconds "
            "FROM risk_scoringrun WHERE as_of = %s",
            [as_of],
        )
        status, done, audit, drawn, inside = cursor.fetchone()
    connection.close()
    assert status == "done" and done == enterprises, (status, done, enterprises)
    print(
        f"run: {done:,} scored, {audit:,} audit subjects ({drawn:,} random), "
        f"{inside:.1f} s inside the run (the rest is process start-up)"
    )
    print(f"ratio scoring / floor: {scoring_seconds / floor_seconds:.1f}")
    print(f"{scoring_seconds / floor_seconds:.2f}")


if __name__ == "__main__":
    main()

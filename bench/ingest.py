"""How fast the VNACCS CSV ingest runs, against a plain PostgreSQL COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stq02 python bench/ingest.py --lines 1000000

Uses its own database (the name in DATABASE_URL with ``_bench_ingest`` appended,
dropped and created again) so that it never touches anyone's data. Steps:

1. writes a deterministic CSV of ``--lines`` goods lines in the VNACCS CSV format
   (docs/formats/vnaccs.md): 1–5 lines per declaration, ``--enterprises``
   importers with valid tax codes, a few customs offices;
2. times a plain ``COPY ... FROM STDIN (FORMAT csv)`` of the same file into a bare
   table with the same columns, typed (text, numeric, date), no index;
3. times the full pipeline, ``manage.py import_data vnaccs-csv FILE`` in a child
   process (parse, check every field, link enterprises and offices, detect
   changes by content hash, write declarations and lines), and its peak memory
   (the child's ru_maxrss);
4. times sending the same file again (every declaration "unchanged");
5. times the reading side alone, in this process: Arrow reading the file and
   checking and hashing every declaration (integrations/columnar.py), nothing
   written, so that the rest of the import's time is the database's;
6. times a COPY of the rows the import stored into new tables with the same
   indexes, one connection, no Python: the database's own share of the work,
   which no change on the Python side can go below.

Each timed step starts after a CHECKPOINT and a sync, so that none pays for writing
out the pages the step before left dirty (the plain COPY leaves some 250 MB per 1 M
lines, the generated file as much).

With ``--repeat K``, steps 2 and 3 run K times, each pair in a new copy of the
migrated database: on a shared virtual machine the same import took 9.3 s and
17.6 s minutes apart, so one pair says little; the median of K pairs says more.

Prints the figures, and on the last line, alone, pipeline rate / COPY rate (the
median of the pairs' ratios).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HS = ["85171300", "84713020", "61091010", "39269099", "73181590", "87089999", "94036090"]
OFFICES = ["01B1", "02CI", "03CE", "18A1", "47D1"]
COUNTRIES = ["CN", "KR", "JP", "US", "TH", "DE", "VN"]


def bench_url(url: str) -> tuple[str, str]:
    name = urlsplit(url).path.lstrip("/") + "_bench_ingest"
    return named(url, name), name


def named(url: str, name: str) -> str:
    """``url`` with the database ``name``."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def _connect(url: str, name: str):
    import psycopg2

    parts = urlsplit(url)
    return psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=name,
    )


def admin_connection(url: str):
    connection = _connect(url, "postgres")
    connection.autocommit = True
    return connection


def recreate(url: str, name: str, template: str | None = None) -> None:
    admin = admin_connection(url)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(
            f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        )
    admin.close()


def drop(url: str, name: str) -> None:
    admin = admin_connection(url)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def settle(url: str) -> None:
    """Write out the pages the step before left dirty, before the next is timed:
    PostgreSQL's (a checkpoint), then the system's (the CSV just written, the files
    of a table dropped), which the kernel would otherwise write back during the next
    step (seen as 0.7-1.2 of the two cores waiting on the disk for its first 3 s)."""
    admin = admin_connection(url)
    with admin.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    admin.close()
    os.sync()


def generate(path: Path, lines: int, enterprises: int) -> None:
    from enterprises.validators import make_tax_code
    from integrations.adapters.vnaccs import COLUMNS

    codes = []
    n = 100_000_001
    while len(codes) < enterprises:
        code = make_tax_code(f"{n:09d}")
        if code:
            codes.append(code)
        n += 1
    header = [c.name for c in COLUMNS]
    written = 0
    declaration = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        while written < lines:
            declaration += 1
            count = min(1 + declaration % 5, lines - written)
            number = f"{100_000_000_000 + declaration:012d}"
            who = codes[(declaration * 7919) % enterprises]
            day = 1 + declaration % 28
            month = 1 + (declaration // 28) % 12
            country = COUNTRIES[declaration % len(COUNTRIES)]
            office = OFFICES[declaration % len(OFFICES)]
            head = (
                f"{number},0,A11,import,{office},2025-{month:02d}-{day:02d},"
                f"2025-{month:02d}-{day:02d},{1 + declaration % 3},{who},"
                f"Công ty TNHH Thương mại {declaration % enterprises},,"
                f"Partner {declaration % 997} Ltd,{country},{country},{country},2,CIF,USD,25400,"
                f"{1000 + declaration % 9000}.50,,,,,,{declaration % 2}"
            )
            for k in range(1, count + 1):
                value = 1_000_000 + (declaration * 37 + k) % 90_000_000
                hs = HS[(declaration + k) % len(HS)]
                out.write(
                    f"{head},{k},{hs},Hàng hóa {hs} loại {k},{k * 10},PCE,{12 + k}.25,{value},"
                    f"5,{value // 20},10,{value // 10},0,0,{country},\n"
                )
            written += count


STORED = ("declarations_declaration", "declarations_declarationline")


def stored_rows_copy(url: str, name: str, folder: Path) -> dict[str, float]:
    """Seconds to COPY the rows the import stored (its declarations and goods lines,
    in COPY's text format) into new tables with the same columns, defaults and
    indexes, one table after the other: the database's share of an import with no
    Python at all (the reference checks and the queries left out)."""
    connection = _connect(url, name)
    seconds = {}
    for table in STORED:
        dump = folder / f"{table}.copy"
        with connection, connection.cursor() as cursor, open(dump, "w", encoding="utf-8") as out:
            cursor.copy_expert(f"COPY {table} TO STDOUT", out)
            cursor.execute(f"CREATE TABLE bare_{table} (LIKE {table} INCLUDING ALL)")
        settle(url)
        started = time.perf_counter()
        with connection, connection.cursor() as cursor, open(dump, encoding="utf-8") as handle:
            cursor.copy_expert(f"COPY bare_{table} FROM STDIN", handle)
        seconds[table] = time.perf_counter() - started
        dump.unlink()
        with connection, connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE bare_{table}")
    connection.close()
    return seconds


BARE_TABLE = """
CREATE TABLE bare_lines (
  declaration_number text, version integer, type_code text, direction text, office_code text,
  registered_on date, cleared_on date, channel integer, tax_code text, importer_name text,
  declarant_code text, partner_name text, partner_country text, origin_country text,
  export_country text, transport_mode text, incoterms text, currency text,
  exchange_rate numeric, invoice_value numeric, customs_value numeric, import_duty numeric,
  vat numeric, special_consumption_tax numeric, environmental_tax numeric, related_party integer,
  line_no integer, hs_code text, description text, quantity numeric, unit text,
  unit_price numeric, line_customs_value numeric, import_duty_rate numeric,
  line_import_duty numeric, vat_rate numeric, line_vat numeric,
  line_special_consumption_tax numeric, line_environmental_tax numeric,
  line_origin_country text, preference_code text
)"""


def plain_copy(url: str, name: str, path: Path) -> float:
    connection = _connect(url, name)
    with connection, connection.cursor() as cursor:
        cursor.execute(BARE_TABLE)
    started = time.perf_counter()
    with connection, connection.cursor() as cursor, open(path, encoding="utf-8") as handle:
        cursor.copy_expert("COPY bare_lines FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
    seconds = time.perf_counter() - started
    with connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE bare_lines")
    connection.close()
    return seconds


def child(args: list[str], env: dict) -> tuple[float, int, str]:
    """Run a child process; wall seconds, its own peak RSS (KiB) and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss, output


def reading_side(path: Path) -> int:
    """Prepare every chunk of the file as the import does, without a database."""
    from integrations import columnar
    from integrations.adapters import get_adapter
    from integrations.models import ImportBatch
    from integrations.pipeline import DeclarationSink

    adapter = get_adapter("vnaccs-csv")
    info = adapter.inspect(path)
    reader = columnar.ColumnarReader(
        path=path,
        header=info.header,
        plan=adapter.plan(info.header),
        adapter=adapter,
        sink=DeclarationSink(ImportBatch(source=adapter.name), adapter),
        delimiter=info.delimiter,
        quoted=info.quoted,
        chunk_rows=columnar.CHUNK_ROWS,
    )
    return sum(len(prepared.numbers) for prepared in reader.chunks())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--enterprises", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="keep the database and the file")
    parser.add_argument("--file", help="CSV file to write (default: a temporary file)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="plain COPY and first import pairs (median ratio)"
    )
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stq02.settings")
    import django

    django.setup()

    target_url, name = bench_url(url)
    env = {
        **os.environ,
        "DATABASE_URL": target_url,
        # Production mode: no query log kept by DEBUG.
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "k" * 50),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "ALLOWED_HOSTS": "localhost",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    # Migrated once; each pair of timings starts from a copy of it.
    template = name + "_template"
    recreate(url, template)
    python = sys.executable
    child([python, "manage.py", "migrate", "-v0"], {**env, "DATABASE_URL": named(url, template)})

    folder = Path(tempfile.mkdtemp(prefix="stq02-bench-"))
    path = Path(options.file) if options.file else folder / f"vnaccs-{options.lines}.csv"
    started = time.perf_counter()
    generate(path, options.lines, options.enterprises)
    size = path.stat().st_size
    print(
        f"file: {path} {options.lines:,} lines, {size / 1e6:,.1f} MB "
        f"(generated in {time.perf_counter() - started:.1f} s)"
    )

    command = [
        python,
        "manage.py",
        "import_data",
        "vnaccs-csv",
        str(path),
        "--quiet-progress",
        "--rejects-dir",
        str(folder),
    ]
    ratios = []
    for run in range(1, options.repeat + 1):
        recreate(url, name, template)
        settle(url)
        copy_s = plain_copy(url, name, path)
        copy_rate = options.lines / copy_s
        settle(url)
        first_s, first_rss, out = child(command, env)
        rate = options.lines / first_s
        ratios.append(rate / copy_rate)
        label = f"[{run}/{options.repeat}] " if options.repeat > 1 else ""
        print(f"{label}plain COPY into a bare table: {copy_s:.2f} s, {copy_rate:,.0f} rows/s")
        print(f"{label}pipeline:", out.strip().splitlines()[0])
        print(
            f"{label}pipeline (first import): {first_s:.2f} s, {rate:,.0f} rows/s, "
            f"peak RSS {first_rss / 1024:,.0f} MiB; ratio {ratios[-1]:.3f}"
        )
    drop(url, template)

    settle(url)
    again_s, again_rss, out = child(command, env)
    print("re-send:", out.strip().splitlines()[0])
    print(
        f"re-send (all unchanged): {again_s:.2f} s, {options.lines / again_s:,.0f} rows/s, "
        f"peak RSS {again_rss / 1024:,.0f} MiB"
    )
    print(f"re-send / first import speed: {first_s / again_s:.2f}")

    started = time.perf_counter()
    read = reading_side(path)
    read_s = time.perf_counter() - started
    print(
        f"reading side alone (Arrow read, checks, hashes; {read:,} declarations): "
        f"{read_s:.2f} s, {options.lines / read_s:,.0f} rows/s"
    )

    stored = stored_rows_copy(url, name, folder)
    floor_s = sum(stored.values())
    print(
        "the stored rows alone, COPY into tables with the same indexes (no Python): "
        f"{floor_s:.2f} s ({stored[STORED[0]]:.2f} s declarations, "
        f"{stored[STORED[1]]:.2f} s goods lines), {floor_s / copy_s:.2f}× the plain COPY"
    )

    if not options.keep:
        from django.db import connections

        connections.close_all()
        drop(url, name)
        if not options.file:
            path.unlink(missing_ok=True)
    if len(ratios) > 1:
        print("ratios:", " ".join(f"{r:.3f}" for r in ratios), "(median on the next line)")
    print(f"{statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()

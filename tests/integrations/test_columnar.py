"""The column-at-a-time path (Arrow) stores, counts and rejects exactly as the row
path does, whatever the file holds."""

import threading

import pytest
from django.db import connection

from declarations.models import Declaration, DeclarationLine
from declarations.services import digits_width
from enterprises.models import Enterprise
from integrations import columnar, pipeline, readers
from integrations.adapters import get_adapter
from integrations.fields import VND_TOTAL_MAX
from integrations.models import ImportBatch
from stq02.money import group_digits
from tests.integrations.samples import HEADER, TAX_B, declarations, line, write_csv


def _mixed_rows() -> list[dict]:
    rows = declarations(6, lines=3)  # 105000000001 .. 006, three lines each
    rows[4]["hs_code"] = "12"  # 002 rejected: a bad cell
    rows[7]["registered_on"] = "31/02/2026"  # 003 rejected: no such day
    rows[10]["line_no"] = "1"  # 004 rejected: line 1 twice
    # 005: valid cells written in other forms than the stored ones
    rows[12].update(registered_on="05/03/2026", tax_code=" 0100109106 ", direction="n")
    rows[13].update(partner_country="cn", incoterms=" CIF ", version="00")
    rows[14].update(invoice_value="1,000.50", related_party="có", line_customs_value="7.0")
    # 006: totals stated on the declaration, not summed from the lines
    for row in rows[15:18]:
        row.update(customs_value="99000000", vat="9900000")
    rows.append(line("105000000001", 9))  # scattered: rejected as already stored
    rows.append(
        line(
            "105000000010",
            1,
            tax_code=TAX_B,
            importer_name="Công ty CP Hải Sản, Biển Đông",
            # every character COPY's text format escapes, and its NULL marker
            description='Cá ngừ "đại dương"\nđông lạnh,\tnguyên con \\N\r(kho C:\\lạnh)',
        )
    )
    rows.append(line("105000000011", 1, line_customs_value="123456789012345678"))
    rows.append(line("105000000011", 2, line_customs_value="900000000000000000"))
    return rows


def _snapshot(batch: ImportBatch):
    stored = list(
        Declaration.objects.order_by("number", "version").values_list(
            "number",
            "version",
            "is_current",
            "content_hash",
            "enterprise__tax_code",
            "registered_on",
            "direction",
            "partner_country",
            "incoterms",
            "invoice_value",
            "related_party",
            "customs_value",
            "vat",
            "channel",
            "source_batch_id",
        )
    )
    lines = list(
        DeclarationLine.objects.order_by(
            "declaration__number", "declaration__version", "line_no"
        ).values_list(
            "declaration__number",
            "line_no",
            "hs_code",
            "description",
            "customs_value",
            "vat_rate",
            "import_duty_rate",
            "origin_country",
            "preference_code",
        )
    )
    rejections = list(
        batch.rejections.order_by("row_number", "field").values_list(
            "row_number", "field", "reason", "raw"
        )
    )
    counts = (batch.status, batch.new_count, batch.changed_count, batch.unchanged_count)
    return stored, lines, rejections, (*counts, batch.rejected_count, batch.rows_done)


def _both_paths(settings, path, *, chunk_rows=None, source="vnaccs-csv"):
    """Import ``path`` through each path into an empty database; both snapshots."""
    snapshots = []
    for columnar_on in (False, True):
        Declaration.objects.all().delete()
        Enterprise.objects.filter(declarations__isnull=True).delete()
        settings.INGEST_COLUMNAR = columnar_on
        batch = pipeline.import_file(source=source, path=path, chunk_rows=chunk_rows)
        batch.refresh_from_db()
        snapshots.append(_snapshot(batch))
        # the batch ids differ; compare everything else
        snapshots[-1] = (
            [row[:-1] for row in snapshots[-1][0]],
            *snapshots[-1][1:],
        )
    return snapshots


@pytest.mark.parametrize("chunk_rows", [None, 4, 6])
def test_a_mixed_file_gives_the_same_result_on_both_paths(world, tmp_path, settings, chunk_rows):
    path = write_csv(tmp_path / "mixed.csv", _mixed_rows())
    rows, columns = _both_paths(settings, path, chunk_rows=chunk_rows)
    assert columns == rows
    stored, lines, rejections, counts = columns
    assert counts == ("done", 5, 0, 0, 4, 22)
    rejected_rows = sorted({r[0] for r in rejections})
    assert rejected_rows == [4, 5, 6, 7, 8, 9, 10, 11, 12, 19]
    by_number = {s[0]: s for s in stored}
    assert by_number["105000000005"][5].isoformat() == "2026-03-05"
    assert by_number["105000000005"][6:10] == ("import", "CN", "CIF", by_number["105000000005"][9])
    assert str(by_number["105000000006"][11]) == "99000000"  # stated total kept
    assert str(by_number["105000000001"][11]) == str(3 * 25412700)  # summed from lines
    # Line amounts too long for a 64-bit sum are added exactly. (Django reads SQLite's
    # decimals back with 15 significant digits, so the exact figure shows on PostgreSQL.)
    if connection.vendor == "postgresql":
        assert str(by_number["105000000011"][11]) == "1023456789012345678"
    assert any("đông lạnh" in line_[3] for line_ in lines)


def test_text_limits_count_characters_not_bytes_on_both_paths(world, tmp_path, settings):
    # 500 Vietnamese letters are 1,000 bytes of UTF-8: within the description's limit
    # of 500 characters; 501 are not, on either path.
    rows = [
        line("105000000021", 1, description="đ" * 500),
        line("105000000022", 1, description="đ" * 501),
        line("105000000023", 1, description="d" * 501),
    ]
    path = write_csv(tmp_path / "long.csv", rows)
    rows_path, columns_path = _both_paths(settings, path)
    assert columns_path == rows_path
    stored, lines, rejections, _counts = columns_path
    assert [s[0] for s in stored] == ["105000000021"]
    assert lines[0][3] == "đ" * 500
    assert [(r[0], r[1]) for r in rejections] == [(2, "description"), (3, "description")]
    assert all("500" in r[2] for r in rejections)


def test_amounts_of_vnd_fit_what_is_stored_on_both_paths(world, tmp_path, settings):
    most = "9" * 18  # the longest amount a cell may give
    rows = [
        # ten lines of 18 nines add up to more than a total can hold (2^63 - 1)
        *(line("105000000031", k, line_customs_value=most) for k in range(1, 11)),
        # nine do not: the total is stored exactly
        *(line("105000000032", k, line_customs_value=most) for k in range(1, 10)),
        # ten again, but the declaration states its total: nothing is summed
        *(
            line("105000000033", k, line_customs_value=most, customs_value="5")
            for k in range(1, 11)
        ),
        line("105000000034", 1, line_customs_value="1" + "0" * 18),  # 19 digits
        # too large a customs value, whatever the other amounts (long, but summable)
        *(
            line("105000000035", k, line_customs_value=most, line_import_duty="1" * 16)
            for k in range(1, 11)
        ),
    ]
    path = write_csv(tmp_path / "amounts.csv", rows)
    rows_path, columns_path = _both_paths(settings, path)
    assert columns_path == rows_path
    stored, _lines, rejections, _counts = columns_path
    totals = {s[0]: s[11] for s in stored}
    assert sorted(totals) == ["105000000032", "105000000033"]
    assert totals["105000000032"] == 9 * (10**18 - 1)
    assert totals["105000000033"] == 5
    by_row = {r[0]: (r[1], r[2]) for r in rejections}
    assert sorted(by_row) == [*range(1, 11), 30, *range(31, 41)]
    assert by_row[31][0] == "customs_value"
    assert by_row[1][0] == "customs_value"
    assert group_digits(VND_TOTAL_MAX) in by_row[1][1]
    assert by_row[30][0] == "line_customs_value"
    assert "18" in by_row[30][1]


def test_resending_through_the_other_path_changes_nothing(world, tmp_path, settings):
    path = write_csv(tmp_path / "clean.csv", declarations(5, lines=3))
    settings.INGEST_COLUMNAR = True
    first = pipeline.import_file(source="vnaccs-csv", path=path)
    assert (first.new_count, first.rejected_count) == (5, 0)
    settings.INGEST_COLUMNAR = False
    again = pipeline.import_file(source="vnaccs-csv", path=path)
    assert (again.new_count, again.changed_count, again.unchanged_count) == (0, 0, 5)
    settings.INGEST_COLUMNAR = True
    third = pipeline.import_file(source="vnaccs-csv", path=path)
    assert (third.new_count, third.changed_count, third.unchanged_count) == (0, 0, 5)
    assert Declaration.objects.count() == 5


@pytest.mark.parametrize("columnar_on", [False, True])
@pytest.mark.parametrize("chunk_rows", [None, 2])
def test_resending_a_file_with_scattered_lines_changes_nothing(
    world, tmp_path, settings, columnar_on, chunk_rows
):
    """A declaration given again on later rows is refused as repeated on every
    send, also when the re-send finds its first part unchanged (and so writes
    nothing that would tell the database this batch saw it)."""
    rows = declarations(3, lines=2)  # 105000000001 .. 003
    rows.append(line("105000000001", 3))  # after 002 and 003: not consecutive
    path = write_csv(tmp_path / "scattered.csv", rows)
    settings.INGEST_COLUMNAR = columnar_on
    reasons = []
    for _send in range(2):
        batch = pipeline.import_file(source="vnaccs-csv", path=path, chunk_rows=chunk_rows)
        rejected = batch.rejections.get()
        assert rejected.row_number == 7
        assert "put all lines of a declaration on consecutive rows" in rejected.reason
        reasons.append(rejected.reason)
    assert (batch.new_count, batch.changed_count, batch.unchanged_count) == (0, 0, 3)
    assert batch.rejected_count == 1 and reasons[0] == reasons[1]
    first = Declaration.objects.get(number="105000000001")  # one version, its two lines
    assert (first.version, first.is_current) == (0, True)
    assert sorted(first.lines.values_list("line_no", flat=True)) == [1, 2]


def test_file_numbers_tell_the_numbers_of_committed_chunks():
    given = pipeline.FileNumbers()
    given.MERGE_AFTER = 2
    for start in range(0, 50, 10):  # five chunks: runs merged on the way
        given.add(f"{105000000000 + n:012d}" for n in range(start, start + 10))
    given.add(n for n in ["KCS-7", "105000000099"])  # not 12 digits: kept apart
    asked = ["105000000049", "105000000050", "105000000000", "KCS-7", "105000000007x"]
    assert given.among(asked) == {0, 2, 3}
    assert given.among(iter(["105000000099", "x"])) == {0}
    assert pipeline.FileNumbers().among(asked) == set()


def test_file_numbers_in_any_order_are_found_exactly_and_kept_in_four_bytes():
    """Chunks in number order (the usual export), out of order and overlapping,
    and numbers too far apart for 4-byte offsets: every number added is found,
    no other is, and a file in number order keeps 4 bytes a number."""
    import random

    shuffled = random.Random(7)

    def check(given, added, asked):
        numbers = [f"{n:012d}" for n in asked]
        expected = {k for k, n in enumerate(asked) if n in added}
        assert given.among(numbers) == expected

    in_order, added = pipeline.FileNumbers(), set()
    in_order.MERGE_AFTER = 2
    for start in range(105_000_000_000, 105_000_030_000, 1_000):  # thirty chunks
        chunk = range(start, start + 1_000, 2)  # every other number
        in_order.add(f"{n:012d}" for n in chunk)
        added.update(chunk)
        check(in_order, added, range(start - 1_500, start + 1_500))
    assert in_order.nbytes == 4 * len(added)

    any_order, added = pipeline.FileNumbers(), set()
    any_order.MERGE_AFTER = 2
    for _chunk in range(12):
        chunk = shuffled.sample(range(105_000_000_000, 105_000_005_000), 300)
        chunk += [999_999_999_000 + shuffled.randrange(999), 100_000_000_000]  # far apart
        any_order.add(f"{n:012d}" for n in chunk)
        added.update(chunk)
        asked = shuffled.sample(range(105_000_000_000, 105_000_005_000), 1_000)
        check(any_order, added, [*asked, 999_999_999_500, 100_000_000_000, 100_000_000_001])


def test_only_ascii_digits_of_one_length_count_as_plain_numbers():
    """What decides the int64 runs of FileNumbers and the range lookup of stored
    declarations: other digits (Python's isdigit takes "١٢٣") sort otherwise."""
    assert digits_width(["105000000001", "105000000002"]) == 12
    assert digits_width(["10500000000", "1050000000012"]) is None  # same total length
    assert digits_width(["١٠٥٠٠٠٠٠٠٠٠١", "105000000002"]) is None
    assert digits_width(["10500000000x"]) is None
    assert digits_width([]) is None
    given = pipeline.FileNumbers()
    given.add(["١٠٥٠٠٠٠٠٠٠٠١"])
    assert given.among(["105000000001", "١٠٥٠٠٠٠٠٠٠٠١"]) == {1}


def test_an_amendment_becomes_the_next_version(world, tmp_path, settings):
    settings.INGEST_COLUMNAR = True
    pipeline.import_file(
        source="vnaccs-csv", path=write_csv(tmp_path / "a.csv", declarations(2, lines=2))
    )
    amended = declarations(2, lines=2)
    amended[1]["line_customs_value"] = "30000000"
    batch = pipeline.import_file(source="vnaccs-csv", path=write_csv(tmp_path / "b.csv", amended))
    assert (batch.new_count, batch.changed_count, batch.unchanged_count) == (0, 1, 1)
    versions = list(
        Declaration.objects.filter(number="105000000001")
        .order_by("version")
        .values_list("version", "is_current", "customs_value")
    )
    assert [(v, c) for v, c, _value in versions] == [(0, False), (1, True)]
    assert versions[1][2] == 25412700 + 30000000


def test_semicolons_and_a_byte_order_mark(world, tmp_path, settings):
    path = tmp_path / "excel.csv"
    rows = declarations(3, lines=2)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write(";".join(HEADER) + "\r\n")
        for row in rows:
            handle.write(";".join(row[name] for name in HEADER) + "\r\n")
    rows_path, columns_path = _both_paths(settings, path)
    assert columns_path == rows_path
    assert columns_path[3][:2] == ("done", 3)


def test_a_blank_line_hands_the_rest_of_the_file_to_the_row_path(world, tmp_path, settings):
    path = write_csv(tmp_path / "blank.csv", declarations(4, lines=2))
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    text.insert(5, "\n")  # after the 4th data row
    text.insert(7, "105000000099,short row\n")  # splits declaration 003 in two
    path.write_text("".join(text), encoding="utf-8")
    rows_path, columns_path = _both_paths(settings, path, chunk_rows=2)
    assert columns_path == rows_path
    status, new, _changed, _unchanged, rejected, _done = columns_path[3]
    assert (status, new, rejected) == ("done", 4, 2)
    reasons = [reason for _row, _field, reason, _raw in columns_path[2]]
    assert "Row 7, field -: the row has 2 fields where the header has 41" in reasons[0]
    assert "already stored from earlier rows" in reasons[1]


def test_a_file_refused_by_its_inspection_stores_nothing_read_meanwhile(
    world, tmp_path, settings, monkeypatch
):
    """The columnar path reads and checks the first chunks while the file is
    inspected; a file the inspection then refuses (a byte that is not UTF-8 near
    its end) leaves nothing behind, and the reading stops."""
    settings.INGEST_COLUMNAR = True
    path = write_csv(tmp_path / "late.csv", declarations(6, lines=2))
    with open(path, "ab") as handle:
        handle.write(b"105000000099,0,A11,caf\xe9\n")
    prepared = threading.Event()
    real_prepare, real_inspect = columnar.ColumnarReader.prepare, readers.inspect_csv

    def prepare(self, *args, **kwargs):
        result = real_prepare(self, *args, **kwargs)
        prepared.set()
        return result

    def inspect_after_a_chunk(file_path):
        assert prepared.wait(timeout=30), "no chunk was read during the inspection"
        return real_inspect(file_path)

    monkeypatch.setattr(columnar, "BLOCK_BYTES", 1500)  # the bad byte in a later block
    monkeypatch.setattr(columnar.ColumnarReader, "prepare", prepare)
    monkeypatch.setattr(readers, "inspect_csv", inspect_after_a_chunk)
    batch = pipeline.import_file(source="vnaccs-csv", path=path, chunk_rows=2)

    assert batch.status == ImportBatch.Status.REFUSED
    assert "late.csv" in batch.error and "not UTF-8" in batch.error
    assert (Declaration.objects.count(), Enterprise.objects.count()) == (0, 0)
    assert not batch.rejections.exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("import-batch-")]


def test_the_path_is_chosen_for_csv_files_only(world, tmp_path, settings):
    settings.INGEST_COLUMNAR = True
    fresh = ImportBatch(source="vnaccs-csv")
    assert columnar.supported(get_adapter("vnaccs-csv"), fresh)
    assert not columnar.supported(get_adapter("vnaccs-xlsx"), fresh)
    assert not columnar.supported(get_adapter("kcs"), fresh)
    assert not columnar.supported(get_adapter("vcis"), fresh)
    assert not columnar.supported(get_adapter("vnaccs-csv"), ImportBatch(rows_done=10))
    settings.INGEST_COLUMNAR = False
    assert not columnar.supported(get_adapter("vnaccs-csv"), fresh)


def test_copy_writes_what_the_orm_would(world, tmp_path, settings):
    """On PostgreSQL the rows go in by COPY, in its text format written by Arrow: empty text stays
    empty, missing numbers take the field's default, nullable ones stay NULL."""
    rows = declarations(1, lines=2, cleared_on="", channel="", vat_rate="", exchange_rate="")
    rows[0]["partner_name"] = ""
    # the characters COPY's text format escapes, its NULL marker, a CSV quote
    special = 'Ống "inox"\t304, C:\\kho\\N\r\ndòng 2'
    rows[1]["description"] = special
    settings.INGEST_COLUMNAR = True
    pipeline.import_file(source="vnaccs-csv", path=write_csv(tmp_path / "c.csv", rows))
    stored = Declaration.objects.get()
    assert (stored.cleared_on, stored.channel, stored.exchange_rate) == (None, None, None)
    assert stored.partner_name == ""
    assert stored.import_duty == 0 and stored.related_party is False
    line_ = stored.lines.order_by("line_no").first()
    assert line_.vat_rate is None and line_.preference_code == ""
    assert stored.lines.get(line_no=2).description == special
    assert stored.source == "vnaccs-csv" and stored.is_current
    assert connection.vendor in ("postgresql", "sqlite")


# --- several writers (PostgreSQL): chunks written at the same time, committed in order --


def _writer_threads(monkeypatch, *, crash_on=None) -> list[str]:
    """Record the thread that stores each chunk; optionally fail the n-th one."""
    import threading

    seen: list[str] = []

    def stored(batch):
        seen.append(threading.current_thread().name)
        if crash_on is not None and len(seen) == crash_on:
            raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "chunk_stored", stored)
    return seen


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_store_what_one_writer_stores(world, tmp_path, settings, monkeypatch):
    path = write_csv(tmp_path / "mixed.csv", _mixed_rows())
    settings.INGEST_WRITERS = 2
    threads = _writer_threads(monkeypatch)
    rows, columns = _both_paths(settings, path, chunk_rows=3)
    assert columns == rows
    threads.clear()
    Declaration.objects.all().delete()
    pipeline.import_file(source="vnaccs-csv", path=path, chunk_rows=3)
    assert len(threads) == 7
    if connection.vendor == "postgresql":
        assert {name.split("_")[0] for name in threads} == {"import-writer"}
        assert len(set(threads)) == 2  # both writers took chunks
    else:  # SQLite has one writer at a time
        assert set(threads) == {"MainThread"}


@pytest.mark.django_db(transaction=True)
def test_each_writer_keeps_one_connection_for_the_batch_and_closes_it(
    world, tmp_path, settings, monkeypatch
):
    """Seven chunks, two writers: two database sessions in all (not one a chunk),
    and neither is left open once the batch is done."""
    from django.db import connection as own

    settings.INGEST_COLUMNAR = True
    settings.INGEST_WRITERS = 2
    sessions = []

    def stored(batch):
        if own.vendor == "postgresql":
            with own.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                sessions.append(cursor.fetchone()[0])
        else:
            sessions.append(id(own))

    monkeypatch.setattr(pipeline, "chunk_stored", stored)
    batch = pipeline.import_file(
        source="vnaccs-csv", path=write_csv(tmp_path / "seven.csv", _mixed_rows()), chunk_rows=3
    )
    assert batch.status == ImportBatch.Status.DONE and len(sessions) == 7
    if own.vendor == "postgresql":
        assert len(set(sessions)) == 2
        with own.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(set(sessions))]
            )
            assert cursor.fetchone()[0] == 0
    else:  # SQLite: the batch's own connection writes every chunk
        assert set(sessions) == {id(own)}


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_refuse_scattered_lines_on_every_send(
    world, tmp_path, settings, monkeypatch
):
    """Chunks written at the same time: the later part of a declaration waits for
    the chunk that gave its first part, so a re-send refuses it too."""
    rows = declarations(6, lines=2)
    rows += [line("105000000001", 3), line("105000000004", 3)]
    path = write_csv(tmp_path / "scattered.csv", rows)
    settings.INGEST_COLUMNAR = True
    settings.INGEST_WRITERS = 2
    threads = _writer_threads(monkeypatch)
    for _send in range(2):
        batch = pipeline.import_file(source="vnaccs-csv", path=path, chunk_rows=2)
        assert sorted(batch.rejections.values_list("row_number", flat=True)) == [13, 14]
    assert (batch.new_count, batch.changed_count, batch.unchanged_count) == (0, 0, 6)
    assert Declaration.objects.count() == 6 and DeclarationLine.objects.count() == 12
    if connection.vendor == "postgresql":
        assert len(set(threads)) == 2  # both writers took chunks


@pytest.mark.django_db(transaction=True)
def test_a_failed_chunk_rolls_back_the_ones_after_it(world, tmp_path, settings, monkeypatch):
    settings.INGEST_COLUMNAR = True
    settings.INGEST_WRITERS = 2
    path = write_csv(tmp_path / "big.csv", declarations(8, lines=2))
    _writer_threads(monkeypatch, crash_on=2)
    batch = pipeline.import_file(source="vnaccs-csv", path=path, chunk_rows=4)
    assert batch.status == ImportBatch.Status.FAILED
    assert "disk full" in batch.error
    batch.refresh_from_db()
    # The first chunk (rows 1-4) committed; nothing of a later chunk did.
    assert (batch.rows_done, batch.new_count) == (4, 2)
    assert Declaration.objects.count() == 2 and DeclarationLine.objects.count() == 4

    _writer_threads(monkeypatch)
    resumed = pipeline.run_batch(batch_id=batch.pk, chunk_rows=4)
    assert resumed.status == ImportBatch.Status.DONE
    assert (resumed.new_count, resumed.rows_done) == (8, 16)
    assert Declaration.objects.filter(is_current=True).count() == 8


def test_enterprises_written_before_the_row_path_took_over_are_promoted(
    world, tmp_path, settings, monkeypatch
):
    """Summaries start for an enterprise that reached the threshold in the part of
    the file Arrow read, although the row path finished the batch."""
    from declarations.models import SummarisedEnterprise

    settings.INGEST_COLUMNAR = True
    settings.ENTERPRISE_SUMMARY_THRESHOLD = 2
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 1500)  # a few rows per block
    rows = [*declarations(2, lines=1), line("105000000009", 1, tax_code=TAX_B)]
    path = write_csv(tmp_path / "handover.csv", rows)
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    text[3:3] = ["\n"] * 6  # after both declarations: Arrow reads them, then stops
    path.write_text("".join(text), encoding="utf-8")
    batch = pipeline.import_file(source="vnaccs-csv", path=path, chunk_rows=2)
    assert (batch.status, batch.new_count) == ("done", 3)
    summarised = SummarisedEnterprise.objects.values_list("enterprise__tax_code", flat=True)
    assert list(summarised) == ["0100109106"]

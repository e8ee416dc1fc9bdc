"""VNACCS CSV ingest: counts, idempotency, amendments, rejections, refusals, crashes."""

import codecs
import csv
import io

import pytest
from django.core.management import call_command

from declarations.models import Declaration, DeclarationLine
from enterprises.models import Enterprise
from integrations import pipeline
from integrations.models import ImportBatch
from integrations.selectors import write_rejections_csv
from tests.integrations.samples import HEADER, TAX_A, declarations, line, write_csv


@pytest.fixture
def units(world):
    return world


def run(path, **kwargs):
    return pipeline.import_file(source="vnaccs-csv", path=path, **kwargs)


def test_good_file_is_stored_with_lines_enterprise_and_office(units, tmp_path):
    path = write_csv(tmp_path / "tk.csv", declarations(3, lines=2))
    batch = run(path)
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.new_count, batch.changed_count, batch.unchanged_count, batch.rejected_count) == (
        3,
        0,
        0,
        0,
    )
    assert batch.rows_done == batch.rows_total == 6
    assert len(batch.sha256) == 64
    declaration = Declaration.objects.get(number="105000000001")
    assert declaration.is_current and declaration.version == 0
    assert declaration.lines.count() == 2
    assert declaration.customs_value == 2 * 25412700  # summed from the lines when not given
    assert declaration.customs_office == units.branch_a
    assert declaration.source == "vnaccs-csv" and declaration.source_batch_id == batch.pk
    enterprise = Enterprise.objects.get(tax_code=TAX_A)
    assert enterprise.name == "Công ty TNHH Thương mại An Phát"
    assert enterprise.managing_unit == units.branch_a  # the office's branch
    assert DeclarationLine.objects.count() == 6


def test_an_enterprise_first_seen_in_a_file_is_created_with_its_head_and_defaults(units, tmp_path):
    branch = f"{TAX_A}-002"
    rows = declarations(1, lines=1) + declarations(1, lines=1, start=105000000002, tax_code=branch)
    batch = run(write_csv(tmp_path / "tk.csv", rows))
    assert batch.new_count == 2
    head = Enterprise.objects.get(tax_code=TAX_A)
    created = Enterprise.objects.get(tax_code=branch)
    assert created.head == head  # new in the same chunk, created first
    assert created.managing_unit == units.branch_a
    assert (created.status, created.is_aeo, created.address) == (
        Enterprise.Status.ACTIVE,
        False,
        "",
    )
    assert created.created_at is not None and created.risk_level is None
    assert Declaration.objects.get(number="105000000002").enterprise == created


@pytest.mark.parametrize("stored", [3, 40], ids=["few-between", "many-between"])
def test_a_chunk_is_classified_against_its_own_numbers_only(units, tmp_path, stored):
    """Stored declarations are looked up as the range of numbers a chunk spans
    (PostgreSQL); the ones between its numbers that it does not hold stay as they
    are, however many there are."""
    run(write_csv(tmp_path / "all.csv", declarations(stored, lines=1)))
    last = str(105000000000 + stored)
    again = [
        row
        for row in declarations(stored, lines=1)
        if row["declaration_number"]
        in (
            "105000000001",
            last,
        )
    ]
    again[1]["line_customs_value"] = "30000000"  # the last one changed
    batch = run(write_csv(tmp_path / "ends.csv", again))
    assert (batch.new_count, batch.changed_count, batch.unchanged_count) == (0, 1, 1)
    assert Declaration.objects.filter(is_current=True).count() == stored
    assert Declaration.objects.get(number=last, is_current=True).version == 1
    assert Declaration.objects.filter(version__gt=0).count() == 1


def test_stored_declarations_are_found_whatever_their_numbers_hold(db):
    """Numbers that are not 12 digits, one with a comma among them (which the
    lookup's one-string form cannot carry), are found as stored: unchanged when
    the hash is the same, changed when not, new when absent."""
    from declarations.services import Classifier
    from tests.factories import DeclarationFactory

    comma = DeclarationFactory(number="KCS,7")
    plain = DeclarationFactory(number="KCS-8")
    split = Classifier(["KCS,7", "KCS-8", "KCS-9"], batch_id=None).split(
        ["KCS,7", "KCS-8", "KCS-9"], [0, 0, 0], [comma.content_hash, "f" * 32, "e" * 32]
    )
    assert (split.unchanged, split.changed, split.new) == (1, 1, 1)
    assert [index for index, _version in split.write] == [1, 2]
    assert plain.content_hash != "f" * 32


def test_resending_the_same_file_changes_nothing(units, tmp_path):
    path = write_csv(tmp_path / "tk.csv", declarations(4, lines=3))
    run(path, chunk_rows=5)
    before = (Declaration.objects.count(), DeclarationLine.objects.count())
    again = run(path, chunk_rows=5)
    assert (again.new_count, again.changed_count, again.unchanged_count) == (0, 0, 4)
    assert again.rejected_count == 0
    assert (Declaration.objects.count(), DeclarationLine.objects.count()) == before


def test_amendment_adds_a_version_and_keeps_the_old_one(units, tmp_path):
    run(write_csv(tmp_path / "v0.csv", declarations(2, lines=1)))
    amended = declarations(2, lines=1)
    amended[1]["line_customs_value"] = "30000000"
    amended[1]["version"] = "1"
    batch = run(write_csv(tmp_path / "v1.csv", amended))
    assert (batch.new_count, batch.changed_count, batch.unchanged_count) == (0, 1, 1)
    versions = Declaration.objects.filter(number="105000000002").order_by("version")
    assert [(d.version, d.is_current) for d in versions] == [(0, False), (1, True)]
    assert versions[0].customs_value == 25412700
    assert versions[1].customs_value == 30000000
    # A change without a new version number still becomes the next version.
    amended[1]["line_customs_value"] = "31000000"
    batch = run(write_csv(tmp_path / "v2.csv", amended))
    assert batch.changed_count == 1
    current = Declaration.objects.get(number="105000000002", is_current=True)
    assert current.version == 2 and current.customs_value == 31000000
    # Re-sending the first file does not move the current version back.
    batch = run(tmp_path / "v0.csv")
    assert batch.unchanged_count == 2
    assert Declaration.objects.get(number="105000000002", is_current=True).version == 2


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("declaration_number", "10500000001", "12 digits are required"),
        ("tax_code", "0100109107", "check digit"),
        ("hs_code", "8517130", "8 digits are required"),
        ("channel", "4", "one of 1, 2, 3"),
        ("registered_on", "2026-02-30", "a date written YYYY-MM-DD"),
        ("exchange_rate", "25,4x", "a number such as 1234.5"),
        ("currency", "US", "3 letters are required"),
        ("partner_country", "VNM", "2 letters are required"),
        ("line_customs_value", "12.5", "a whole amount of VND"),
        ("type_code", "", "a value is required"),
    ],
)
def test_a_bad_field_rejects_its_declaration_and_not_the_others(
    units, tmp_path, field, value, problem
):
    rows = declarations(3, lines=2)
    rows[2][field] = value  # second declaration, first line (file row 3)
    if field == "declaration_number":
        rows[3][field] = value  # keep the declaration's lines together
    batch = run(write_csv(tmp_path / "bad.csv", rows))
    assert batch.status == ImportBatch.Status.DONE
    assert batch.new_count == 2
    assert batch.rejected_count == 1
    assert Declaration.objects.count() == 2
    assert not Declaration.objects.filter(number="105000000002").exists()
    rejected = list(batch.rejections.order_by("row_number"))
    assert [r.row_number for r in rejected] == [3, 4]
    assert rejected[0].field == field
    assert rejected[0].reason.startswith(f"Row 3, field {field}: ")
    assert problem in rejected[0].reason
    assert rejected[0].raw[field] == value
    if field == "declaration_number":
        assert problem in rejected[1].reason  # both lines carry the bad number
    else:
        assert "row 3 of the same declaration was rejected" in rejected[1].reason


def test_rejected_rows_csv_can_be_corrected_and_sent_again(units, tmp_path):
    rows = declarations(2, lines=1)
    rows[1]["hs_code"] = "ABC"
    batch = run(write_csv(tmp_path / "bad.csv", rows))
    out = io.StringIO()
    write_rejections_csv(batch, csv.writer(out))
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(table) == 1
    assert table[0]["_row"] == "2" and table[0]["_field"] == "hs_code"
    assert table[0]["declaration_number"] == "105000000002"
    table[0]["hs_code"] = "85171300"
    corrected = write_csv(
        tmp_path / "corrected.csv", table, header=[*HEADER, "_row", "_field", "_reason"]
    )
    again = run(corrected)
    assert (again.new_count, again.rejected_count) == (1, 0)
    assert Declaration.objects.filter(number="105000000002").exists()


def test_repeated_line_number_and_scattered_lines_are_rejected(units, tmp_path):
    rows = [
        line("105000000001", 1),
        line("105000000001", 1),
        line("105000000002", 1),
        line("105000000003", 1),
        line("105000000002", 2),
    ]
    batch = run(write_csv(tmp_path / "dup.csv", rows), chunk_rows=1)
    reasons = {r.row_number: r.reason for r in batch.rejections.all()}
    assert "line number 1 is repeated (row 1)" in reasons[2]
    assert "put all lines of a declaration on consecutive rows" in reasons[5]
    assert batch.new_count == 2  # ...002 (its first part) and ...003
    assert batch.rejected_count == 2


def test_wrong_encoding_is_refused_naming_the_file(units, tmp_path):
    path = tmp_path / "latin.csv"
    rows = declarations(1, lines=1, importer_name="Société Générale", description="café")
    write_csv(path, rows, encoding="latin-1")
    batch = run(path)
    assert batch.status == ImportBatch.Status.REFUSED
    assert "latin.csv" in batch.error and "not UTF-8" in batch.error
    assert Declaration.objects.count() == 0


@pytest.mark.parametrize("block", [7, 8, 9, 10, 1 << 20])
def test_the_encoding_check_names_the_bad_byte_wherever_the_blocks_end(
    tmp_path, monkeypatch, block
):
    """The file is read in blocks: a character cut by a block's end is whole text,
    and a bad byte is named by its place in the file, whatever block holds it."""
    from integrations import readers

    monkeypatch.setattr(readers, "BLOCK", block)
    good = tmp_path / "good.csv"
    good.write_bytes("a,b\nỐng,đồng\nạ,ữ\n".encode())
    assert readers.inspect_csv(good).rows_total == 2
    bad = tmp_path / "bad.csv"
    data = "a,b\nỐng,đồng\n".encode() + b"caf\xe9,x\n"
    bad.write_bytes(data)
    with pytest.raises(readers.FileRefused) as refused:
        readers.inspect_csv(bad)
    where = data.index(0xE9)
    assert f"byte {where}," in str(refused.value)
    assert "line 3" in str(refused.value)  # in English under the test settings
    cut = tmp_path / "cut.csv"
    cut.write_bytes("a,b\nỐng,đồng\n".encode() + "ạ".encode()[:2])
    with pytest.raises(readers.FileRefused, match="truncated"):
        readers.inspect_csv(cut)


def test_utf16_is_refused_and_utf8_bom_is_accepted(units, tmp_path):
    utf16 = tmp_path / "u16.csv"
    write_csv(utf16, declarations(1, lines=1), encoding="utf-16")
    assert "UTF-16" in run(utf16).error
    bom = tmp_path / "bom.csv"
    write_csv(bom, declarations(1, lines=1), encoding="utf-8-sig")
    assert bom.read_bytes().startswith(codecs.BOM_UTF8)
    batch = run(bom)
    assert batch.status == ImportBatch.Status.DONE and batch.new_count == 1


def test_missing_columns_are_refused(units, tmp_path):
    header = [h for h in HEADER if h not in ("hs_code", "tax_code")]
    batch = run(write_csv(tmp_path / "cols.csv", declarations(1), header=header))
    assert batch.status == ImportBatch.Status.REFUSED
    assert "cols.csv" in batch.error
    assert "tax_code" in batch.error and "hs_code" in batch.error


def test_truncated_csv_keeps_good_rows_and_rejects_the_cut_one(units, tmp_path):
    path = write_csv(tmp_path / "cut.csv", declarations(2, lines=1))
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b",CN,")])  # the last row loses its last columns
    batch = run(path)
    assert batch.new_count == 1
    assert batch.rejected_count == 1
    rejected = batch.rejections.get()
    assert rejected.row_number == 2
    assert "the row has 39 fields where the header has 41" in rejected.reason


def test_crash_in_the_middle_leaves_whole_chunks_and_resume_completes(units, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "big.csv", declarations(6, lines=2))
    calls = {"n": 0}

    def crash_on_second_chunk(batch):
        calls["n"] += 1
        if calls["n"] == 2:  # the chunk's rows are written, then the process dies
            raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "chunk_stored", crash_on_second_chunk)
    batch = run(path, chunk_rows=4)
    assert batch.status == ImportBatch.Status.FAILED
    assert "disk full" in batch.error and "after row 4" in batch.error
    assert batch.rows_done == 4 and batch.new_count == 2
    assert Declaration.objects.count() == 2  # only the first, committed chunk
    assert DeclarationLine.objects.count() == 4

    monkeypatch.setattr(pipeline, "chunk_stored", lambda batch: None)
    resumed = pipeline.run_batch(batch_id=batch.pk, chunk_rows=4)
    assert resumed.status == ImportBatch.Status.DONE
    assert (resumed.new_count, resumed.unchanged_count, resumed.rejected_count) == (6, 0, 0)
    assert resumed.rows_done == 12
    assert Declaration.objects.count() == 6 and DeclarationLine.objects.count() == 12
    # Importing the file again as a new batch is safe too.
    again = run(path, chunk_rows=4)
    assert (again.new_count, again.unchanged_count) == (0, 6)


def test_a_batch_runs_once(units, tmp_path):
    batch = run(write_csv(tmp_path / "tk.csv", declarations(1)))
    again = pipeline.run_batch(batch_id=batch.pk)
    assert again.status == ImportBatch.Status.DONE
    assert Declaration.objects.count() == 1


def test_import_data_prints_counts_and_where_rejections_are(units, tmp_path, capsys):
    rows = declarations(2, lines=1)
    rows[1]["hs_code"] = "1"
    good = write_csv(tmp_path / "a.csv", rows)
    call_command(
        "import_data", "vnaccs-csv", str(good), "--quiet-progress", "--rejects-dir", str(tmp_path)
    )
    out = capsys.readouterr().out
    batch = ImportBatch.objects.get()
    assert f"batch {batch.pk} a.csv: done; new 1, changed 0, unchanged 0, rejected 1" in out
    assert f"/imports/{batch.pk}/rejected.csv" in out
    written = tmp_path / f"batch-{batch.pk}-a-rejected.csv"
    assert str(written) in out
    assert "hs_code" in written.read_text(encoding="utf-8-sig")


def test_import_data_exits_non_zero_when_a_file_is_refused(units, tmp_path, capsys):
    good = write_csv(tmp_path / "good.csv", declarations(1))
    bad = tmp_path / "bad.csv"
    bad.write_bytes("declaration_number;x\n\xff\xfe".encode("latin-1"))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_data", "vnaccs-csv", str(good), str(bad), "--quiet-progress")
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "good.csv: done; new 1" in captured.out
    assert "bad.csv: refused" in captured.out
    assert "File bad.csv is refused" in captured.err
    assert ImportBatch.objects.count() == 2


def test_import_data_refuses_an_unknown_source(units, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown file source"):
        call_command("import_data", "nope", str(tmp_path / "x.csv"))


def test_rejection_reasons_follow_the_batch_language(units, tmp_path):
    from django.utils import translation

    rows = declarations(1, lines=1, tax_code="0100109107")
    with translation.override("vi"):
        batch = pipeline.create_batch(
            source="vnaccs-csv", path=write_csv(tmp_path / "vi.csv", rows)
        )
    assert batch.language == "vi"
    batch = pipeline.run_batch(batch_id=batch.pk)
    assert "Chữ số kiểm tra của mã số thuế 0100109107 không đúng" in batch.rejections.get().reason


def test_import_data_resume_continues_a_failed_batch(units, tmp_path, monkeypatch, capsys):
    path = write_csv(tmp_path / "r.csv", declarations(4, lines=1))

    def crash(batch):
        if batch.rows_done >= 2:
            raise RuntimeError("killed")

    monkeypatch.setattr(pipeline, "chunk_stored", crash)
    with pytest.raises(SystemExit):
        call_command(
            "import_data", "vnaccs-csv", str(path), "--chunk-rows", "2", "--quiet-progress"
        )
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and batch.rows_done == 2
    monkeypatch.setattr(pipeline, "chunk_stored", lambda batch: None)
    call_command("import_data", "vnaccs-csv", "--resume", str(batch.pk), "--quiet-progress")
    assert f"batch {batch.pk} r.csv: done; new 4" in capsys.readouterr().out

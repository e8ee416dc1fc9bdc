"""XML, XLSX, KCS, VCIS, registry and tax-debt formats, and their broken files."""

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from declarations.models import Declaration, Outcome
from enterprises.models import Enterprise, RegistryChange, TaxDebt, Violation
from enterprises.validators import normalise_tax_code
from integrations import pipeline
from integrations.adapters.kcs import synthetic_tax_code
from integrations.models import ImportBatch
from tests.integrations.samples import HEADER, TAX_A, declarations, write_csv

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"


def fixture(name, tmp_path) -> Path:
    target = tmp_path / name
    shutil.copy(FIXTURES / name, target)
    return target


def run(source, path):
    return pipeline.import_file(source=source, path=path)


# --- XML -----------------------------------------------------------------------------


def test_xml_declarations_with_lines_and_a_bad_line(world, tmp_path):
    batch = run("vnaccs-xml", fixture("vnaccs_sample.xml", tmp_path))
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.new_count, batch.rejected_count, batch.rows_total) == (1, 1, 3)
    declaration = Declaration.objects.get()
    assert declaration.number == "105000000001"
    assert declaration.lines.count() == 2
    assert declaration.customs_office == world.branch_a
    rejected = batch.rejections.get()
    assert rejected.row_number == 3 and rejected.field == "hs_code"
    assert rejected.raw["declaration_number"] == "105000000002"
    assert run("vnaccs-xml", fixture("vnaccs_sample.xml", tmp_path)).unchanged_count == 1


def test_xml_and_csv_of_the_same_declaration_are_the_same(world, tmp_path):
    run("vnaccs-xml", fixture("vnaccs_sample.xml", tmp_path))
    rows = declarations(1, lines=2, cleared_on="2026-03-03", declarant_code="")
    for row in rows:
        row["preference_code"] = ""
    batch = run("vnaccs-csv", write_csv(tmp_path / "same.csv", rows))
    assert (batch.new_count, batch.changed_count, batch.unchanged_count) == (0, 0, 1)


def test_truncated_xml_is_refused_and_nothing_is_stored(world, tmp_path):
    path = fixture("vnaccs_sample.xml", tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 200])
    batch = run("vnaccs-xml", path)
    assert batch.status == ImportBatch.Status.REFUSED
    assert "vnaccs_sample.xml" in batch.error and "not well-formed XML" in batch.error
    assert Declaration.objects.count() == 0


def test_xml_entity_expansion_bomb_is_refused(world, tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        "<declarations><declaration><declaration_number>&c;</declaration_number>"
        "</declaration></declarations>",
        encoding="utf-8",
    )
    batch = run("vnaccs-xml", path)
    assert batch.status == ImportBatch.Status.REFUSED
    assert "bomb.xml" in batch.error and "DTD or entities" in batch.error


# --- XLSX ----------------------------------------------------------------------------


def write_xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        values = []
        for name in HEADER:
            value = row[name]
            if name in ("registered_on", "cleared_on") and value:
                value = dt.date.fromisoformat(value)
            elif name in ("line_no", "channel", "line_customs_value") and value:
                value = int(value)
            values.append(value)
        sheet.append(values)
    book.save(path)
    return path


def test_xlsx_as_officers_export_it(world, tmp_path):
    rows = declarations(2, lines=2)
    rows[3]["currency"] = "USDX"
    batch = run("vnaccs-xlsx", write_xlsx(tmp_path / "tk.xlsx", rows))
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.new_count, batch.rejected_count, batch.rows_total) == (1, 1, 4)
    declaration = Declaration.objects.get()
    assert declaration.registered_on == dt.date(2026, 3, 2)
    assert declaration.lines.count() == 2
    reasons = [r.field for r in batch.rejections.order_by("row_number")]
    assert reasons == ["", "currency"]
    again = run("vnaccs-xlsx", write_xlsx(tmp_path / "tk2.xlsx", rows))
    assert again.unchanged_count == 1 and again.new_count == 0


def test_truncated_xlsx_is_refused(world, tmp_path):
    path = write_xlsx(tmp_path / "cut.xlsx", declarations(3))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 300])
    batch = run("vnaccs-xlsx", path)
    assert batch.status == ImportBatch.Status.REFUSED
    assert "cut.xlsx" in batch.error and "XLSX" in batch.error


def test_a_csv_given_as_xlsx_is_refused(world, tmp_path):
    path = write_csv(tmp_path / "really.xlsx", declarations(1))
    batch = run("vnaccs-xlsx", path)
    assert batch.status == ImportBatch.Status.REFUSED


# --- KCS -----------------------------------------------------------------------------


def test_kcs_rows_become_declarations_with_outcomes(world, tmp_path):
    batch = run("kcs", fixture("kcs_sample.csv", tmp_path))
    assert (batch.new_count, batch.rejected_count) == (4, 1)
    assert batch.rejections.get().field == "hs6 code"
    declaration = Declaration.objects.get(number="9900" + "56839011")
    assert declaration.currency == "KRW"
    assert float(declaration.invoice_value) == pytest.approx(415092.72)
    assert declaration.customs_value == 7679215  # 415092.72 KRW x 18.5 = 7679215.32
    line = declaration.lines.get()
    assert line.hs_code == "76071100" and float(line.quantity) == pytest.approx(901.2)
    importer = synthetic_tax_code("importer", "SHHZGSL")
    assert normalise_tax_code(importer) == importer
    assert declaration.enterprise.tax_code == importer
    assert declaration.enterprise.name == "KCS importer SHHZGSL"
    declarant = Enterprise.objects.get(tax_code=declaration.declarant_code)
    assert declarant.name == "KCS declarant 76NV527"
    outcome = declaration.outcomes.get()
    assert (outcome.source, outcome.reference, outcome.violation_found) == (
        "kcs",
        "KCS-56839011",
        False,
    )
    fraud = Outcome.objects.get(reference="KCS-22601387")
    assert fraud.violation_found and fraud.critical == 2
    empty = Declaration.objects.get(number="9900" + "99950077")
    assert not empty.outcomes.exists()  # Fraud empty: imported without an outcome
    assert Outcome.objects.count() == 3
    assert run("kcs", fixture("kcs_sample.csv", tmp_path)).unchanged_count == 4


def test_kcs_tax_codes_are_stable():
    assert synthetic_tax_code("importer", "QLRUBN9") == synthetic_tax_code("importer", "QLRUBN9")
    assert synthetic_tax_code("importer", "QLRUBN9") != synthetic_tax_code("declarant", "QLRUBN9")


# --- VCIS, registry, tax debt ---------------------------------------------------------


def test_vcis_records_with_outcome_on_the_declaration(world, tmp_path):
    run("vnaccs-csv", write_csv(tmp_path / "tk.csv", declarations(1)))
    batch = run("vcis", fixture("vcis_sample.csv", tmp_path))
    assert (batch.new_count, batch.rejected_count) == (2, 1)
    assert batch.rejections.get().field == "tax_code"
    violation = Violation.objects.get(reference="VCIS-2026-0001")
    assert violation.enterprise.tax_code == TAX_A
    assert violation.fine == 15000000 and violation.kind == "violation"
    outcome = Outcome.objects.get(source="vcis", reference="VCIS-2026-0001")
    assert outcome.declaration == Declaration.objects.get(number="105000000001")
    assert outcome.additional_tax == 42000000 and outcome.violation_found
    assert not Outcome.objects.filter(reference="VCIS-2026-0002").exists()  # watch list
    again = run("vcis", fixture("vcis_sample.csv", tmp_path))
    assert (again.new_count, again.changed_count, again.unchanged_count) == (0, 0, 2)


def test_registry_creates_then_records_changes(world, tmp_path):
    batch = run("registry", fixture("registry_sample.csv", tmp_path))
    assert batch.new_count == 1
    enterprise = Enterprise.objects.get(tax_code=TAX_A)
    assert enterprise.managing_unit == world.branch_a  # the branch whose area holds province 01
    assert enterprise.legal_representative == "Nguyễn Văn An"
    assert enterprise.compliance_level == 3
    assert run("registry", fixture("registry_sample.csv", tmp_path)).unchanged_count == 1
    changed = tmp_path / "registry_2.csv"
    text = (FIXTURES / "registry_sample.csv").read_text(encoding="utf-8")
    changed.write_text(
        text.replace("12 Lê Lợi Hà Nội", "45 Trần Hưng Đạo Hà Nội")
        .replace("Nguyễn Văn An", "Trần Thị Bình")
        .replace("2026-01-15", "2026-02-20"),
        encoding="utf-8",
    )
    batch = run("registry", changed)
    assert batch.changed_count == 1
    changes = {c.field: (c.old_value, c.new_value) for c in RegistryChange.objects.all()}
    assert changes == {
        "address": ("12 Lê Lợi Hà Nội", "45 Trần Hưng Đạo Hà Nội"),
        "legal_representative": ("Nguyễn Văn An", "Trần Thị Bình"),
    }
    assert RegistryChange.objects.first().changed_on == dt.date(2026, 2, 20)


def test_tax_debt_statements(world, tmp_path):
    batch = run("tax-debt", fixture("tax_debt_sample.csv", tmp_path))
    assert (batch.new_count, batch.rejected_count) == (1, 1)
    assert batch.rejections.get().field == "amount"
    debt = TaxDebt.objects.get()
    assert debt.amount == 250000000 and debt.overdue_amount == 50000000
    assert debt.enterprise.name == "Công ty TNHH Thương mại An Phát"
    assert run("tax-debt", fixture("tax_debt_sample.csv", tmp_path)).unchanged_count == 1

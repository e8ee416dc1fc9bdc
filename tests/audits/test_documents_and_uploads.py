"""The step documents as PDF (text checked with pdftotext), their numbering per
unit and year, and the checks on attached files."""

import datetime as dt
import io
import shutil
import subprocess
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits import services
from audits.models import Attachment, CaseDocument
from stq02.errors import DomainError
from tests.audits.factories import SIGNED, drive, open_case

PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(document: CaseDocument) -> str:
    with document.file.open("rb") as handle:
        data = handle.read()
    result = subprocess.run([PDFTOTEXT, "-", "-"], input=data, capture_output=True, check=True)
    # Words wrapped inside a table cell come out on separate lines.
    return " ".join(result.stdout.decode().split())


def test_the_decision_is_a_numbered_vietnamese_pdf(world):
    case = drive(world, open_case(world), until="decision_signed")
    decision = case.documents.get(kind=CaseDocument.Kind.DECISION)
    year = dt.date.today().year
    assert decision.number == f"1/QĐ-{world.team_a.code}"
    assert decision.issued_on.year == year
    assert decision.file.name.endswith(".pdf")
    text = pdf_text(decision)
    assert "QUYẾT ĐỊNH" in text
    assert "Về việc kiểm tra sau thông quan" in text
    assert "Mẫu số 01/KTSTQ" in text
    assert decision.number in text
    assert case.enterprise.tax_code in text
    assert case.enterprise.name in text
    assert "Độc lập – Tự do – Hạnh phúc" in text
    assert "19/10/2026" in text  # the scheduled start
    assert "tại trụ sở cơ quan hải quan" in text


def test_decisions_of_a_unit_share_one_series_and_other_units_start_at_one(world):
    case = drive(world, open_case(world), until="decision_signed")
    services.perform(
        case=case, action="amended", user=world.head_a, data={"start_on": dt.date(2026, 10, 20)}
    )
    numbers = list(case.documents.order_by("pk").values_list("number", flat=True))
    assert numbers == [f"1/QĐ-{world.team_a.code}", f"2/QĐ-{world.team_a.code}"]
    other = open_case(world, unit=world.team_b, user=world.officer_b)
    drive_b = [
        ("proposed", {}),
        ("approved", {"planned_year": 2026}),
        ("team_assigned", {"lead": world.officer_b}),
        ("decision_signed", {"signed_on": SIGNED, "start_on": dt.date(2026, 10, 19)}),
    ]
    for action, data in drive_b:
        services.perform(case=other, action=action, user=world.head_b, data=data)
    assert other.documents.get().number == f"1/QĐ-{world.team_b.code}"
    amendment = case.documents.get(kind=CaseDocument.Kind.AMENDMENT)
    assert "20/10/2026" in pdf_text(amendment)


def test_every_step_document_renders(world):
    case = drive(world, open_case(world, kind="premises"))
    kinds = set(case.documents.values_list("kind", flat=True))
    assert kinds == {"decision", "notice", "announcement", "minutes", "conclusion"}
    conclusion = case.documents.get(kind="conclusion")
    text = pdf_text(conclusion)
    assert "KẾT LUẬN" in text
    assert "Không phát hiện vi phạm" in text
    minutes = case.documents.get(kind="minutes")
    assert "BIÊN BẢN" in pdf_text(minutes)


def test_findings_appear_in_the_result_notice(world):
    case = drive(world, open_case(world), until="minutes_recorded")
    declaration = case.declarations.first()
    services.record_finding(
        case=case,
        user=world.officer_a,
        declaration_number=declaration.number,
        issue="valuation",
        description="Khai thấp trị giá giao dịch",
        import_duty=12_000_000,
        vat=1_200_000,
        fine=2_000_000,
        assessed_on=dt.date(2026, 10, 26),
    )
    services.perform(
        case=case,
        action="result_notice_issued",
        user=world.head_a,
        data={"concluded_on": dt.date(2026, 10, 28)},
    )
    text = pdf_text(case.documents.get(kind="result_notice"))
    assert declaration.number in text
    assert "Khai thấp trị giá giao dịch" in text
    assert "13.200.000" in text
    assert "2.000.000" in text


# ---------------------------------------------------------------------------
# Attachments

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def office_file(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@pytest.fixture
def case(world):
    return open_case(world)


def attach(world, case, name, content):
    return services.attach_file(
        case=case,
        upload=SimpleUploadedFile(name, content),
        kind=Attachment.Kind.EVIDENCE,
        user=world.officer_a,
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("bien-ban-ky.pdf", PDF_BYTES, "application/pdf"),
        ("anh.PNG", PNG_BYTES, "image/png"),
        ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("giai-trinh.docx", office_file("docx"), "wordprocessingml"),
        ("bang-tinh.xlsx", office_file("xlsx"), "spreadsheetml"),
    ],
)
def test_allowed_files_are_kept_with_the_case(world, case, name, content, content_type):
    attachment = attach(world, case, name, content)
    assert content_type in attachment.content_type
    assert attachment.size == len(content)
    with attachment.file.open("rb") as handle:
        assert handle.read() == content
    assert case.events.filter(action="audits.case.attachment_added").exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("virus.exe", b"MZ\x90\x00" + b"\x00" * 32, "bad_type"),
        ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 32, "bad_type"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 32, "bad_type"),
        ("picture.pdf", PNG_BYTES, "spoofed_extension"),
        ("report.docx", office_file("xlsx"), "spoofed_extension"),
        ("page.html", b"<html><script>alert(1)</script>", "bad_type"),
    ],
)
def test_bad_or_spoofed_files_are_refused_naming_the_file(world, case, name, content, code):
    with pytest.raises(DomainError) as refused:
        attach(world, case, name, content)
    assert refused.value.code == code
    assert name in str(refused.value)
    assert not Attachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(world, case, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(DomainError) as refused:
        attach(world, case, "big.pdf", PDF_BYTES + b"0" * 2000)
    assert refused.value.code == "too_large"
    assert "big.pdf" in str(refused.value)
    assert "1024" in str(refused.value)

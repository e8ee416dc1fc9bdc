"""The step documents of a case as PDF (WeasyPrint), from HTML templates.

The forms are administrative documents issued in Vietnamese whatever the
officer's interface language, so the templates are written in Vietnamese and not
translated. ``stq02.pdf`` turns them into PDF.
"""

import datetime as dt

from django.template.loader import render_to_string
from django.utils import translation

from audits.models import AuditCase, CaseDocument
from stq02.pdf import html_to_pdf

TITLES = {
    CaseDocument.Kind.DECISION: ("01", "QUYẾT ĐỊNH", "Về việc kiểm tra sau thông quan"),
    CaseDocument.Kind.AMENDMENT: (
        "03",
        "QUYẾT ĐỊNH",
        "Về việc sửa đổi, bổ sung quyết định kiểm tra sau thông quan",
    ),
    CaseDocument.Kind.EXTENSION: (
        "04",
        "QUYẾT ĐỊNH",
        "Về việc gia hạn thời gian kiểm tra sau thông quan",
    ),
    CaseDocument.Kind.CONCLUSION: ("05", "KẾT LUẬN", "Kiểm tra sau thông quan"),
    CaseDocument.Kind.RESULT_NOTICE: (
        "06",
        "THÔNG BÁO",
        "Kết quả kiểm tra sau thông quan tại trụ sở cơ quan hải quan",
    ),
    CaseDocument.Kind.CANCELLATION: (
        "07",
        "QUYẾT ĐỊNH",
        "Về việc hủy quyết định kiểm tra sau thông quan",
    ),
    CaseDocument.Kind.MINUTES: ("08", "BIÊN BẢN", "Kiểm tra sau thông quan"),
    CaseDocument.Kind.ANNOUNCEMENT: (
        "09",
        "BIÊN BẢN",
        "Công bố quyết định kiểm tra sau thông quan",
    ),
    CaseDocument.Kind.NOTICE: ("", "THÔNG BÁO", "Về việc kiểm tra sau thông quan"),
}

KIND_VI = {
    AuditCase.Kind.OFFICE: "tại trụ sở cơ quan hải quan",
    AuditCase.Kind.PREMISES: "tại trụ sở người khai hải quan",
}
BASIS_VI = {
    AuditCase.LegalBasis.SIGNS_OF_VIOLATION: "có dấu hiệu vi phạm pháp luật hải quan",
    AuditCase.LegalBasis.RISK: "kết quả đánh giá, phân tích rủi ro",
    AuditCase.LegalBasis.COMPLIANCE: "đánh giá tuân thủ pháp luật",
    AuditCase.LegalBasis.ANNUAL_PLAN: "kế hoạch kiểm tra sau thông quan hằng năm",
}
CONTENT_VI = {
    AuditCase.Content.GENERAL: "việc chấp hành pháp luật hải quan, pháp luật thuế",
    AuditCase.Content.VALUATION: "trị giá hải quan",
    AuditCase.Content.CLASSIFICATION: "phân loại hàng hóa, áp dụng mức thuế",
    AuditCase.Content.ORIGIN: "xuất xứ hàng hóa, ưu đãi thuế quan",
    AuditCase.Content.PROCESSING: "gia công, sản xuất xuất khẩu, miễn thuế",
}


def context(*, case: AuditCase, kind: str, number: str, issued_on: dt.date) -> dict:
    form, title, subject = TITLES[kind]
    findings = list(case.findings.select_related("declaration"))
    return {
        "case": case,
        "kind": kind,
        "form": form,
        "title": title,
        "subject": subject,
        "number": number,
        "issued_on": issued_on,
        "kind_vi": KIND_VI[case.kind],
        "basis_vi": BASIS_VI[case.legal_basis],
        "content_vi": CONTENT_VI[case.content],
        "declarations": list(case.declarations.order_by("registered_on", "number")[:200]),
        "declaration_count": case.declarations.count(),
        "members": list(case.members.all()),
        "findings": findings,
        "total_tax": sum((f.tax_assessed for f in findings), 0),
        "total_fine": sum((f.fine for f in findings), 0),
        "decision": case.documents.filter(kind=CaseDocument.Kind.DECISION).first(),
    }


def render_html(*, case: AuditCase, kind: str, number: str, issued_on: dt.date) -> str:
    # Vietnamese number formats (12.000.000 ₫) whatever language the officer uses.
    with translation.override("vi"):
        return render_to_string(
            f"audits/documents/{kind}.html",
            context(case=case, kind=kind, number=number, issued_on=issued_on),
        )


def render_pdf(*, case: AuditCase, kind: str, number: str, issued_on: dt.date) -> bytes:
    return html_to_pdf(render_html(case=case, kind=kind, number=number, issued_on=issued_on))

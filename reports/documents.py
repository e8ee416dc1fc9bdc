"""The files of the reports: one table per unit with its total row (the sum of
the unit rows), the rows behind it, and for the audit results the chart of
assessed and collected by month. ``build`` returns the bytes and a file name;
Excel with openpyxl, PDF with WeasyPrint."""

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from reports import selectors
from reports.forms import period_from_parameters
from reports.models import ReportJob
from stq02 import charts
from stq02.money import group_digits
from stq02.pdf import html_to_pdf

# The official names of the reports, in Vietnamese whatever the page language
# (as the names of the audit forms are); the translated name follows beneath.
OFFICIAL_TITLES = {
    ReportJob.Kind.AUDIT_RESULTS: "BÁO CÁO KẾT QUẢ KIỂM TRA SAU THÔNG QUAN",
    ReportJob.Kind.RISK_CLASSIFICATION: "BÁO CÁO PHÂN LOẠI RỦI RO DOANH NGHIỆP",
    ReportJob.Kind.ENTERPRISE_LIST: "DANH SÁCH DOANH NGHIỆP XUẤT NHẬP KHẨU",
}
VND_FORMAT = '#,##0 "₫"'


@dataclass
class Column:
    key: str
    label: str
    money: bool = False
    number: bool = False
    in_pdf: bool = True  # the unit names make the PDF's by-unit tables too wide


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict]
    total: dict | None = None


@dataclass
class Report:
    official_title: str
    title: str
    subtitle: str
    tables: list[Table] = field(default_factory=list)
    chart: str = ""


def _by_unit(title: str, columns: list[Column], figures: dict) -> Table:
    """The unit rows of ``figures`` (each with its unit's ``code`` and ``name``)
    under ``columns``, and the total row beneath."""
    return Table(
        title,
        [Column("code", _("Unit")), Column("name", _("Name"), in_pdf=False), *columns],
        figures["rows"],
        {"code": _("Total"), "name": "", **figures["total"]},
    )


def _scope_label(job: ReportJob) -> str:
    return f"{job.unit.code} {job.unit.name}" if job.unit else _("All units")


def audit_results(job: ReportJob) -> Report:
    period = period_from_parameters(job.parameters)
    figures = selectors.statistics(user=job.requested_by, period=period, unit=job.unit)
    cases = selectors.case_rows(user=job.requested_by, period=period, unit=job.unit)
    money = [
        Column("tax", _("Tax assessed (VND)"), money=True),
        Column("fine", _("Fines (VND)"), money=True),
        Column("collected", _("Collected (VND)"), money=True),
        Column("appealed", _("Under appeal (VND)"), money=True),
        Column("written_off", _("Written off (VND)"), money=True),
    ]
    by_unit = _by_unit(
        _("By unit"),
        [
            Column("opened", _("Audits opened"), number=True),
            Column("office", _("At the office"), number=True),
            Column("premises", _("At the premises"), number=True),
            Column("started", _("Started"), number=True),
            Column("closed", _("Closed"), number=True),
            *money,
            Column("outstanding", _("Outstanding (VND)"), money=True),
        ],
        figures,
    )
    ageing = Table(
        _("Outstanding by days since assessment, as of %(day)s")
        % {"day": f"{figures['ageing']['as_of']:%d/%m/%Y}"},
        [Column("label", _("Age")), Column("amount", _("Outstanding (VND)"), money=True)],
        [{"label": str(r["label"]), "amount": r["amount"]} for r in figures["ageing"]["rows"]],
        {"label": _("Total"), "amount": figures["ageing"]["total"]},
    )
    behind = Table(
        _("Cases"),
        [
            Column("number", _("Case")),
            Column("unit", _("Unit")),
            Column("tax_code", _("Tax code")),
            Column("enterprise", _("Enterprise")),
            Column("kind", _("Kind")),
            Column("state", _("State")),
            Column("started_on", _("Started")),
            Column("closed_on", _("Closed")),
            *money,
        ],
        cases,
    )
    return Report(
        OFFICIAL_TITLES[job.kind],
        _("Audit results"),
        _("%(scope)s, %(start)s – %(end)s")
        % {
            "scope": _scope_label(job),
            "start": f"{period.start:%d/%m/%Y}",
            "end": f"{period.end:%d/%m/%Y}",
        },
        [by_unit, ageing, behind],
        statistics_chart(figures),
    )


def risk_classification(job: ReportJob) -> Report:
    data = selectors.risk_classification(user=job.requested_by, unit=job.unit)
    run = data["run"]
    by_unit = _by_unit(
        _("By unit"),
        [
            Column("audit", _("Audit subjects"), number=True),
            Column("monitoring", _("Monitoring subjects"), number=True),
            Column("not_audited", _("Not yet audited"), number=True),
            Column("scored", _("Enterprises scored"), number=True),
        ],
        data,
    )
    behind = Table(
        _("Audit and monitoring subjects"),
        [
            Column("unit", _("Unit")),
            Column("tax_code", _("Tax code")),
            Column("name", _("Enterprise")),
            Column("klass", _("Class")),
            Column("score", _("Score")),
            Column("fired", _("Criteria fired")),
        ],
        [
            {
                "unit": s.enterprise.managing_unit.code if s.enterprise.managing_unit else "",
                "tax_code": s.enterprise.tax_code,
                "name": s.enterprise.name,
                "klass": str(s.get_klass_display()),
                "score": round(s.score, 3),
                "fired": s.fired_codes.strip(),
            }
            for s in data["details"]
        ],
    )
    subtitle = (
        _("%(scope)s, scoring run of %(day)s")
        % {"scope": _scope_label(job), "day": f"{run.as_of:%d/%m/%Y}"}
        if run
        else _("%(scope)s: no scoring run yet") % {"scope": _scope_label(job)}
    )
    return Report(OFFICIAL_TITLES[job.kind], _("Risk classification"), subtitle, [by_unit, behind])


def enterprise_list(job: ReportJob) -> Report:
    data = selectors.enterprise_list(user=job.requested_by, unit=job.unit)
    by_unit = _by_unit(
        _("By managing unit"),
        [
            Column("count", _("Enterprises"), number=True),
            Column("active", _("Active"), number=True),
            Column("aeo", _("AEO"), number=True),
            Column("low_compliance", _("Compliance 4–5"), number=True),
        ],
        data,
    )
    behind = Table(
        _("Enterprises"),
        [
            Column("unit", _("Unit")),
            Column("tax_code", _("Tax code")),
            Column("name", _("Name")),
            Column("status", _("Status")),
            Column("compliance", _("Compliance level")),
            Column("risk", _("Risk level")),
        ],
        [
            {
                "unit": e.managing_unit.code if e.managing_unit else "",
                "tax_code": e.tax_code,
                "name": e.name,
                "status": str(e.get_status_display()),
                "compliance": e.compliance_level or "",
                "risk": e.risk_level or "",
            }
            for e in data["details"].iterator(chunk_size=2000)
        ],
    )
    return Report(
        OFFICIAL_TITLES[job.kind], _("Enterprise list"), _scope_label(job), [by_unit, behind]
    )


BUILDERS = {
    ReportJob.Kind.AUDIT_RESULTS: audit_results,
    ReportJob.Kind.RISK_CLASSIFICATION: risk_classification,
    ReportJob.Kind.ENTERPRISE_LIST: enterprise_list,
}


def build(job: ReportJob, *, progress=lambda percent: None) -> tuple[bytes, str]:
    report = BUILDERS[job.kind](job)
    progress(40)
    if job.format == ReportJob.Format.XLSX:
        content = to_xlsx(report, progress=progress)
    else:
        content = to_pdf(report, progress=progress)
    progress(95)
    scope = job.unit.code if job.unit else "all"
    return content, f"{job.kind}-{scope}-{job.pk}-{timezone.localdate():%Y%m%d}.{job.format}"


def to_xlsx(report: Report, *, progress=lambda percent: None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for index, table in enumerate(report.tables):
        sheet = book.create_sheet(table.title[:31].replace("/", "-").replace(":", ""))
        sheet.append([column.label for column in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        rows = [*table.rows, *([table.total] if table.total else [])]
        for row in rows:
            sheet.append([_cell(row.get(column.key)) for column in table.columns])
        for position, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=position).column_letter
            sheet.column_dimensions[letter].width = max(12, min(40, len(column.label) + 2))
            if column.money:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                    cell.number_format = VND_FORMAT
        if table.total:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        progress(40 + 50 * (index + 1) // len(report.tables))
    book.properties.title = f"{report.official_title} – {report.subtitle}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if isinstance(value, Decimal):
        return int(value)
    return value if value is not None else ""


def to_pdf(report: Report, *, progress=lambda percent: None) -> bytes:
    tables = [
        {
            "title": table.title,
            "columns": [column for column in table.columns if column.in_pdf],
            "rows": [_pdf_cells(table, row) for row in table.rows],
            "total": _pdf_cells(table, table.total) if table.total else None,
        }
        for table in report.tables
    ]
    html = render_to_string("reports/pdf.html", {"report": report, "tables": tables})
    progress(60)
    return html_to_pdf(html)


def _pdf_cells(table: Table, row: dict) -> list[dict]:
    cells = []
    for column in table.columns:
        if not column.in_pdf:
            continue
        value = row.get(column.key)
        if column.money:
            text = group_digits(value, language="vi")
        elif hasattr(value, "strftime"):
            text = f"{value:%d/%m/%Y}"
        else:
            text = "" if value is None else str(value)
        cells.append({"text": text, "num": column.money or column.number})
    return cells


def statistics_chart(figures: dict) -> str:
    months = figures["months"]
    return charts.bar_chart(
        [f"{m:%m/%y}" for m in months["months"]],
        {
            _("Assessed (VND)"): [months["assessed"][m] for m in months["months"]],
            _("Collected (VND)"): [months["collected"][m] for m in months["months"]],
        },
        title=_("Assessed and collected by month"),
    )

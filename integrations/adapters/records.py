"""VCIS records, enterprise registry entries and tax debt statements: one row,
one record. docs/formats/vcis.md, registry.md and tax-debt.md list the columns."""

from integrations.adapters.base import Adapter
from integrations.fields import Column, boolean, choice, date, digits, integer, tax_code, text, vnd

VCIS_KIND = choice(
    "violation",
    "sanction",
    "smuggling",
    "watchlist",
    aliases={
        "vi_pham": "violation",
        "xu_phat": "sanction",
        "buon_lau": "smuggling",
        "theo_doi": "watchlist",
    },
)
STATUS = choice(
    "active",
    "suspended",
    "dissolved",
    aliases={"hoat_dong": "active", "tam_ngung": "suspended", "giai_the": "dissolved"},
)

VCIS_COLUMNS = (
    Column("reference", "Số hồ sơ vụ việc", "Record reference", text(40), True),
    Column("tax_code", "Mã số thuế", "Tax code", tax_code, True),
    Column("enterprise_name", "Tên doanh nghiệp", "Enterprise name", text(300), key="name"),
    Column("kind", "Loại hồ sơ", "Kind (violation/sanction/smuggling/watchlist)", VCIS_KIND, True),
    Column("decided_on", "Ngày quyết định", "Decision date", date, True),
    Column("description", "Nội dung vi phạm", "Description", text(2000)),
    Column("fine", "Tiền phạt", "Fine (VND)", vnd),
    Column("additional_tax", "Thuế truy thu", "Additional tax (VND)", vnd),
    Column("is_grave", "Vi phạm nghiêm trọng", "Grave violation (0/1)", boolean),
    Column("declaration_number", "Số tờ khai", "Declaration number", digits(12)),
)

REGISTRY_COLUMNS = (
    Column("tax_code", "Mã số thuế", "Tax code", tax_code, True),
    Column("name", "Tên doanh nghiệp", "Name", text(300), True),
    Column("name_en", "Tên tiếng Anh", "English name", text(300)),
    Column("address", "Địa chỉ trụ sở", "Registered address", text(400)),
    Column("province", "Mã tỉnh/thành phố", "Province code", text(8)),
    Column(
        "legal_representative", "Người đại diện theo pháp luật", "Legal representative", text(200)
    ),
    Column("business_lines", "Ngành nghề kinh doanh", "Business lines", text(4000)),
    Column("founded_on", "Ngày thành lập", "Founding date", date),
    Column("status", "Tình trạng hoạt động", "Status (active/suspended/dissolved)", STATUS),
    Column("is_aeo", "Doanh nghiệp ưu tiên (AEO)", "AEO / priority (0/1)", boolean),
    Column("compliance_level", "Mức tuân thủ", "Compliance level (1–5)", integer(1, 5)),
    Column("risk_level", "Mức rủi ro", "Risk level (1–9)", integer(1, 9)),
    Column("as_of", "Ngày thay đổi / ngày dữ liệu", "Date of the change / of the data", date, True),
)

TAX_DEBT_COLUMNS = (
    Column("tax_code", "Mã số thuế", "Tax code", tax_code, True),
    Column("enterprise_name", "Tên doanh nghiệp", "Enterprise name", text(300), key="name"),
    Column("as_of", "Ngày số liệu", "As of", date, True),
    Column("amount", "Tổng số nợ thuế", "Tax debt (VND)", vnd, True),
    Column("overdue_amount", "Nợ quá hạn trên 90 ngày", "Overdue more than 90 days (VND)", vnd),
    Column("oldest_due_on", "Hạn nộp sớm nhất chưa nộp", "Oldest unpaid due date", date),
)


class Vcis(Adapter):
    name = "vcis"
    label = "VCIS violation and sanction records (CSV)"
    kind = "violations"
    columns = VCIS_COLUMNS


class VcisHttp(Vcis):
    name = "vcis-http"
    label = "VCIS records (HTTP pull)"
    file_format = "http"


class Registry(Adapter):
    name = "registry"
    label = "Enterprise registry (CSV)"
    kind = "registry"
    columns = REGISTRY_COLUMNS


class RegistryHttp(Registry):
    name = "registry-http"
    label = "Enterprise registry (HTTP pull)"
    file_format = "http"


class TaxDebt(Adapter):
    name = "tax-debt"
    label = "Tax debt (CSV)"
    kind = "tax_debt"
    columns = TAX_DEBT_COLUMNS


class TaxDebtHttp(TaxDebt):
    name = "tax-debt-http"
    label = "Tax debt (HTTP pull)"
    file_format = "http"

"""VNACCS declarations: one row per goods line, the declaration's fields repeated
on each of its lines (as officers export them from VNACCS/ECUS). The same columns
serve the CSV, XLSX, XML and HTTP forms; docs/formats/vnaccs.md lists them."""

from integrations.adapters.base import Adapter
from integrations.fields import (
    Column,
    boolean,
    choice,
    date,
    decimal,
    digits,
    integer,
    letters,
    tax_code,
    text,
    vnd,
)

D, L = "declaration", "line"

DIRECTION = choice(
    "import", "export", aliases={"n": "import", "x": "export", "nhap": "import", "xuat": "export"}
)

COLUMNS = (
    Column("declaration_number", "Số tờ khai", "Declaration number", digits(12), True, "number"),
    Column("version", "Lần sửa đổi", "Amendment version", integer(0, 99)),
    Column("type_code", "Mã loại hình", "Type code", text(3), True),
    Column("direction", "Nhập/Xuất", "Direction (import/export)", DIRECTION, True),
    Column("office_code", "Mã cơ quan hải quan", "Customs office code", text(10), True),
    Column("registered_on", "Ngày đăng ký", "Registration date", date, True),
    Column("cleared_on", "Ngày thông quan", "Clearance date", date),
    Column("channel", "Mã phân luồng", "Channel (1 green, 2 yellow, 3 red)", choice("1", "2", "3")),
    Column("tax_code", "Mã số thuế người XNK", "Importer/exporter tax code", tax_code, True),
    Column("importer_name", "Tên người XNK", "Importer/exporter name", text(300)),
    Column("declarant_code", "Mã người khai", "Declarant code", text(20)),
    Column("partner_name", "Tên đối tác", "Trading partner", text(300)),
    Column("partner_country", "Nước đối tác", "Partner country (ISO 2)", letters(2)),
    Column("origin_country", "Nước xuất xứ", "Country of origin (ISO 2)", letters(2)),
    Column("export_country", "Nước xuất khẩu/đến", "Country of export/destination", letters(2)),
    Column("transport_mode", "Phương thức vận chuyển", "Transport mode", text(4)),
    Column("incoterms", "Điều kiện giao hàng", "Incoterms", text(3)),
    Column("currency", "Mã tiền tệ", "Currency (ISO 3)", letters(3)),
    Column("exchange_rate", "Tỷ giá", "Exchange rate (VND per unit)", decimal),
    Column("invoice_value", "Trị giá hóa đơn", "Invoice value (currency)", decimal),
    Column("customs_value", "Trị giá tính thuế", "Customs value (VND)", vnd),
    Column("import_duty", "Thuế XNK", "Import/export duty (VND)", vnd),
    Column("vat", "Thuế GTGT", "VAT (VND)", vnd),
    Column("special_consumption_tax", "Thuế TTĐB", "Special consumption tax (VND)", vnd),
    Column("environmental_tax", "Thuế BVMT", "Environmental protection tax (VND)", vnd),
    Column("related_party", "Quan hệ đặc biệt", "Related-party trade (0/1)", boolean),
    Column("line_no", "Số dòng hàng", "Goods line number", integer(1, 999), True, level=L),
    Column("hs_code", "Mã số hàng hóa (HS)", "HS code (8 digits)", digits(8), True, level=L),
    Column("description", "Mô tả hàng hóa", "Description", text(500), level=L),
    Column("quantity", "Số lượng", "Quantity", decimal, level=L),
    Column("unit", "Đơn vị tính", "Unit", text(10), level=L),
    Column("unit_price", "Đơn giá hóa đơn", "Unit price (currency)", decimal, level=L),
    Column(
        "line_customs_value", "Trị giá tính thuế dòng", "Line customs value (VND)", vnd, level=L
    ),
    Column("import_duty_rate", "Thuế suất XNK (%)", "Duty rate (%)", decimal, level=L),
    Column("line_import_duty", "Tiền thuế XNK dòng", "Line duty (VND)", vnd, level=L),
    Column("vat_rate", "Thuế suất GTGT (%)", "VAT rate (%)", decimal, level=L),
    Column("line_vat", "Tiền thuế GTGT dòng", "Line VAT (VND)", vnd, level=L),
    Column("line_special_consumption_tax", "Thuế TTĐB dòng", "Line SCT (VND)", vnd, level=L),
    Column("line_environmental_tax", "Thuế BVMT dòng", "Line EPT (VND)", vnd, level=L),
    Column("line_origin_country", "Xuất xứ dòng", "Line origin (ISO 2)", letters(2), level=L),
    Column(
        "preference_code", "Mã ưu đãi / C/O", "Preferential tariff / C/O form", text(10), level=L
    ),
)

# Target key in a checked row -> goods line field.
LINE_KEYS = {
    "line_no": "line_no",
    "hs_code": "hs_code",
    "description": "description",
    "quantity": "quantity",
    "unit": "unit",
    "unit_price": "unit_price",
    "line_customs_value": "customs_value",
    "import_duty_rate": "import_duty_rate",
    "line_import_duty": "import_duty",
    "vat_rate": "vat_rate",
    "line_vat": "vat",
    "line_special_consumption_tax": "special_consumption_tax",
    "line_environmental_tax": "environmental_tax",
    "line_origin_country": "origin_country",
    "preference_code": "preference_code",
}


class VnaccsCsv(Adapter):
    name = "vnaccs-csv"
    label = "VNACCS declarations (CSV)"
    columns = COLUMNS
    line_keys = LINE_KEYS


class VnaccsXlsx(VnaccsCsv):
    name = "vnaccs-xlsx"
    label = "VNACCS declarations (XLSX)"
    file_format = "xlsx"


class VnaccsXml(VnaccsCsv):
    name = "vnaccs-xml"
    label = "VNACCS declarations (XML)"
    file_format = "xml"
    record_tag = "declaration"
    child_tag = "line"


class VnaccsHttp(VnaccsCsv):
    name = "vnaccs-http"
    label = "VNACCS declarations (HTTP pull)"
    file_format = "http"

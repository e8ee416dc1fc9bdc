"""Small VNACCS rows and files for the ingest tests."""

import csv
from pathlib import Path

from enterprises.validators import make_tax_code
from integrations.adapters.vnaccs import COLUMNS

HEADER = [c.name for c in COLUMNS]
TAX_A = make_tax_code("010010910")  # 0100109106
TAX_B = make_tax_code("030012345") or make_tax_code("030012346")


def line(number="105000000001", line_no=1, **overrides) -> dict:
    row = {
        "declaration_number": number,
        "version": "0",
        "type_code": "A11",
        "direction": "import",
        "office_code": "KV-A",
        "registered_on": "2026-03-02",
        "cleared_on": "2026-03-03",
        "channel": "1",
        "tax_code": TAX_A,
        "importer_name": "Công ty TNHH Thương mại An Phát",
        "declarant_code": "",
        "partner_name": "Shenzhen Trading Co.",
        "partner_country": "CN",
        "origin_country": "CN",
        "export_country": "CN",
        "transport_mode": "2",
        "incoterms": "CIF",
        "currency": "USD",
        "exchange_rate": "25400",
        "invoice_value": "1000.50",
        "customs_value": "",
        "import_duty": "",
        "vat": "",
        "special_consumption_tax": "",
        "environmental_tax": "",
        "related_party": "0",
        "line_no": str(line_no),
        "hs_code": "85171300",
        "description": "Điện thoại di động",
        "quantity": "10",
        "unit": "PCE",
        "unit_price": "100.05",
        "line_customs_value": "25412700",
        "import_duty_rate": "0",
        "line_import_duty": "0",
        "vat_rate": "10",
        "line_vat": "2541270",
        "line_special_consumption_tax": "0",
        "line_environmental_tax": "0",
        "line_origin_country": "CN",
        "preference_code": "",
    }
    row.update(overrides)
    return row


def declarations(count: int, lines: int = 2, start: int = 105000000001, **overrides) -> list[dict]:
    return [
        line(str(start + n), line_no=k + 1, **overrides) for n in range(count) for k in range(lines)
    ]


def write_csv(path: Path, rows: list[dict], header=None, encoding="utf-8") -> Path:
    header = header or HEADER
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path

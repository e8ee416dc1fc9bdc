"""The public KCS customs import declarations data set (shared/data/kcs).

One row is one goods item of a Korean import declaration, labelled by the
inspection that followed (Fraud 0/1, Critical Fraud 0/1/2). Each row becomes a
declaration with one goods line and, when Fraud is given, an outcome. The
mapping (docs/formats/kcs.md):

- number: ``99`` + the Declaration ID zero-padded to 10 digits (12 digits, a
  prefix that VNACCS numbers do not use);
- Importer ID and Declarant ID: a synthetic enterprise each, with a valid tax
  code derived from the id (:func:`synthetic_tax_code`), the same on every run;
- HS6 code: padded with ``00`` to 8 digits;
- Item Price (KRW): invoice value in KRW; customs value in VND at the fixed rate
  :data:`KRW_TO_VND`;
- Outcome: source ``kcs``, reference ``KCS-<Declaration ID>``, violation found =
  Fraud, severity = Critical Fraud. A row whose Fraud is empty has no outcome.
"""

import hashlib
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from enterprises.validators import make_tax_code
from integrations.adapters.base import Adapter
from integrations.fields import BadValue, Column, RowError, choice, date, letters, text

KRW_TO_VND = Decimal("18.5")  # fixed, documented: about the 2020–2021 average rate
NUMBER_PREFIX = "99"


def _kcs_id(value: str) -> str:
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        raise BadValue(_("a Declaration ID of at most 10 digits is required"))
    return value


_kcs_id.kind = "up to 10 digits"


def _kcs_number(value: str) -> str:
    """KCS numbers carry float noise (``86125.20000000001``): rounded to 4 decimals."""
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise BadValue(_("a number is required, not “%(value)s”") % {"value": value[:40]}) from None
    if not number.is_finite() or abs(number) >= 10**15:
        raise BadValue(_("a number is required, not “%(value)s”") % {"value": value[:40]})
    return format(number.quantize(Decimal("0.0001")).normalize(), "f")


_kcs_number.kind = "number (rounded to 4 decimals)"


def synthetic_tax_code(role: str, kcs_id: str) -> str:
    """A valid 10-digit tax code derived from a KCS id: the first nine digits come
    from SHA-256 of ``kcs:<role>:<id>``; if no check digit fits, the next nine-digit
    number is tried. Deterministic, so a re-run links to the same enterprise."""
    seed = int.from_bytes(hashlib.sha256(f"kcs:{role}:{kcs_id}".encode()).digest()[:8], "big")
    while True:
        code = make_tax_code(f"{seed % 1_000_000_000:09d}")
        if code:
            return code
        seed += 1


COLUMNS = (
    Column("declaration id", "Số tờ khai (KCS)", "Declaration ID", _kcs_id, True),
    Column("date", "Ngày đăng ký", "Date", date, True),
    Column("office id", "Mã cơ quan hải quan", "Office ID", text(6), True),
    Column("process type", "Loại xử lý", "Process Type", text(4)),
    Column("import type", "Loại hình nhập", "Import Type", text(3)),
    Column("import use", "Mục đích nhập", "Import Use", text(4)),
    Column("payment type", "Phương thức thanh toán", "Payment Type", text(4)),
    Column("mode of transport", "Phương thức vận chuyển", "Mode of Transport", text(4)),
    Column("declarant id", "Mã người khai", "Declarant ID", text(20), True),
    Column("importer id", "Mã người nhập khẩu", "Importer ID", text(20), True),
    Column("seller id", "Mã người bán", "Seller ID", text(20)),
    Column("courier id", "Mã chuyển phát", "Courier ID", text(20)),
    Column("hs6 code", "Mã HS 6 số", "HS6 Code", text(6), True),
    Column("country of departure", "Nước xuất khẩu", "Country of Departure", letters(2)),
    Column("country of origin", "Nước xuất xứ", "Country of Origin", letters(2)),
    Column("tax rate", "Thuế suất (%)", "Tax Rate (%)", _kcs_number),
    Column("tax type", "Loại thuế suất", "Tax Type", text(10)),
    Column("country of origin indicator", "Chỉ dẫn xuất xứ", "Origin indicator", text(4)),
    Column("net mass", "Khối lượng tịnh (kg)", "Net Mass (kg)", _kcs_number),
    Column("item price", "Trị giá (KRW)", "Item Price (KRW)", _kcs_number, True),
    Column("fraud", "Vi phạm", "Fraud (0/1)", choice("0", "1")),
    Column(
        "critical fraud", "Vi phạm nghiêm trọng", "Critical Fraud (0/1/2)", choice("0", "1", "2")
    ),
)


class Kcs(Adapter):
    name = "kcs"
    label = "KCS public declarations data set (CSV)"
    columns = COLUMNS

    def map(self, typed: dict) -> dict:
        kcs_id = typed["declaration id"]
        hs6 = typed["hs6 code"]
        if len(hs6) != 6 or not hs6.isdigit():
            raise RowError("hs6 code", _("6 digits are required, not “%(value)s”") % {"value": hs6})
        price = Decimal(typed["item price"])
        mass = Decimal(typed["net mass"]) if typed.get("net mass") else Decimal(0)
        customs_value = (price * KRW_TO_VND).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        unit_price = (price / mass).quantize(Decimal("0.0001")) if mass > 0 else price
        importer = synthetic_tax_code("importer", typed["importer id"])
        declarant = synthetic_tax_code("declarant", typed["declarant id"])
        notes = [
            f"{label} {typed[key]}"
            for key, label in (
                ("process type", "process"),
                ("import use", "use"),
                ("payment type", "payment"),
                ("country of origin indicator", "origin indicator"),
                ("courier id", "courier"),
            )
            if typed.get(key)
        ]
        record = {
            "number": NUMBER_PREFIX + kcs_id.zfill(10),
            "version": "0",
            "type_code": typed.get("import type") or "",
            "direction": "import",
            "office_code": f"KCS{typed['office id']}",
            "registered_on": typed["date"],
            "cleared_on": typed["date"],
            "channel": "",
            "tax_code": importer,
            "importer_name": f"KCS importer {typed['importer id']}",
            "declarant_code": declarant,
            "partner_name": f"KCS seller {typed['seller id']}" if typed.get("seller id") else "",
            "partner_country": typed.get("country of departure", ""),
            "origin_country": typed.get("country of origin", ""),
            "export_country": typed.get("country of departure", ""),
            "transport_mode": typed.get("mode of transport", ""),
            "currency": "KRW",
            "exchange_rate": str(KRW_TO_VND),
            "invoice_value": typed["item price"],
            "customs_value": str(customs_value),
            "line_no": "1",
            "hs_code": hs6 + "00",
            "description": "; ".join(notes)[:500],
            "quantity": typed.get("net mass", ""),
            "unit": "KGM",
            "unit_price": str(unit_price),
            "line_customs_value": str(customs_value),
            "import_duty_rate": typed.get("tax rate", ""),
            "line_origin_country": typed.get("country of origin", ""),
            "preference_code": typed.get("tax type", ""),
            "extra_enterprises": [(declarant, f"KCS declarant {typed['declarant id']}")],
        }
        if typed.get("fraud"):
            record["outcomes"] = [
                {
                    "source": "kcs",
                    "reference": f"KCS-{kcs_id}",
                    "decided_on": typed["date"],
                    "violation_found": typed["fraud"] == "1",
                    "critical": int(typed.get("critical fraud") or 0),
                    "note": "",
                }
            ]
        return record

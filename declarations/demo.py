"""Demo and benchmark data, step three: declarations with goods lines, amendments,
inspection and VCIS outcomes, and the VCIS records of the violations found.

Any scale: rows are produced in chunks and written with PostgreSQL's COPY (other
databases: ``executemany``), so memory stays flat and 5 million goods lines take
minutes. The same seed and sizes give the same numbers, values and taxes;
dates are counted back from today, so the three years always end this month.

Money is computed in integers: a unit price is held in ten-thousandths of the
currency, an exchange rate in ten-thousandths of a dong, and each tax is
rounded half up to the dong, line by line; a declaration's totals are the sums
of its lines.

The planted behaviours recorded by ``enterprises.demo`` shape the data:
undervaluation (unit prices 40–60% of the HS norm in ``CATALOGUE``), origin
switching (Chinese goods declared as ASEAN/Korean origin with a preferential
form in the last year), volume jumps (about five times the declarations in the
last six months) and related-party trade (imports from a foreign parent, at
lower prices). Inspections of those enterprises find violations far more often.
"""

import datetime as dt
import hashlib
import random
from bisect import bisect
from collections import defaultdict
from itertools import accumulate

from django.db import connection, transaction
from django.utils import timezone

from declarations import summaries
from declarations.models import Declaration, DeclarationLine, Outcome
from enterprises.demo import SECTOR_BY_VSIC
from enterprises.models import Enterprise, PlantedRisk, Violation
from enterprises.validators import make_tax_code
from stq02 import bulk
from stq02.models import Unit

CHUNK_LINES = 50_000
DAYS = 3 * 365
B = PlantedRisk.Behaviour

# sector -> [(HS code, description, unit, norm unit price in USD, duty %, VAT %,
#             special consumption %, environmental tax in VND per unit, quantity range,
#             directions "i"/"e")]
# fmt: off
CATALOGUE = {
    "textile": [
        ("52084200", "Vải dệt thoi từ bông, đã nhuộm", "MTK", 2.8, 12, 10, 0, 0, (500, 40000), "i"),
        ("54075200", "Vải dệt thoi từ sợi filament polyester", "MTK", 1.9, 12, 10, 0, 0, (800, 60000), "i"),
        ("96062200", "Khuy bằng kim loại cơ bản", "KGM", 12.0, 20, 10, 0, 0, (20, 800), "i"),
        ("62034200", "Quần dài nam bằng bông", "PCE", 6.5, 0, 0, 0, 0, (500, 30000), "e"),
        ("61091000", "Áo phông dệt kim bằng bông", "PCE", 3.2, 0, 0, 0, 0, (1000, 50000), "e"),
    ],
    "electronics": [
        ("85171300", "Điện thoại thông minh", "PCE", 180.0, 0, 10, 0, 0, (50, 5000), "ie"),
        ("85423100", "Mạch tích hợp – bộ xử lý và bộ điều khiển", "PCE", 4.5, 0, 10, 0, 0, (1000, 200000), "i"),
        ("85340090", "Mạch in", "PCE", 1.2, 0, 10, 0, 0, (2000, 300000), "i"),
        ("85287292", "Máy thu hình màu", "PCE", 210.0, 25, 10, 0, 0, (20, 2000), "ie"),
        ("85044090", "Bộ nguồn cấp điện", "PCE", 3.5, 0, 10, 0, 0, (500, 80000), "ie"),
    ],
    "food": [
        ("04022120", "Sữa bột nguyên kem", "KGM", 3.6, 5, 10, 0, 0, (1000, 40000), "i"),
        ("19059080", "Bánh quy ngọt", "KGM", 2.9, 25, 10, 0, 0, (500, 20000), "ie"),
        ("21069099", "Chế phẩm thực phẩm khác", "KGM", 8.0, 15, 10, 0, 0, (100, 10000), "i"),
        ("17019990", "Đường tinh luyện", "KGM", 0.55, 40, 10, 0, 0, (5000, 200000), "i"),
    ],
    "wood": [
        ("44071190", "Gỗ thông đã cưa xẻ", "MTQ", 260.0, 0, 10, 0, 0, (10, 600), "i"),
        ("44123300", "Gỗ dán", "MTQ", 420.0, 8, 10, 0, 0, (5, 300), "i"),
        ("94036090", "Đồ nội thất bằng gỗ", "PCE", 85.0, 0, 0, 0, 0, (50, 3000), "e"),
        ("94016100", "Ghế khung gỗ có đệm", "PCE", 55.0, 0, 0, 0, 0, (100, 5000), "e"),
    ],
    "steel": [
        ("72083990", "Thép không hợp kim cán nóng dạng cuộn", "TNE", 560.0, 0, 10, 0, 0, (20, 3000), "i"),
        ("72104912", "Thép mạ kẽm", "TNE", 780.0, 10, 10, 0, 0, (10, 1500), "ie"),
        ("72139190", "Thép dây cuộn", "TNE", 590.0, 5, 10, 0, 0, (20, 2000), "i"),
        ("73089099", "Kết cấu bằng thép", "KGM", 1.6, 0, 0, 0, 0, (5000, 300000), "e"),
    ],
    "plastics": [
        ("39011099", "Polyetylen dạng nguyên sinh", "KGM", 1.15, 3, 10, 0, 0, (5000, 200000), "i"),
        ("39021040", "Polypropylen dạng hạt", "KGM", 1.1, 3, 10, 0, 0, (5000, 200000), "i"),
        ("39232119", "Túi nhựa polyetylen", "KGM", 2.0, 15, 10, 0, 50000, (500, 20000), "ie"),
        ("39269099", "Sản phẩm khác bằng plastic", "KGM", 4.5, 20, 10, 0, 0, (200, 20000), "ie"),
    ],
    "chemicals": [
        ("28151100", "Natri hydroxit dạng rắn", "KGM", 0.45, 0, 10, 0, 0, (5000, 300000), "i"),
        ("38249999", "Chế phẩm hóa học khác", "KGM", 2.2, 3, 10, 0, 0, (500, 50000), "i"),
        ("32089090", "Sơn và vecni", "KGM", 3.8, 10, 10, 0, 0, (500, 40000), "ie"),
        ("29051200", "Propan-1-ol", "KGM", 1.4, 0, 10, 0, 0, (2000, 80000), "i"),
    ],
    "machinery": [
        ("84798210", "Máy trộn, máy nhào", "PCE", 3200.0, 0, 10, 0, 0, (1, 40), "i"),
        ("84439990", "Bộ phận của máy in", "PCE", 45.0, 0, 10, 0, 0, (100, 10000), "i"),
        ("84713020", "Máy tính xách tay", "PCE", 520.0, 0, 10, 0, 0, (20, 3000), "i"),
        ("84818099", "Van công nghiệp", "PCE", 38.0, 5, 10, 0, 0, (50, 5000), "i"),
        ("84151010", "Máy điều hòa không khí", "PCE", 310.0, 25, 10, 0, 0, (20, 2000), "ie"),
    ],
    "auto": [
        ("87032363", "Ô tô con dung tích 1.500–2.000 cc, nguyên chiếc", "PCE", 19000.0, 70, 10, 40, 0, (1, 30), "i"),
        ("87089999", "Bộ phận và phụ tùng khác của ô tô", "KGM", 7.5, 15, 10, 0, 0, (200, 20000), "i"),
        ("40111000", "Lốp ô tô con bằng cao su", "PCE", 42.0, 25, 10, 0, 0, (100, 5000), "ie"),
        ("87112010", "Mô tô dung tích 50–250 cc", "PCE", 900.0, 75, 10, 20, 0, (5, 300), "i"),
    ],
    "footwear": [
        ("41079900", "Da thuộc đã gia công", "MTK", 9.0, 0, 10, 0, 0, (500, 30000), "i"),
        ("56039400", "Vải không dệt", "KGM", 3.1, 12, 10, 0, 0, (500, 30000), "i"),
        ("64039990", "Giày có mũ bằng da thuộc", "PR", 18.0, 0, 0, 0, 0, (500, 40000), "e"),
        ("64041190", "Giày thể thao", "PR", 11.0, 0, 0, 0, 0, (1000, 60000), "e"),
    ],
    "seafood": [
        ("03061719", "Tôm đông lạnh", "KGM", 9.5, 0, 0, 0, 0, (1000, 40000), "e"),
        ("16052990", "Tôm đã chế biến", "KGM", 12.0, 0, 0, 0, 0, (500, 20000), "e"),
        ("03046200", "Phi lê cá tra đông lạnh", "KGM", 2.6, 0, 0, 0, 0, (5000, 100000), "e"),
        ("03038919", "Cá đông lạnh khác", "KGM", 1.8, 15, 5, 0, 0, (2000, 50000), "i"),
    ],
    "agri": [
        ("09011110", "Cà phê Robusta chưa rang", "KGM", 2.3, 0, 0, 0, 0, (10000, 500000), "e"),
        ("10063099", "Gạo trắng", "KGM", 0.55, 0, 0, 0, 0, (20000, 1000000), "e"),
        ("08013200", "Nhân hạt điều đã bóc vỏ", "KGM", 6.2, 0, 0, 0, 0, (2000, 80000), "e"),
        ("23040090", "Khô dầu đậu tương", "KGM", 0.45, 0, 5, 0, 0, (50000, 2000000), "i"),
        ("10059090", "Ngô hạt", "KGM", 0.25, 0, 5, 0, 0, (50000, 2000000), "i"),
    ],
    "pharma": [
        ("30049099", "Thuốc khác đã đóng gói để bán lẻ", "KGM", 38.0, 0, 5, 0, 0, (50, 5000), "i"),
        ("30021500", "Sản phẩm miễn dịch", "KGM", 900.0, 0, 5, 0, 0, (1, 100), "i"),
        ("29411019", "Amoxicillin và muối của nó", "KGM", 28.0, 0, 5, 0, 0, (100, 5000), "i"),
    ],
    "beverage": [
        ("22042111", "Rượu vang nho, nồng độ dưới 15%", "LTR", 5.5, 50, 10, 35, 0, (500, 20000), "i"),
        ("22030091", "Bia đóng lon", "LTR", 0.9, 35, 10, 65, 0, (5000, 200000), "ie"),
        ("22083000", "Rượu whisky", "LTR", 16.0, 45, 10, 65, 0, (200, 10000), "i"),
        ("22021010", "Nước khoáng có ga", "LTR", 0.4, 30, 10, 0, 0, (5000, 100000), "ie"),
    ],
    "fuel": [
        ("27101224", "Xăng động cơ RON 95", "LTR", 0.72, 10, 10, 10, 4000, (100000, 5000000), "i"),
        ("27101943", "Dầu diesel", "LTR", 0.7, 7, 10, 0, 2000, (100000, 5000000), "i"),
        ("27111900", "Khí dầu mỏ hóa lỏng", "KGM", 0.62, 5, 10, 0, 0, (50000, 2000000), "i"),
        ("27011290", "Than đá loại khác", "TNE", 95.0, 0, 10, 0, 30000, (1000, 50000), "i"),
    ],
}
# fmt: on
EXPORT_HEAVY = {"textile", "footwear", "seafood", "agri", "wood"}
IMPORT_HEAVY = {"auto", "pharma", "beverage", "fuel", "chemicals", "machinery"}

# fmt: off
SUPPLIERS = [("CN", 35), ("KR", 12), ("JP", 10), ("TH", 7), ("US", 6), ("TW", 6), ("DE", 4),
             ("MY", 4), ("IN", 4), ("ID", 3), ("SG", 3), ("AU", 2), ("FR", 2), ("IT", 2)]
BUYERS = [("US", 25), ("CN", 12), ("JP", 10), ("KR", 8), ("DE", 6), ("NL", 4), ("AU", 4),
          ("GB", 3), ("FR", 3), ("CA", 3), ("SG", 3), ("TH", 2), ("AE", 2)]
SUPPLIER_COUNTRIES = {country for country, _weight in SUPPLIERS}
BUYER_COUNTRIES = {country for country, _weight in BUYERS}
CITIES = {
    "CN": ["Shenzhen", "Guangzhou", "Ningbo", "Shanghai", "Xiamen"], "KR": ["Seoul", "Busan"],
    "JP": ["Tokyo", "Osaka", "Nagoya"], "TH": ["Bangkok"], "US": ["Los Angeles", "Houston"],
    "TW": ["Taipei", "Kaohsiung"], "DE": ["Hamburg", "Munich"], "MY": ["Kuala Lumpur"],
    "IN": ["Mumbai", "Chennai"], "ID": ["Jakarta"], "SG": ["Singapore"], "AU": ["Sydney"],
    "FR": ["Lyon"], "IT": ["Milano"], "NL": ["Rotterdam"], "GB": ["London"], "CA": ["Toronto"],
    "AE": ["Dubai"], "HK": ["Hong Kong"],
}
PARTNER_WORDS = ["Golden Bridge", "Pacific", "Evergreen", "Sunrise", "Orient Star", "Great Wall",
                 "Blue Ocean", "Harvest", "Summit", "Crown", "Lotus", "Silver Line", "Horizon"]
# The preferential form (C/O) a country's goods may claim.
PREFERENCES = {"CN": "E", "KR": "AK", "JP": "VJ", "TH": "D", "MY": "D", "ID": "D", "SG": "D",
               "IN": "AI", "AU": "AANZ", "DE": "EUR.1", "FR": "EUR.1", "IT": "EUR.1"}
# Where planted origin switching claims Chinese goods come from.
SWITCH_TO = ["MY", "TH", "KR", "ID"]
# VND per unit of each currency, in ten-thousandths of a dong.
CURRENCIES = {"USD": 254_000_000, "EUR": 276_000_000, "JPY": 1_680_000, "CNY": 35_200_000,
              "KRW": 184_000}
CURRENCY_OF = {"JP": [("JPY", 4), ("USD", 6)], "CN": [("USD", 7), ("CNY", 3)],
               "KR": [("USD", 7), ("KRW", 3)], "DE": [("EUR", 8), ("USD", 2)],
               "FR": [("EUR", 8), ("USD", 2)], "IT": [("EUR", 8), ("USD", 2)],
               "NL": [("EUR", 8), ("USD", 2)]}
IMPORT_TYPES = [("A11", 45), ("A12", 25), ("E21", 10), ("E31", 10), ("G11", 5), ("A41", 5)]
EXPORT_TYPES = [("B11", 70), ("E52", 15), ("E62", 10), ("G21", 5)]
INCOTERMS_IMPORT = [("CIF", 45), ("CFR", 15), ("FOB", 20), ("EXW", 8), ("DAP", 7), ("FCA", 5)]
INCOTERMS_EXPORT = [("FOB", 55), ("CIF", 20), ("FCA", 10), ("EXW", 5), ("DAP", 10)]
# VNACCS transport modes: 1 air, 2 sea (container), 3 sea (bulk), 4 road, 5 rail, 9 other.
TRANSPORT = [("2", 55), ("3", 8), ("1", 15), ("4", 18), ("5", 2), ("9", 2)]
# Goods lines per declaration: mostly one to three, a few long ones (mean about 4.5).
LINE_COUNTS = [1] * 35 + [2, 3] * 15 + [4, 5, 6, 7, 8] * 5 + [12, 15, 20, 25, 30] * 2
# Big ports and border gates where many enterprises declare outside their own branch.
HUB_OFFICES = ["KV02-03", "KV03-02", "KV01-01", "KV18-01", "KV07-01", "KV02-02"]
# fmt: on


def _pick(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _dec4(value_e4: int) -> str:
    """An integer in ten-thousandths as a decimal literal: 1234567 -> "123.4567"."""
    sign = "-" if value_e4 < 0 else ""
    value_e4 = abs(value_e4)
    return f"{sign}{value_e4 // 10000}.{value_e4 % 10000:04d}"


def _percent(base: int, rate: int) -> int:
    """``rate``% of ``base`` dong, rounded half up to the dong."""
    return (base * rate + 50) // 100


def line_amounts(*, item, quantity: int, price_e4: int, rate_e4: int, direction: str, pref: str):
    """Customs value and taxes of one goods line, in whole dong."""
    _hs, _desc, _unit, _norm, duty_rate, vat_rate, sct_rate, env_per_unit, _q, _d = item
    value = (quantity * price_e4 * rate_e4 + 50_000_000) // 100_000_000
    if direction == "export":
        return value, 0, 0, 0, 0, 0, 0
    if pref:
        duty_rate = 0 if pref in ("D", "E", "AK", "VJ") else duty_rate // 2
    duty = _percent(value, duty_rate)
    sct = _percent(value + duty, sct_rate)
    env = quantity * env_per_unit
    vat = _percent(value + duty + sct + env, vat_rate)
    return value, duty_rate, duty, vat_rate, vat, sct, env


class _Writer:
    """Rows of several models, written in bulk per chunk: COPY on PostgreSQL,
    ``executemany`` elsewhere. Fields a row leaves out get their model default."""

    def __init__(self, models):
        self.postgres = connection.vendor == "postgresql"
        self.rows = {model: [] for model in models}
        self.columns = {}
        self.defaults = {}
        for model in models:
            fields = [
                f
                for f in model._meta.concrete_fields
                if not (f.primary_key and model is not Declaration)
            ]
            self.columns[model] = fields
            self.defaults[model] = {
                f.attname: (None if f.null and not f.has_default() else f.get_default())
                for f in fields
            }

    def add(self, model, row: dict) -> None:
        self.rows[model].append(row)

    def flush(self) -> None:
        for model, rows in self.rows.items():
            if rows:
                self._write(model, rows)
                rows.clear()

    def _write(self, model, rows):
        fields = self.columns[model]
        defaults = self.defaults[model]
        names = [f.attname for f in fields]
        table = model._meta.db_table
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            if self.postgres:
                bulk.copy_rows(
                    cursor.cursor,
                    model,
                    fields,
                    ([bulk.copy_text(row.get(n, defaults[n])) for n in names] for row in rows),
                )
            else:
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - model columns
                    [[_plain(row.get(n, defaults[n])) for n in names] for row in rows],
                )


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Trader:
    """What the generator needs to know about one enterprise."""

    __slots__ = (
        "aeo",
        "id",
        "import_share",
        "items_e",
        "items_i",
        "name",
        "partners",
        "risks",
        "sector",
        "tax_code",
        "unit_id",
    )

    def __init__(self, row, risks):
        self.id, self.tax_code, self.name, lines, self.unit_id, self.aeo = row
        self.sector = SECTOR_BY_VSIC.get((lines or "").split(" ", 1)[0], "machinery")
        self.risks = risks
        self.partners = None
        self.import_share = (
            0.35 if self.sector in EXPORT_HEAVY else 0.85 if self.sector in IMPORT_HEAVY else 0.6
        )
        if risks & {B.VOLUME_JUMP, B.UNDERVALUATION, B.RELATED_PARTY, B.ORIGIN_SWITCHING}:
            self.import_share = max(self.import_share, 0.8)
        catalogue = CATALOGUE[self.sector]
        self.items_i = [item for item in catalogue if "i" in item[9]] or catalogue
        self.items_e = [item for item in catalogue if "e" in item[9]] or catalogue


def _partners(rng, trader: _Trader):
    """A trader deals with a few regular partners: (name, country, related)."""
    partners = []
    for pairs, count in ((SUPPLIERS, rng.randint(2, 5)), (BUYERS, rng.randint(2, 4))):
        for _ in range(count):
            country = _pick(rng, pairs)
            city = rng.choice(CITIES[country])
            partners.append((f"{city} {rng.choice(PARTNER_WORDS)} Co., Ltd", country, False))
    if B.ORIGIN_SWITCHING in trader.risks and not any(p[1] == "CN" for p in partners):
        # Switching needs goods that really come from China.
        partners.append(
            (f"{rng.choice(CITIES['CN'])} {rng.choice(PARTNER_WORDS)} Co., Ltd", "CN", False)
        )
    if B.RELATED_PARTY in trader.risks:
        core = trader.name.split()[-1]
        partners.append((f"{core} Holdings Pte. Ltd", rng.choice(["SG", "HK", "CN"]), True))
    return partners


def generate(*, options: dict, rng: random.Random, progress) -> str:
    """Write about ``options["lines"]`` goods lines. ``options["heavy_declarations"]``
    (benchmarks) gives the first active head enterprise that many declarations."""
    total_lines = options.get("lines") or 0
    if total_lines <= 0 or not Enterprise.objects.exists():
        return ""
    if Declaration.objects.exists():
        return "declarations already present: nothing generated"
    today = timezone.localdate()
    start_day = today - dt.timedelta(days=DAYS - 1)

    risks = defaultdict(set)
    for enterprise_id, behaviour in PlantedRisk.objects.values_list("enterprise_id", "behaviour"):
        risks[enterprise_id].add(behaviour)
    traders = [
        _Trader(row, risks.get(row[0], set()))
        for row in Enterprise.objects.order_by("pk").values_list(
            "pk", "tax_code", "name", "business_lines", "managing_unit_id", "is_aeo"
        )
    ]
    status = dict(Enterprise.objects.values_list("pk", "status"))
    heads = set(Enterprise.objects.filter(head__isnull=True).values_list("pk", flat=True))
    weights = []
    for trader in traders:
        weight = min(rng.paretovariate(1.1), 60.0)
        if status[trader.id] == Enterprise.Status.DISSOLVED:
            weight *= 0.2
        elif status[trader.id] == Enterprise.Status.SUSPENDED:
            weight *= 0.4
        if trader.id not in heads:
            weight *= 0.5
        if trader.risks:
            # Enough declarations for the planted behaviour to be seen at all.
            weight = max(weight, 4.0)
        if B.VOLUME_JUMP in trader.risks:
            weight *= 2
        weights.append(weight)
    cumulative = list(accumulate(weights))

    heavy = None
    heavy_left = options.get("heavy_declarations") or 0
    if heavy_left:
        heavy = next(t for t in traders if t.id in heads and status[t.id] == "active")

    offices = defaultdict(list)
    hubs = []
    for pk, code, parent_id in Unit.objects.filter(kind=Unit.Kind.OFFICE).values_list(
        "pk", "code", "parent_id"
    ):
        offices[parent_id].append((pk, code))
        if code in HUB_OFFICES:
            hubs.append((pk, code))
    all_offices = [office for group in offices.values() for office in group]
    hubs = hubs or all_offices
    brokers = [c for c in (_broker_code(n) for n in range(1, 40)) if c][:20]

    next_id = (Declaration.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    first_id = next_id
    serial = {"import": rng.randint(10**8, 5 * 10**8), "export": rng.randint(10**8, 5 * 10**8)}
    writer = _Writer([Declaration, DeclarationLine, Outcome, Violation])
    now = timezone.now()
    counts = defaultdict(int)
    lines_done = 0
    pending_lines = 0

    while lines_done < total_lines or heavy_left > 0:
        if heavy_left > 0 and rng.random() < 0.3:
            trader = heavy
            heavy_left -= 1
        else:
            trader = traders[bisect(cumulative, rng.random() * cumulative[-1])]
            if trader is heavy and heavy_left <= 0 and heavy is not None:
                continue
        if trader.partners is None:
            trader.partners = _partners(rng, trader)
        n_lines = max(1, min(rng.choice(LINE_COUNTS), total_lines - lines_done))
        written = _declaration(
            rng,
            writer=writer,
            trader=trader,
            n_lines=n_lines,
            next_id=next_id,
            serial=serial,
            start_day=start_day,
            today=today,
            offices=offices.get(trader.unit_id) or all_offices,
            hubs=hubs,
            brokers=brokers,
            now=now,
            counts=counts,
        )
        next_id += written["versions"]
        lines_done += written["lines"]
        pending_lines += written["lines"]
        if pending_lines >= CHUNK_LINES:
            with transaction.atomic():
                writer.flush()
            pending_lines = 0
            progress("Goods lines", min(lines_done, total_lines), total_lines)
    with transaction.atomic():
        writer.flush()
    progress("Goods lines", total_lines, total_lines)
    _reset_sequence(Declaration)
    # COPY bypasses the writers: each outcome's enterprise and the summaries of the
    # big enterprises are computed once from what was written.
    with transaction.atomic():
        summaries.fill_outcome_enterprises()
        summaries.rebuild()
    summaries.promote()
    return (
        f"{next_id - first_id:,} declaration versions ({counts['amended']:,} amended), "
        f"{lines_done:,} goods lines, {counts['outcomes']:,} outcomes "
        f"({counts['violations']:,} with violations), {counts['vcis']:,} VCIS records"
    )


def _broker_code(n: int) -> str | None:
    return make_tax_code(f"03{n * 7919 % 10**7:07d}")


def _day(rng, trader, start_day, today):
    if B.VOLUME_JUMP in trader.risks and rng.random() < 0.55:
        offset = rng.randint(DAYS - 180, DAYS - 1)
    else:
        # Trade grows a little each year: later days are a bit more likely.
        offset = int(DAYS * (rng.random() ** 0.85))
        offset = min(offset, DAYS - 1)
    return start_day + dt.timedelta(days=offset)


def _declaration(
    rng,
    *,
    writer,
    trader,
    n_lines,
    next_id,
    serial,
    start_day,
    today,
    offices,
    hubs,
    brokers,
    now,
    counts,
):
    direction = "import" if rng.random() < trader.import_share else "export"
    registered = _day(rng, trader, start_day, today)
    recent = (today - registered).days < 365
    if direction == "import":
        candidates = [p for p in trader.partners if p[1] in SUPPLIER_COUNTRIES and not p[2]]
        related = [p for p in trader.partners if p[2]]
        chinese = [p for p in candidates if p[1] == "CN"]
        if related and rng.random() < 0.7:
            partner = related[0]
        elif chinese and B.ORIGIN_SWITCHING in trader.risks and rng.random() < 0.6:
            partner = rng.choice(chinese)
        else:
            partner = rng.choice(candidates)
        type_code = _pick(rng, IMPORT_TYPES)
        incoterms = _pick(rng, INCOTERMS_IMPORT)
        prefix = "10"
        items = trader.items_i
    else:
        candidates = [p for p in trader.partners if p[1] in BUYER_COUNTRIES and not p[2]]
        partner = rng.choice(candidates or trader.partners)
        type_code = _pick(rng, EXPORT_TYPES)
        incoterms = _pick(rng, INCOTERMS_EXPORT)
        prefix = "30"
        items = trader.items_e
    partner_name, partner_country, is_related = partner
    serial[direction] += rng.randint(1, 3)
    number = f"{prefix}{serial[direction]:010d}"

    risky = bool(trader.risks)
    channel_weights = (85, 13, 2) if trader.aeo else (45, 35, 20) if risky else (62, 29, 9)
    channel = rng.choices((1, 2, 3), weights=channel_weights, k=1)[0]
    cleared = registered + dt.timedelta(
        days={1: 0, 2: rng.randint(0, 2), 3: rng.randint(1, 5)}[channel]
    )
    if cleared > today:
        cleared = today
    office_id, office_code = rng.choice(offices) if rng.random() < 0.65 else rng.choice(hubs)
    currency = _pick(rng, CURRENCY_OF.get(partner_country, [("USD", 1)]))
    month_index = (registered.year - 2020) * 12 + registered.month
    drift = 1000 + (month_index * 37 % 41) - 20  # a deterministic wobble of ±2%
    rate_e4 = CURRENCIES[currency] * drift // 1000
    usd_e4 = CURRENCIES["USD"] * drift // 1000

    undervalued = direction == "import" and B.UNDERVALUATION in trader.risks
    switching = direction == "import" and B.ORIGIN_SWITCHING in trader.risks and recent
    lines = []
    for line_no in range(1, n_lines + 1):
        item = rng.choice(items)
        low, high = item[8]
        quantity = rng.randint(low, high)
        factor = rng.lognormvariate(0, 0.12)
        if undervalued:
            factor = rng.uniform(0.4, 0.6)
        elif is_related:
            factor *= 0.75
        price_e4 = max(1, round(item[3] * factor * usd_e4 / rate_e4 * 10000))
        origin = partner_country if direction == "import" else "VN"
        if switching and origin == "CN":
            origin = rng.choice(SWITCH_TO)
        pref = ""
        if direction == "import" and origin in PREFERENCES and (switching or rng.random() < 0.4):
            pref = PREFERENCES[origin]
        value, duty_rate, duty, vat_rate, vat, sct, env = line_amounts(
            item=item,
            quantity=quantity,
            price_e4=price_e4,
            rate_e4=rate_e4,
            direction=direction,
            pref=pref,
        )
        lines.append(
            {
                "line_no": line_no,
                "hs_code": item[0],
                "description": item[1],
                "quantity": quantity,
                "unit": item[2],
                "unit_price": _dec4(price_e4),
                "customs_value": value,
                "import_duty_rate": duty_rate,
                "import_duty": duty,
                "vat_rate": vat_rate,
                "vat": vat,
                "special_consumption_tax": sct,
                "environmental_tax": env,
                "origin_country": origin,
                "preference_code": pref,
                "_invoice_e4": quantity * price_e4,
            }
        )

    header = {
        "number": number,
        "type_code": type_code,
        "direction": direction,
        "customs_office_id": office_id,
        "office_code": office_code,
        "registered_on": registered,
        "cleared_on": cleared,
        "channel": channel,
        "enterprise_id": trader.id,
        "declarant_code": rng.choice(brokers) if rng.random() < 0.35 else trader.tax_code,
        "partner_name": partner_name,
        "partner_country": partner_country,
        "origin_country": lines[0]["origin_country"] if direction == "import" else "VN",
        "export_country": partner_country,
        "transport_mode": "4"
        if partner_country in ("CN", "LA", "KH") and rng.random() < 0.6
        else _pick(rng, TRANSPORT),
        "incoterms": incoterms,
        "currency": currency,
        "exchange_rate": _dec4(rate_e4),
        "related_party": is_related,
        "source": "demo",
        "created_at": now,
    }
    amended = rng.random() < 0.03
    versions = [(0, not amended, lines)]
    if amended:
        # The first version declared less of line 1; the amendment corrected it.
        first = dict(lines[0])
        quantity = max(1, first["quantity"] * 9 // 10)
        item = next(i for i in items if i[0] == first["hs_code"])
        price_e4 = round(float(first["unit_price"]) * 10000)
        (
            first["customs_value"],
            first["import_duty_rate"],
            first["import_duty"],
            first["vat_rate"],
            first["vat"],
            first["special_consumption_tax"],
            first["environmental_tax"],
        ) = line_amounts(
            item=item,
            quantity=quantity,
            price_e4=price_e4,
            rate_e4=rate_e4,
            direction=direction,
            pref=first["preference_code"],
        )
        first["quantity"] = quantity
        first["_invoice_e4"] = quantity * price_e4
        versions = [(0, False, [first, *lines[1:]]), (1, True, lines)]
        counts["amended"] += 1

    line_count = 0
    for offset, (version, current, version_lines) in enumerate(versions):
        declaration_id = next_id + offset
        totals = {
            key: sum(line[key] for line in version_lines)
            for key in (
                "customs_value",
                "import_duty",
                "vat",
                "special_consumption_tax",
                "environmental_tax",
            )
        }
        invoice_e4 = sum(line["_invoice_e4"] for line in version_lines)
        row = dict(
            header,
            id=declaration_id,
            version=version,
            is_current=current,
            invoice_value=_dec4(invoice_e4),
            **totals,
        )
        row["content_hash"] = hashlib.md5(  # noqa: S324 - a digest for change detection
            f"{number}|{version}|{invoice_e4}|{totals['customs_value']}".encode()
        ).hexdigest()
        writer.add(Declaration, row)
        for line in version_lines:
            writer.add(
                DeclarationLine,
                {k: v for k, v in line.items() if k[0] != "_"} | {"declaration_id": declaration_id},
            )
        line_count += len(version_lines)

    current_id = next_id + len(versions) - 1
    total_tax = sum(totals.values()) - totals["customs_value"]
    _outcome(
        rng,
        writer=writer,
        trader=trader,
        number=number,
        declaration_id=current_id,
        channel=channel,
        cleared=cleared,
        today=today,
        total_tax=total_tax,
        value=totals["customs_value"],
        counts=counts,
    )
    return {"versions": len(versions), "lines": line_count}


def _outcome(
    rng,
    *,
    writer,
    trader,
    number,
    declaration_id,
    channel,
    cleared,
    today,
    total_tax,
    value,
    counts,
):
    risky = bool(trader.risks)
    source = None
    if channel == 3:
        source, chance = Outcome.Source.CLEARANCE, 0.35 if risky else 0.01 if trader.aeo else 0.05
    elif channel == 2 and rng.random() < 0.3:
        source, chance = Outcome.Source.CLEARANCE, 0.15 if risky else 0.02
    elif rng.random() < (0.03 if risky else 0.002):
        source, chance = Outcome.Source.VCIS, 0.8 if risky else 0.3
    if source is None:
        return
    found = rng.random() < chance
    decided = (
        cleared
        if source == Outcome.Source.CLEARANCE
        else min(today, cleared + dt.timedelta(days=rng.randint(30, 300)))
    )
    additional = fine = critical = 0
    if found:
        additional = max(1_000_000, (total_tax or value // 10) * rng.randint(5, 40) // 100)
        fine = additional * rng.choice((0, 10, 20, 20, 50)) // 100 // 1000 * 1000
        critical = rng.choices((0, 1, 2), weights=(50, 35, 15), k=1)[0]
        counts["violations"] += 1
    reference = ("KTTT-" if source == Outcome.Source.CLEARANCE else "VCIS-") + number
    writer.add(
        Outcome,
        {
            "declaration_number": number,
            "declaration_id": declaration_id,
            "source": source,
            "reference": reference,
            "decided_on": decided,
            "violation_found": found,
            "critical": critical,
            "additional_tax": additional,
            "fine": fine,
            "note": (
                "Khai sai trị giá, xuất xứ hoặc mã số hàng hóa" if found else "Phù hợp khai báo"
            ),
        },
    )
    counts["outcomes"] += 1
    if found and (fine or source == Outcome.Source.VCIS):
        counts["vcis"] += 1
        writer.add(
            Violation,
            {
                "reference": f"QĐXP-{decided.year}-{number}",
                "enterprise_id": trader.id,
                "kind": Violation.Kind.SANCTION if fine else Violation.Kind.VIOLATION,
                "decided_on": decided,
                "description": "Vi phạm về khai hải quan (khai sai trị giá, xuất xứ, mã số)",
                "fine": fine,
                "is_grave": critical == 2,
                "declaration_number": number,
            },
        )


def _reset_sequence(model):
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - a model's table
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )

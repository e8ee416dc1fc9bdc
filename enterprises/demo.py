"""Demo and benchmark data, step two: enterprises and the facts other systems hold
about them (registry changes, tax debt), with planted risky behaviour.

Called by ``manage.py generate_data`` after units and people. The same seed and
sizes give the same enterprises and tax codes. About ``PLANTED_SHARE`` of the
head enterprises get one or two risky behaviours, recorded in ``PlantedRisk``;
``declarations.demo`` reads those rows and shapes their declarations and
outcomes accordingly, so risk criteria and models can be checked against them.

Each enterprise trades in one sector (``SECTORS``); its first business line
carries the sector's VSIC code, which is how the declarations step knows which
goods it imports and exports.
"""

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from enterprises.models import Enterprise, PlantedRisk, RegistryChange, TaxDebt
from enterprises.validators import make_tax_code
from stq02.demo.organisation import REGIONS
from stq02.demo.people import person_name
from stq02.models import Province, Unit

CHUNK = 5000
PLANTED_SHARE = 0.08
BRANCH_SHARE = 0.08

# key, VSIC line (first business line), Vietnamese and English sector words.
SECTORS = [
    ("textile", "1410 – May trang phục (trừ trang phục từ da lông thú)", "Dệt may", "Garment"),
    ("electronics", "2630 – Sản xuất thiết bị truyền thông", "Điện tử", "Electronics"),
    ("food", "1079 – Sản xuất thực phẩm khác", "Thực phẩm", "Food"),
    ("wood", "1629 – Sản xuất sản phẩm khác từ gỗ", "Gỗ", "Wood Products"),
    ("steel", "2410 – Sản xuất sắt, thép, gang", "Thép", "Steel"),
    ("plastics", "2220 – Sản xuất sản phẩm từ plastic", "Nhựa", "Plastics"),
    ("chemicals", "2011 – Sản xuất hoá chất cơ bản", "Hóa chất", "Chemicals"),
    ("machinery", "4659 – Bán buôn máy móc, thiết bị và phụ tùng máy khác", "Máy móc", "Machinery"),
    ("auto", "4530 – Bán phụ tùng và các bộ phận phụ trợ của ô tô", "Ô tô", "Automotive"),
    ("footwear", "1520 – Sản xuất giày, dép", "Giày da", "Footwear"),
    (
        "seafood",
        "1020 – Chế biến, bảo quản thuỷ sản và sản phẩm từ thuỷ sản",
        "Thủy sản",
        "Seafood",
    ),
    ("agri", "4620 – Bán buôn nông, lâm sản nguyên liệu", "Nông sản", "Agricultural Products"),
    ("pharma", "2100 – Sản xuất thuốc, hoá dược và dược liệu", "Dược phẩm", "Pharmaceutical"),
    ("beverage", "4633 – Bán buôn đồ uống", "Đồ uống", "Beverage"),
    ("fuel", "4661 – Bán buôn nhiên liệu rắn, lỏng, khí", "Xăng dầu", "Petroleum"),
]
SECTOR_BY_VSIC = {line.split(" ", 1)[0]: key for key, line, _vi, _en in SECTORS}
EXTRA_LINES = [
    "4690 – Bán buôn tổng hợp",
    "5210 – Kho bãi và lưu giữ hàng hoá",
    "5229 – Hoạt động dịch vụ hỗ trợ khác liên quan đến vận tải",
    "8299 – Hoạt động dịch vụ hỗ trợ kinh doanh khác",
    "4933 – Vận tải hàng hóa bằng đường bộ",
]
FORMS = [
    ("Công ty TNHH", "Company Limited", 45),
    ("Công ty Cổ phần", "Joint Stock Company", 30),
    ("Công ty TNHH Một thành viên", "One Member Company Limited", 15),
    ("Công ty TNHH Sản xuất và Thương mại", "Manufacturing and Trading Co., Ltd", 7),
    ("Doanh nghiệp tư nhân", "Private Enterprise", 3),
]
CORES = [
    "An Phát",
    "Bình Minh",
    "Đại Dương",
    "Hoàng Long",
    "Thành Công",
    "Việt Tiến",
    "Phú Thái",
    "Hưng Thịnh",
    "Minh Khang",
    "Tân Á",
    "Sao Việt",
    "Đông Á",
    "Toàn Cầu",
    "Hòa Bình",
    "Nam Việt",
    "Kim Ngân",
    "Trường Hải",
    "Thái Sơn",
    "Phương Đông",
    "Quang Minh",
    "Hải Âu",
    "Bảo Long",
    "Gia Phát",
    "Thịnh Vượng",
    "Ngọc Lan",
    "Tiến Thành",
    "Sông Hồng",
    "Cửu Long",
    "Vạn Xuân",
    "Hồng Hà",
    "Mê Kông",
    "Tràng An",
    "Lạc Hồng",
    "Đất Việt",
    "Thăng Long",
]
SUFFIXES = ["", "", "", " Việt Nam", " Quốc tế", " Miền Bắc", " Sài Gòn", " Xanh", " Group"]
STREETS = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Điện Biên Phủ",
    "Nguyễn Trãi",
    "Võ Văn Kiệt",
    "Lê Duẩn",
    "Hùng Vương",
    "Phạm Văn Đồng",
    "Quang Trung",
    "Nguyễn Văn Linh",
    "Tôn Đức Thắng",
    "Cách Mạng Tháng Tám",
]
ZONES = [
    "Khu công nghiệp {p}",
    "Khu công nghiệp Bắc {p}",
    "Cụm công nghiệp số 2",
    "Phường 3",
    "Phường Trung tâm",
    "Xã Tân Lập",
    "Khu kinh tế {p}",
]
# Tax-code prefixes (the first two digits give the tax office of registration).
TAX_PREFIX = {"01": "01", "79": "03", "31": "02", "48": "04", "22": "57", "74": "37"}


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def managing_branches() -> dict[int, Unit]:
    """Province id -> the regional branch whose area holds it (demo layout first)."""
    by_code = {}
    for number, (_seat, province_codes, _offices) in REGIONS.items():
        for code in province_codes:
            by_code[code] = f"KV{number:02d}"
    branches = {u.code: u for u in Unit.objects.filter(kind=Unit.Kind.BRANCH)}
    result = {}
    for province in Province.objects.prefetch_related("units"):
        unit = branches.get(by_code.get(province.code, ""))
        if unit is None:  # an area an administrator defined: any branch holding it
            unit = next((u for u in province.units.all() if u.kind == Unit.Kind.BRANCH), None)
        result[province.pk] = unit
    return result


class _TaxCodes:
    """Distinct valid ten-digit codes, deterministic for the generator's rng."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.next_by_prefix = defaultdict(lambda: rng.randint(100_000, 900_000))

    def new(self, province_code: str) -> str:
        prefix = TAX_PREFIX.get(province_code, province_code[-2:].rjust(2, "0"))
        while True:
            self.next_by_prefix[prefix] += self.rng.randint(1, 40)
            code = make_tax_code(f"{prefix}{self.next_by_prefix[prefix]:07d}")
            if code:
                return code


def _enterprise(rng, *, tax_code, province, unit, today, head=None):
    sector_key, vsic, sector_vi, sector_en = rng.choice(SECTORS)
    if head is not None:
        sector_key, vsic = head.sector_key, head.business_lines.split("\n", 1)[0]
        name = f"Chi nhánh {head.name} tại {province.name}"
        name_en = f"{head.name_en} – {province.name} Branch"
    else:
        form_vi, form_en = _weighted(rng, [((f, e), w) for f, e, w in FORMS])
        core = rng.choice(CORES) + rng.choice(SUFFIXES)
        name = f"{form_vi} {sector_vi} {core}"
        name_en = f"{core} {sector_en} {form_en}"
    lines = [vsic, *rng.sample(EXTRA_LINES, rng.randint(0, 2))]
    last, first = person_name(rng)
    founded = today - dt.timedelta(days=rng.randint(365, 30 * 365))
    status = _weighted(
        rng,
        [
            (Enterprise.Status.ACTIVE, 90),
            (Enterprise.Status.SUSPENDED, 6),
            (Enterprise.Status.DISSOLVED, 4),
        ],
    )
    is_aeo = head is None and status == Enterprise.Status.ACTIVE and rng.random() < 0.015
    compliance = (
        Enterprise.Compliance.PRIORITY
        if is_aeo
        else _weighted(rng, [(None, 2), (2, 25), (3, 50), (4, 15), (5, 8)])
    )
    zone = rng.choice(ZONES).format(p=province.name)
    enterprise = Enterprise(
        tax_code=tax_code,
        head=head,
        name=name,
        name_en=name_en,
        address=f"Số {rng.randint(1, 450)} đường {rng.choice(STREETS)}, {zone}, {province.name}",
        province=province,
        business_lines="\n".join(lines),
        legal_representative=f"{last} {first}",
        founded_on=founded,
        status=status,
        is_aeo=is_aeo,
        compliance_level=compliance,
        risk_level=None if rng.random() < 0.3 else rng.randint(1, 9),
        managing_unit=unit,
    )
    enterprise.sector_key = sector_key
    return enterprise


PLANTED_DETAIL = {
    PlantedRisk.Behaviour.UNDERVALUATION: "declared unit prices 40–60% below the HS-code norm",
    PlantedRisk.Behaviour.ORIGIN_SWITCHING: (
        "origin switched from CN to a preferential country in the last 12 months"
    ),
    PlantedRisk.Behaviour.VOLUME_JUMP: "import volume jumps about fivefold in the last 6 months",
    PlantedRisk.Behaviour.RELATED_PARTY: "most imports from a related foreign parent, at low prices",
}


def generate(*, options: dict, rng: random.Random, progress) -> str:
    total = options.get("enterprises") or 0
    if total <= 0:
        return ""
    if Enterprise.objects.exists():
        # Re-running on a database that holds enterprises would collide with the
        # codes of the first run; demo data is generated into an empty database.
        return "enterprises already present: nothing generated"
    today = timezone.localdate()
    provinces = list(Province.objects.order_by("code"))
    branches = managing_branches()
    # Trade concentrates in the big ports and industrial provinces.
    big = {"01": 14, "79": 18, "31": 8, "74": 7, "75": 6, "27": 5, "48": 3, "22": 3, "77": 3}
    weights = [big.get(p.code, 1) for p in provinces]
    taxcodes = _TaxCodes(rng)

    branch_total = int(total * BRANCH_SHARE)
    head_total = total - branch_total
    heads = []
    done = 0
    with transaction.atomic():
        for start in range(0, head_total, CHUNK):
            chunk = []
            for _ in range(min(CHUNK, head_total - start)):
                province = rng.choices(provinces, weights=weights, k=1)[0]
                chunk.append(
                    _enterprise(
                        rng,
                        tax_code=taxcodes.new(province.code),
                        province=province,
                        unit=branches[province.pk],
                        today=today,
                    )
                )
            sectors = [e.sector_key for e in chunk]
            created = bulk_create_with_history(chunk, Enterprise, batch_size=1000)
            if created and created[0].pk is None:  # databases that return no ids
                created = list(
                    Enterprise.objects.filter(tax_code__in=[e.tax_code for e in chunk]).order_by(
                        "pk"
                    )
                )
            for enterprise, sector in zip(created, sectors, strict=True):
                enterprise.sector_key = sector
            heads.extend(created)
            done += len(chunk)
            progress("Enterprises", done, total)

        # Branches: dependent units of bigger heads, often in another province.
        branch_count = defaultdict(int)
        candidates = [h for h in heads if h.status == Enterprise.Status.ACTIVE]
        pending = []
        for index in range(branch_total):
            head = rng.choice(candidates[: max(1, len(candidates) // 4)])
            branch_count[head.pk] += 1
            province = (
                head.province
                if rng.random() < 0.4
                else rng.choices(provinces, weights=weights, k=1)[0]
            )
            pending.append(
                _enterprise(
                    rng,
                    tax_code=f"{head.tax_code}-{branch_count[head.pk]:03d}",
                    province=province,
                    unit=branches[province.pk],
                    today=today,
                    head=head,
                )
            )
            if len(pending) == CHUNK or index == branch_total - 1:
                bulk_create_with_history(pending, Enterprise, batch_size=1000)
                done += len(pending)
                progress("Enterprises", done, total)
                pending = []

    planted = _plant_risks(rng, heads)
    changes, debts = _registry_and_debt(rng, heads, planted, today)
    return (
        f"{total:,} enterprises ({branch_total:,} branches), {len(planted):,} with planted risks, "
        f"{changes:,} registry changes, {debts:,} tax-debt records"
    )


def _plant_risks(rng, heads) -> dict[int, list[str]]:
    """Enterprise id -> behaviours, for ``PLANTED_SHARE`` of the active non-AEO heads."""
    eligible = [h for h in heads if h.status == Enterprise.Status.ACTIVE and not h.is_aeo]
    chosen = rng.sample(eligible, min(len(eligible), max(1, round(len(heads) * PLANTED_SHARE))))
    behaviours = list(PlantedRisk.Behaviour)
    planted = {}
    rows = []
    for enterprise in chosen:
        kinds = rng.sample(behaviours, 2 if rng.random() < 0.25 else 1)
        planted[enterprise.pk] = kinds
        rows.extend(
            PlantedRisk(enterprise=enterprise, behaviour=kind, detail=PLANTED_DETAIL[kind])
            for kind in kinds
        )
    PlantedRisk.objects.bulk_create(rows, batch_size=CHUNK)
    return planted


def _registry_and_debt(rng, heads, planted, today) -> tuple[int, int]:
    """Registry changes (frequent for risky enterprises) and monthly tax-debt records."""
    changes, debts = [], []
    for enterprise in heads:
        risky = enterprise.pk in planted
        count = rng.choice((2, 3, 4)) if risky else (1 if rng.random() < 0.15 else 0)
        seen = set()
        for _ in range(count):
            field = rng.choice(
                [RegistryChange.Field.ADDRESS, RegistryChange.Field.REPRESENTATIVE]
                if risky
                else list(RegistryChange.Field)
            )
            changed_on = today - dt.timedelta(days=rng.randint(1, 1000 if not risky else 360))
            if field == RegistryChange.Field.ADDRESS:
                old = f"Số {rng.randint(1, 450)} đường {rng.choice(STREETS)}"
                new = enterprise.address
            elif field == RegistryChange.Field.REPRESENTATIVE:
                old = " ".join(person_name(rng))
                new = enterprise.legal_representative
            elif field == RegistryChange.Field.STATUS:
                old, new = Enterprise.Status.ACTIVE, enterprise.status
            elif field == RegistryChange.Field.BUSINESS_LINES:
                old = enterprise.business_lines.split("\n", 1)[0]
                new = enterprise.business_lines
            else:
                old, new = enterprise.name.replace("Công ty", "Cty"), enterprise.name
            key = (field, changed_on, new)
            if key not in seen:
                seen.add(key)
                changes.append(
                    RegistryChange(
                        enterprise=enterprise,
                        field=field,
                        old_value=old,
                        new_value=new,
                        changed_on=changed_on,
                    )
                )
        if rng.random() < (0.35 if risky else 0.08):
            amount = rng.randint(5, 4000) * 1_000_000
            overdue_share = rng.choice((0, 0, 25, 50, 100))
            for months_ago in range(rng.randint(1, 6)):
                as_of = (today.replace(day=1) - dt.timedelta(days=30 * months_ago)).replace(day=1)
                debts.append(
                    TaxDebt(
                        enterprise=enterprise,
                        as_of=as_of,
                        amount=amount,
                        overdue_amount=amount * overdue_share // 100,
                        oldest_due_on=as_of - dt.timedelta(days=rng.randint(10, 400)),
                    )
                )
                amount = amount * rng.randint(70, 105) // 100
    RegistryChange.objects.bulk_create(changes, batch_size=CHUNK)
    TaxDebt.objects.bulk_create(debts, batch_size=CHUNK)
    return len(changes), len(debts)

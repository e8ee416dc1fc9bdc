"""Deterministic demo and benchmark data, step one: units and people.

Later steps live in each app's ``demo.py`` and are called in the order of
INSTALLED_APPS (see ``manage.py generate_data``).
"""

import random
import secrets

from django.db import transaction

from stq02.demo.organisation import PROVINCES, REGIONS, ROMAN
from stq02.models import Province, Role, Unit, User

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
]
MIDDLE = ["Văn", "Thị", "Minh", "Đức", "Thu", "Quốc", "Thanh", "Ngọc", "Hữu", "Gia"]
GIVEN = [
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Phong",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trung",
    "Tuấn",
    "Vy",
    "Yến",
]


def person_name(rng: random.Random) -> tuple[str, str]:
    """(last_name, first_name) as Django stores them: family + middle, given."""
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)}", rng.choice(GIVEN)


@transaction.atomic
def generate_organisation(*, rng: random.Random, offices_per_branch: int = 3) -> dict[str, Unit]:
    provinces = {
        code: Province.objects.update_or_create(code=code, defaults={"name": name})[0]
        for code, name in PROVINCES
    }
    central, _ = Unit.objects.update_or_create(
        code="KTSTQ",
        defaults={
            "name": "Kiểm tra sau thông quan – Cục Hải quan",
            "name_en": "Post-Clearance Audit Department",
            "kind": Unit.Kind.CENTRAL,
            "parent": None,
            "capacity_officer_days": 4000,
        },
    )
    central.provinces.set(provinces.values())
    units = {"central": central}
    for number, (seat, province_codes, offices) in REGIONS.items():
        roman = ROMAN[number - 1]
        branch, _ = Unit.objects.update_or_create(
            code=f"KV{number:02d}",
            defaults={
                "name": f"Chi cục Hải quan khu vực {roman}",
                "name_en": f"Regional Customs Branch {roman} ({seat})",
                "kind": Unit.Kind.BRANCH,
                "parent": central,
                "capacity_officer_days": 1200,
            },
        )
        branch.provinces.set([provinces[code] for code in province_codes])
        units[branch.code] = branch
        team, _ = Unit.objects.update_or_create(
            code=f"KV{number:02d}-KT",
            defaults={
                "name": f"Đội Kiểm tra sau thông quan – KV {roman}",
                "name_en": f"PCA team, branch {roman}",
                "kind": Unit.Kind.TEAM,
                "parent": branch,
                "capacity_officer_days": 600,
            },
        )
        team.provinces.set(branch.provinces.all())
        units[team.code] = team
        for index, office_name in enumerate(offices[:offices_per_branch], start=1):
            office, _ = Unit.objects.update_or_create(
                code=f"KV{number:02d}-{index:02d}",
                defaults={
                    "name": f"Hải quan {office_name}",
                    "name_en": f"{office_name} customs office",
                    "kind": Unit.Kind.OFFICE,
                    "parent": branch,
                },
            )
            units[office.code] = office
    return units


def demo_people(units: dict[str, Unit]) -> list[tuple[str, str, Unit, str]]:
    """(username, role, unit, title) of the demo logins."""
    return [
        ("admin", Role.ADMIN, units["central"], "Quản trị hệ thống"),
        ("truongban", Role.DEPARTMENT_HEAD, units["central"], "Trưởng ban Kiểm tra sau thông quan"),
        ("kiemtravien.tw", Role.OFFICER, units["central"], "Kiểm tra viên"),
        ("truongkv1", Role.UNIT_HEAD, units["KV01"], "Chi cục trưởng"),
        ("kiemtravien1", Role.OFFICER, units["KV01-KT"], "Kiểm tra viên"),
        ("kiemtravien1b", Role.OFFICER, units["KV01-KT"], "Kiểm tra viên"),
        ("truongkv2", Role.UNIT_HEAD, units["KV02"], "Chi cục trưởng"),
        ("kiemtravien2", Role.OFFICER, units["KV02-KT"], "Kiểm tra viên"),
        ("api.kv1", Role.API_CLIENT, units["KV01"], "Hệ thống địa phương KV I"),
    ]


@transaction.atomic
def generate_people(
    *, rng: random.Random, units: dict[str, Unit], password: str | None = None
) -> list[tuple[User, str]]:
    """Create (or reset) the demo logins. Each gets ``password`` or a fresh random
    one; passwords are printed by the command, never stored in the repository."""
    people = []
    for username, role, unit, title in demo_people(units):
        last, first = person_name(rng)
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "unit": unit,
                "title": title,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@stq02.invalid",
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
            },
        )
        chosen = password or secrets.token_urlsafe(9)
        user.set_password(chosen)
        user.save(update_fields=["password"])
        people.append((user, chosen))
    return people

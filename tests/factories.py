"""factory_boy factories shared by every test module."""

import datetime as dt
import itertools
from decimal import Decimal

import factory

from declarations.models import Declaration, DeclarationLine
from enterprises.models import Enterprise
from enterprises.validators import make_tax_code
from stq02.models import Province, Role, Unit, User

_tax_codes = (
    code for code in (make_tax_code(f"{n:09d}") for n in itertools.count(10_000_001)) if code
)
_declaration_numbers = itertools.count(100_000_000_001)


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Tỉnh {n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"Đơn vị {n}")
    kind = Unit.Kind.BRANCH


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "An"
    last_name = "Nguyễn Văn"
    role = Role.OFFICER
    unit = factory.SubFactory(UnitFactory)
    password = factory.django.Password("a-Strong-pass-123")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    tax_code = factory.LazyFunction(lambda: next(_tax_codes))
    name = factory.Sequence(lambda n: f"Công ty TNHH Thương mại {n}")
    address = "12 Lê Lợi"
    founded_on = dt.date(2015, 3, 1)
    managing_unit = factory.SubFactory(UnitFactory)


class DeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Declaration

    number = factory.LazyFunction(lambda: str(next(_declaration_numbers)))
    type_code = "A11"
    direction = Declaration.Direction.IMPORT
    registered_on = dt.date(2026, 3, 2)
    cleared_on = dt.date(2026, 3, 3)
    channel = Declaration.Channel.GREEN
    enterprise = factory.SubFactory(EnterpriseFactory)
    currency = "USD"
    exchange_rate = Decimal("25400")
    customs_value = Decimal("254000000")
    content_hash = factory.Sequence(lambda n: f"{n:032x}")


class DeclarationLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeclarationLine

    declaration = factory.SubFactory(DeclarationFactory)
    line_no = factory.Sequence(lambda n: n % 900 + 1)
    hs_code = "85171300"
    description = "Điện thoại di động"
    quantity = Decimal("100")
    unit = "PCE"
    unit_price = Decimal("100")
    customs_value = Decimal("254000000")

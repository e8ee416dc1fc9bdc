"""factory_boy factories shared by every test module."""

import datetime as dt
import itertools
from decimal import Decimal

import factory

from declarations import summaries
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


class _KeepsSummaries:
    """Factories write declarations and lines through the ORM, one row at a time,
    where the application's writers go through ``declarations.summaries``; after
    each row the enterprise's summaries are rebuilt from the base tables, so pages
    show what a fresh aggregate gives. The writers themselves are tested against
    fresh aggregates in tests/pages/test_summaries.py."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        summaries.rebuild(enterprise_ids=[cls._enterprise_id(obj)])
        return obj


class DeclarationFactory(_KeepsSummaries, factory.django.DjangoModelFactory):
    class Meta:
        model = Declaration

    @staticmethod
    def _enterprise_id(obj):
        return obj.enterprise_id

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


class DeclarationLineFactory(_KeepsSummaries, factory.django.DjangoModelFactory):
    class Meta:
        model = DeclarationLine

    @staticmethod
    def _enterprise_id(obj):
        return obj.declaration.enterprise_id

    declaration = factory.SubFactory(DeclarationFactory)
    line_no = factory.Sequence(lambda n: n % 900 + 1)
    hs_code = "85171300"
    description = "Điện thoại di động"
    quantity = Decimal("100")
    unit = "PCE"
    unit_price = Decimal("100")
    customs_value = Decimal("254000000")

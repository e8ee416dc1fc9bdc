"""Factories for the page tests, on top of tests/factories.py."""

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from declarations.models import Outcome
from enterprises.models import RegistryChange, TaxDebt, Violation
from tests.factories import DeclarationFactory, EnterpriseFactory

_references = itertools.count(1)


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome

    declaration = factory.SubFactory(DeclarationFactory)
    declaration_number = factory.LazyAttribute(lambda o: o.declaration.number)
    source = Outcome.Source.CLEARANCE
    reference = factory.LazyFunction(lambda: f"KTTT-{next(_references):06d}")
    decided_on = factory.LazyFunction(timezone.localdate)
    violation_found = True
    additional_tax = Decimal("12500000")
    fine = Decimal("2500000")


class ViolationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Violation

    reference = factory.LazyFunction(lambda: f"QĐXP-{next(_references):06d}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    kind = Violation.Kind.SANCTION
    decided_on = dt.date(2026, 4, 1)
    fine = Decimal("30000000")


class TaxDebtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxDebt

    enterprise = factory.SubFactory(EnterpriseFactory)
    as_of = dt.date(2026, 11, 1)
    amount = Decimal("987654321")
    overdue_amount = Decimal("123456789")


class RegistryChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistryChange

    enterprise = factory.SubFactory(EnterpriseFactory)
    field = RegistryChange.Field.ADDRESS
    old_value = "5 Hàng Bài, Hà Nội"
    new_value = "88 Láng Hạ, Hà Nội"
    changed_on = dt.date(2026, 6, 1)

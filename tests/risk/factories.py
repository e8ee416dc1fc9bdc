"""Small hand-built trade for the risk tests: enterprises, declarations with one
goods line each, outcomes."""

import datetime as dt
import itertools
from decimal import Decimal

from declarations.models import Declaration, Outcome
from tests.factories import DeclarationFactory, DeclarationLineFactory, EnterpriseFactory

AS_OF = dt.date(2026, 6, 30)
_references = itertools.count(1)


def trade(
    enterprise,
    *,
    days_ago: int,
    value: int = 100_000_000,
    quantity: int = 100,
    hs_code: str = "85171300",
    origin: str = "CN",
    channel: int = Declaration.Channel.GREEN,
    related_party: bool = False,
    preference: str = "",
    rate: str = "10",
    as_of: dt.date = AS_OF,
):
    """One import declaration of ``enterprise`` with one goods line, ``days_ago``
    days before ``as_of``."""
    day = as_of - dt.timedelta(days=days_ago)
    declaration = DeclarationFactory(
        enterprise=enterprise,
        registered_on=day,
        cleared_on=day,
        channel=channel,
        customs_value=Decimal(value),
        related_party=related_party,
        origin_country=origin,
    )
    DeclarationLineFactory(
        declaration=declaration,
        line_no=1,
        hs_code=hs_code,
        quantity=Decimal(quantity),
        customs_value=Decimal(value),
        origin_country=origin,
        preference_code=preference,
        import_duty_rate=Decimal(rate),
    )
    return declaration


def outcome(declaration, *, found: bool, days_after: int = 0, source="clearance", tax=0):
    return Outcome.objects.create(
        declaration=declaration,
        declaration_number=declaration.number,
        source=source,
        reference=f"T-{next(_references)}",
        decided_on=declaration.registered_on + dt.timedelta(days=days_after),
        violation_found=found,
        additional_tax=Decimal(tax),
    )


def enterprises(unit, count: int, **kwargs):
    return [EnterpriseFactory(managing_unit=unit, **kwargs) for _ in range(count)]


def ordinary_trade(enterprise, *, declarations: int = 4, value: int = 100_000_000):
    """A steady importer: declarations spread over the last two years at the norm price."""
    return [
        trade(enterprise, days_ago=30 + index * (700 // declarations), value=value)
        for index in range(declarations)
    ]

"""A small trading picture: an enterprise of branch A with a branch, one of branch B,
declarations with lines, an amendment, outcomes, a VCIS record, debt and a registry change."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from declarations.models import Declaration
from stq02.models import Unit
from tests.factories import (
    DeclarationFactory,
    DeclarationLineFactory,
    EnterpriseFactory,
    UnitFactory,
)
from tests.pages.factories import (
    OutcomeFactory,
    RegistryChangeFactory,
    TaxDebtFactory,
    ViolationFactory,
)


@dataclass
class Trade:
    enterprise_a: object
    branch_of_a: object
    enterprise_b: object
    office_a: object
    office_b: object
    declaration_a: object
    amended_a: object
    declaration_b: object


@pytest.fixture
def trade(world) -> Trade:
    recent = timezone.localdate().replace(day=1) - dt.timedelta(days=20)
    office_a = UnitFactory(
        code="KV-A-01", name="Hải quan Nội Bài", kind=Unit.Kind.OFFICE, parent=world.branch_a
    )
    office_b = UnitFactory(
        code="KV-B-01", name="Hải quan Cát Lái", kind=Unit.Kind.OFFICE, parent=world.branch_b
    )
    enterprise_a = EnterpriseFactory(
        tax_code="0101234565", name="Công ty Cổ phần Điện tử Hà Nội", managing_unit=world.branch_a
    )
    branch_of_a = EnterpriseFactory(
        tax_code="0101234565-001",
        name="Chi nhánh Công ty Cổ phần Điện tử Hà Nội tại TP. Hồ Chí Minh",
        head=enterprise_a,
        managing_unit=world.branch_b,
    )
    enterprise_b = EnterpriseFactory(
        tax_code="0307654323", name="Công ty TNHH Thủy sản Sài Gòn", managing_unit=world.branch_b
    )
    declaration_a = DeclarationFactory(
        number="101234567890",
        enterprise=enterprise_a,
        customs_office=office_a,
        office_code="KV-A-01",
        registered_on=recent,
        channel=Declaration.Channel.RED,
        partner_name="Shenzhen Pacific Co., Ltd",
        partner_country="CN",
        customs_value=Decimal("508000000"),
        import_duty=Decimal("25400000"),
        vat=Decimal("53340000"),
    )
    DeclarationLineFactory(
        declaration=declaration_a,
        line_no=1,
        hs_code="85171300",
        description="Điện thoại thông minh",
        customs_value=Decimal("508000000"),
    )
    # An amended declaration: version 0 kept, version 1 current.
    DeclarationFactory(
        number="101234567891",
        version=0,
        is_current=False,
        enterprise=enterprise_a,
        registered_on=recent,
        customs_value=Decimal("100000000"),
    )
    amended_a = DeclarationFactory(
        number="101234567891",
        version=1,
        enterprise=enterprise_a,
        type_code="A12",
        registered_on=recent,
        channel=Declaration.Channel.GREEN,
        customs_value=Decimal("120000000"),
    )
    DeclarationLineFactory(
        declaration=amended_a, line_no=1, hs_code="84713020", description="Máy tính xách tay"
    )
    declaration_b = DeclarationFactory(
        number="301111111111",
        direction=Declaration.Direction.EXPORT,
        type_code="B11",
        enterprise=enterprise_b,
        customs_office=office_b,
        registered_on=recent,
        channel=Declaration.Channel.YELLOW,
    )
    DeclarationLineFactory(
        declaration=declaration_b, line_no=1, hs_code="03061719", description="Tôm đông lạnh"
    )
    OutcomeFactory(
        declaration=declaration_a, reference="KTTT-101234567890", note="Khai sai xuất xứ"
    )
    OutcomeFactory(declaration=declaration_b, reference="KTTT-301111111111")
    ViolationFactory(
        enterprise=enterprise_a, reference="QĐXP-2026-0001", declaration_number="101234567890"
    )
    TaxDebtFactory(enterprise=enterprise_a)
    RegistryChangeFactory(enterprise=enterprise_a)
    return Trade(
        enterprise_a=enterprise_a,
        branch_of_a=branch_of_a,
        enterprise_b=enterprise_b,
        office_a=office_a,
        office_b=office_b,
        declaration_a=declaration_a,
        amended_a=amended_a,
        declaration_b=declaration_b,
    )

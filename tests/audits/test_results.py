"""Results: findings by declaration and goods line, tax by kind, fines, collection,
appeal and write-off with dates; on closing, outcomes flow back into declarations."""

import datetime as dt
from decimal import Decimal

import pytest

from audits import selectors, services
from declarations.models import Outcome
from stq02.errors import DomainError
from tests.audits.factories import drive, open_case
from tests.factories import DeclarationLineFactory

D = dt.date


@pytest.fixture
def running(world):
    return drive(world, open_case(world, declarations=3), until="minutes_recorded")


def test_findings_by_declaration_and_line_with_tax_by_kind(world, running):
    first, second, _third = running.declarations.order_by("number")
    DeclarationLineFactory(declaration=first, line_no=2)
    services.record_finding(
        case=running,
        user=world.officer_a,
        declaration_number=first.number,
        line_no=2,
        issue="classification",
        description="HS 8517 → 8525",
        import_duty=10_000_000,
        vat=1_000_000,
        special_consumption_tax=500_000,
        environmental_tax=250_000,
        fine=3_000_000,
        assessed_on=D(2026, 10, 26),
    )
    services.record_finding(
        case=running,
        user=world.officer_a,
        declaration_number=second.number,
        issue="valuation",
        description="Trị giá thấp",
        vat=2_000_000,
    )
    finding = running.findings.get(declaration=first)
    assert finding.line_no == 2
    assert running.findings.get(declaration=second).line_no is None  # the whole declaration
    assert finding.tax_assessed == Decimal(11_750_000)
    totals = selectors.findings_totals(running)
    assert totals["tax"] == Decimal(13_750_000)
    assert totals["vat"] == Decimal(3_000_000)
    assert totals["total"] == Decimal(16_750_000)
    with pytest.raises(DomainError):
        services.record_finding(
            case=running,
            user=world.officer_a,
            declaration_number=first.number,
            line_no=9,
            issue="other",
            description="x",
        )


def test_collection_appeal_and_write_off_are_dated_and_kept_in_history(world, running):
    number = running.declarations.first().number
    finding = services.record_finding(
        case=running,
        user=world.officer_a,
        declaration_number=number,
        issue="origin",
        description="C/O",
        import_duty=6_000_000,
    )
    with pytest.raises(DomainError) as refused:
        services.update_collection(finding=finding, user=world.officer_a, collected=1_000_000)
    assert refused.value.field == "collected_on"
    services.update_collection(
        finding=finding,
        user=world.officer_a,
        collected=1_000_000,
        collected_on=D(2026, 11, 2),
        appealed=2_000_000,
        appealed_on=D(2026, 11, 3),
        written_off=500_000,
        written_off_on=D(2026, 11, 30),
    )
    finding.refresh_from_db()
    assert finding.outstanding == Decimal(2_500_000)
    assert finding.history.count() == 2
    assert finding.history.first().collected == Decimal(1_000_000)


def test_closing_writes_one_outcome_per_declaration_and_the_last_audit_date(world, running):
    first = running.declarations.order_by("number").first()
    services.record_finding(
        case=running,
        user=world.officer_a,
        declaration_number=first.number,
        issue="valuation",
        description="x",
        import_duty=4_000_000,
        vat=400_000,
        fine=800_000,
    )
    services.record_finding(
        case=running,
        user=world.officer_a,
        declaration_number=first.number,
        issue="origin",
        description="y",
        import_duty=1_000_000,
    )
    case = drive(world, running)
    outcomes = Outcome.objects.filter(source=Outcome.Source.AUDIT)
    assert outcomes.count() == 3
    hit = outcomes.get(declaration=first)
    assert hit.violation_found is True
    assert hit.additional_tax == Decimal(5_400_000)
    assert hit.fine == Decimal(800_000)
    assert hit.reference == f"{case.number}/{first.number}"
    assert hit.decided_on == case.concluded_on
    assert outcomes.filter(violation_found=False).count() == 2
    case.enterprise.refresh_from_db()
    assert case.enterprise.last_audit_on == D(2026, 11, 20)
    # Safe to run twice.
    services.feed_back_outcomes(case=case)
    assert Outcome.objects.filter(source=Outcome.Source.AUDIT).count() == 3


def test_findings_only_on_declarations_in_scope_and_while_the_audit_runs(world):
    case = open_case(world)
    with pytest.raises(DomainError) as refused:
        services.record_finding(
            case=case,
            user=world.officer_a,
            declaration_number=case.declarations.first().number,
            issue="other",
            description="x",
        )
    assert refused.value.code == "wrong_state"


def test_workload_shares_officer_days_among_the_team(world):
    from tests.factories import UserFactory

    colleague = UserFactory(username="officer-a2", unit=world.team_a)
    case = drive(world, open_case(world, estimated_officer_days=10), until="approved")
    services.perform(
        case=case,
        action="team_assigned",
        user=world.head_a,
        data={"lead": world.officer_a, "members": [world.officer_a, colleague]},
    )
    rows = {
        row["officer"].username: row
        for row in selectors.workload(user=world.head_a, unit=world.branch_a)
    }
    assert rows["officer-a"]["led"] == 1
    assert rows["officer-a"]["days"] == 5
    assert rows["officer-a2"]["joined"] == 1
    assert rows["officer-a2"]["days"] == 5

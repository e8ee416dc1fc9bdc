"""No two open audits of one enterprise with the same content and overlapping
periods, whoever the units — also under two concurrent requests — and the 5-year
window of the declarations in scope."""

import datetime as dt
import threading

import pytest
from django.db import connection

from audits import services
from audits.models import AuditCase, ScopeDeclaration
from stq02.errors import ConflictError, DomainError
from tests.audits.factories import drive, enterprise_in, open_case
from tests.factories import DeclarationFactory

D = dt.date


def test_an_overlapping_case_of_another_unit_is_refused_naming_that_unit(world):
    enterprise = enterprise_in(world)
    first = open_case(world, enterprise=enterprise)
    with pytest.raises(ConflictError) as refused:
        open_case(
            world,
            enterprise=enterprise,
            unit=world.team_b,
            user=world.officer_b,
            period_from=D(2025, 6, 1),
            period_to=D(2026, 3, 31),
        )
    assert first.number in str(refused.value)
    assert world.team_a.code in str(refused.value)
    assert world.team_a.name in str(refused.value)
    assert refused.value.details == {"case": first.number, "unit": world.team_a.code}


def test_other_content_or_a_later_period_does_not_overlap(world):
    enterprise = enterprise_in(world)
    open_case(world, enterprise=enterprise)
    open_case(world, enterprise=enterprise, content=AuditCase.Content.ORIGIN, declarations=0)
    open_case(
        world,
        enterprise=enterprise,
        period_from=D(2026, 1, 1),
        period_to=D(2026, 6, 30),
        declarations=0,
    )
    assert AuditCase.objects.filter(enterprise=enterprise).count() == 3


def test_a_closed_or_cancelled_case_no_longer_blocks(world):
    enterprise = enterprise_in(world)
    drive(world, open_case(world, enterprise=enterprise))
    second = open_case(world, enterprise=enterprise, declarations=0)
    services.perform(case=second, action="cancelled", user=world.head_a, data={"note": "x"})
    open_case(world, enterprise=enterprise, declarations=0)


def test_the_period_must_be_ordered_and_in_the_past(world):
    with pytest.raises(DomainError):
        open_case(world, period_from=D(2025, 6, 1), period_to=D(2025, 1, 1))
    with pytest.raises(DomainError):
        open_case(world, period_from=D(2025, 6, 1), period_to=D(2099, 1, 1))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_open_exactly_one_case(world):
    """Two officers of two units open overlapping cases at the same instant, each on
    its own database connection. PostgreSQL's exclusion constraint (SQLite: the
    serialised write lock) lets exactly one through; the other is told which unit
    holds the case."""
    enterprise = enterprise_in(world)
    DeclarationFactory(enterprise=enterprise, registered_on=D(2025, 4, 1))
    barrier = threading.Barrier(2)
    results = {}

    def attempt(name, unit, user):
        try:
            barrier.wait(timeout=10)
            case = services.open_case(
                enterprise=enterprise,
                unit=unit,
                user=user,
                kind=AuditCase.Kind.OFFICE,
                legal_basis=AuditCase.LegalBasis.RISK,
                content=AuditCase.Content.GENERAL,
                period_from=D(2025, 1, 1),
                period_to=D(2025, 12, 31),
            )
            results[name] = case
        except Exception as exc:  # noqa: BLE001 - the test reports what each thread got
            results[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=("a", world.team_a, world.officer_a)),
        threading.Thread(target=attempt, args=("b", world.team_b, world.officer_b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    cases = [r for r in results.values() if isinstance(r, AuditCase)]
    conflicts = [r for r in results.values() if isinstance(r, ConflictError)]
    assert len(cases) == 1, results
    assert len(conflicts) == 1, results
    winner = cases[0]
    assert winner.unit.code in str(conflicts[0])
    assert AuditCase.objects.filter(enterprise=enterprise, is_open=True).count() == 1


def test_declarations_older_than_5_years_cannot_be_put_in_scope(world):
    case = open_case(world, declarations=0)
    oldest = services.oldest_allowed_registration(dt.date.today())
    inside = DeclarationFactory(enterprise=case.enterprise, registered_on=oldest)
    outside = DeclarationFactory(
        enterprise=case.enterprise, registered_on=oldest - dt.timedelta(days=1)
    )
    services.add_to_scope(case=case, numbers=[inside.number], user=world.officer_a)
    with pytest.raises(DomainError) as refused:
        services.add_to_scope(case=case, numbers=[outside.number], user=world.officer_a)
    assert refused.value.code == "outside_five_years"
    assert outside.number in str(refused.value)
    assert list(case.declarations.all()) == [inside]


def test_the_window_is_checked_again_on_the_decision_date(world):
    case = drive(world, open_case(world, declarations=1), until="team_assigned")
    signed = D(2026, 10, 5)
    old = DeclarationFactory(enterprise=case.enterprise, registered_on=D(2021, 10, 4))
    ScopeDeclaration.objects.create(case=case, declaration=old)  # put in scope a while ago
    with pytest.raises(DomainError) as refused:
        services.perform(
            case=case,
            action="decision_signed",
            user=world.head_a,
            data={"signed_on": signed, "start_on": D(2026, 10, 19)},
        )
    assert refused.value.code == "outside_five_years"
    assert old.number in str(refused.value)
    assert "05/10/2021" in str(refused.value)
    ScopeDeclaration.objects.filter(declaration=old).delete()
    old.registered_on = D(2021, 10, 5)
    old.save()
    ScopeDeclaration.objects.create(case=case, declaration=old)
    services.perform(
        case=case,
        action="decision_signed",
        user=world.head_a,
        data={"signed_on": signed, "start_on": D(2026, 10, 19)},
    )


def test_a_declaration_of_another_enterprise_cannot_be_put_in_scope(world):
    case = open_case(world, declarations=0)
    stranger = DeclarationFactory(registered_on=D(2025, 5, 5))
    with pytest.raises(DomainError):
        services.add_to_scope(case=case, numbers=[stranger.number], user=world.officer_a)


def test_opening_a_case_puts_the_period_s_declarations_in_scope(world):
    case = open_case(world, declarations=3)
    DeclarationFactory(enterprise=case.enterprise, registered_on=D(2024, 5, 5))  # before
    assert case.declarations.count() == 3


def test_on_postgresql_the_database_itself_refuses_an_overlap(world):
    """Written around the service (as a bulk script might): PostgreSQL's exclusion
    constraint refuses it; SQLite has no such constraint and relies on the lock
    taken by the service, so the row goes in there."""
    from django.db import IntegrityError, transaction

    first = open_case(world)
    duplicate = AuditCase(
        number="X-1",
        enterprise=first.enterprise,
        unit=world.team_b,
        kind=first.kind,
        legal_basis=first.legal_basis,
        content=first.content,
        period_from=D(2025, 12, 1),
        period_to=D(2025, 12, 31),
    )
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="audit_case_no_overlap"), transaction.atomic():
            duplicate.save()
    else:
        duplicate.save()
        assert (
            services.overlapping_cases(
                enterprise_id=first.enterprise_id,
                content=first.content,
                period_from=D(2025, 1, 1),
                period_to=D(2025, 12, 31),
            ).count()
            == 2
        )

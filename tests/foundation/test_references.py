"""The references checked once per statement (stq02/references.py) hold as foreign
keys would: nothing can point at a row that does not exist, and a row that is
pointed at cannot disappear, whichever way the SQL comes."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F, ProtectedError

from declarations.models import Declaration, DeclarationLine
from enterprises.models import Enterprise
from stq02.models import Unit
from tests import waiting
from tests.factories import DeclarationFactory, DeclarationLineFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _line():
    return DeclarationLineFactory(declaration__customs_office=UnitFactory(kind=Unit.Kind.OFFICE))


# (referencing model, its field, how to reach the referenced row from a goods line)
REFERENCES = [
    (DeclarationLine, "declaration", lambda line: line.declaration),
    (Declaration, "enterprise", lambda line: line.declaration.enterprise),
    (Declaration, "customs_office", lambda line: line.declaration.customs_office),
]
IDS = ["line-declaration", "declaration-enterprise", "declaration-office"]


def _referencing(model, line):
    return line if model is DeclarationLine else line.declaration


def _end_of_transaction() -> None:
    """What a commit would check: PostgreSQL's triggers have failed the statement
    already; SQLite's foreign keys are checked at commit, which a test never reaches."""
    connection.check_constraints()


def _missing_id(parent_model) -> int:
    return (parent_model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 10


@pytest.mark.parametrize(("model", "field", "parent_of"), REFERENCES, ids=IDS)
def test_a_row_pointing_at_a_missing_row_is_refused_on_insert(model, field, parent_of):
    line = _line()
    row = _referencing(model, line)
    parent_model = model._meta.get_field(field).related_model
    row.pk = None
    if model is Declaration:
        row.number = "999999999999"
    else:
        row.line_no = 999
    setattr(row, f"{field}_id", _missing_id(parent_model))
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.bulk_create([row])
        _end_of_transaction()
    assert model.objects.count() == 1


@pytest.mark.parametrize(("model", "field", "parent_of"), REFERENCES, ids=IDS)
def test_a_row_cannot_be_changed_to_point_at_a_missing_row(model, field, parent_of):
    line = _line()
    row = _referencing(model, line)
    parent_model = model._meta.get_field(field).related_model
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{f"{field}_id": _missing_id(parent_model)})
        _end_of_transaction()
    row.refresh_from_db()
    assert getattr(row, f"{field}_id") == parent_of(line).pk


@pytest.mark.parametrize(("model", "field", "parent_of"), REFERENCES, ids=IDS)
def test_a_referenced_row_cannot_be_deleted_by_sql(model, field, parent_of):
    line = _line()
    parent = parent_of(line)
    with pytest.raises(IntegrityError), transaction.atomic():
        # _raw_delete: one DELETE statement, without Django's cascade or protection
        type(parent).objects.filter(pk=parent.pk)._raw_delete(connection.alias)
        _end_of_transaction()
    assert type(parent).objects.filter(pk=parent.pk).exists()


@pytest.mark.parametrize(("model", "field", "parent_of"), REFERENCES, ids=IDS)
def test_the_key_of_a_referenced_row_cannot_change(model, field, parent_of):
    parent = parent_of(_line())
    with pytest.raises(IntegrityError), transaction.atomic():
        type(parent).objects.filter(pk=parent.pk).update(id=F("id") + 1000)
        _end_of_transaction()
    assert type(parent).objects.filter(pk=parent.pk).exists()


def test_deleting_through_django_cascades_and_protects_as_before():
    line = _line()
    declaration = line.declaration
    declaration.delete()  # CASCADE: the goods lines go first
    assert not DeclarationLine.objects.filter(pk=line.pk).exists()
    other = DeclarationFactory()
    with pytest.raises(ProtectedError):
        other.enterprise.delete()
    # Unreferenced rows are deleted as usual.
    Declaration.objects.filter(pk=other.pk).delete()
    other.enterprise.delete()
    assert not Enterprise.objects.filter(pk=other.enterprise.pk).exists()


def test_truncating_a_referenced_table_alone_is_refused():
    if connection.vendor != "postgresql":
        # SQLite has no TRUNCATE; its DELETE is covered by the tests above.
        assert connection.vendor == "sqlite"
        return
    _line()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE declarations_declaration CASCADE")  # lines are not in it
    assert Declaration.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_delete_racing_an_insert_of_a_reference_waits_for_it_and_fails():
    """Transaction A adds a goods line to a declaration and has not committed yet;
    transaction B deletes that declaration by SQL. B waits for A (the SHARE lock on
    the goods line table), then finds A's line and fails; both rows stay."""
    declaration = DeclarationFactory()
    inserted = threading.Event()
    outcome = {}

    def delete():
        inserted.wait(timeout=30)
        try:
            with transaction.atomic():
                Declaration.objects.filter(pk=declaration.pk)._raw_delete(connection.alias)
            outcome["delete"] = "deleted"
        except Exception as exc:  # noqa: BLE001 - the test reports what B got
            outcome["delete"] = exc
        finally:
            connection.close()

    deleter = threading.Thread(target=delete)
    deleter.start()
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        line = DeclarationLineFactory(declaration=declaration)
        if postgresql:
            inserted.set()
            waiting.until_a_transaction_waits_for_a_lock()
    if not postgresql:  # SQLite serialises writers: B starts after A commits
        inserted.set()
    deleter.join(timeout=60)

    assert isinstance(outcome["delete"], IntegrityError), outcome
    assert DeclarationLine.objects.filter(pk=line.pk, declaration=declaration).exists()


def test_many_references_in_one_statement_are_checked_across_a_hole_in_the_keys():
    """PostgreSQL counts the keys between the lowest and the highest value given
    when they are close together; a hole among them (a deleted declaration) sends
    it back to a lookup per value, which accepts what exists and refuses the rest."""
    first, middle, last = (_line().declaration for _ in range(3))
    missing = middle.pk
    middle.delete()
    lines = [
        DeclarationLine(declaration_id=declaration.pk, line_no=no, hs_code="85171300")
        for declaration in (first, last)
        for no in (7, 8)
    ]
    DeclarationLine.objects.bulk_create(lines)
    _end_of_transaction()
    assert DeclarationLine.objects.filter(line_no__in=[7, 8]).count() == 4

    wrong = [
        DeclarationLine(declaration_id=pk, line_no=9, hs_code="85171300")
        for pk in (first.pk, missing, last.pk)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        DeclarationLine.objects.bulk_create(wrong)
        _end_of_transaction()
    assert not DeclarationLine.objects.filter(line_no=9).exists()

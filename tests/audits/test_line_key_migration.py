"""A finding keeps the goods line it cites across the migrations that make a
line's key its declaration and number (audits 0003, declarations 0009), both ways."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audits import services
from tests.audits.factories import drive, open_case
from tests.factories import DeclarationLineFactory

BEFORE = [
    ("audits", "0002_no_overlap_constraint"),
    ("declarations", "0008_reference_checks_by_range"),
]
AFTER = [
    ("audits", "0003_finding_line_no"),
    ("declarations", "0009_lines_known_by_declaration_and_number"),
]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _cited_lines(table: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.line_no FROM {table} f"  # noqa: S608 - a table name of this test's
            " JOIN declarations_declarationline l ON l.id = f.line_id"
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_a_finding_cites_the_same_goods_line_before_and_after(world):
    case = drive(world, open_case(world, declarations=1), until="minutes_recorded")
    declaration = case.declarations.get()
    for number in (1, 2, 3):
        DeclarationLineFactory(declaration=declaration, line_no=number)
    services.record_finding(
        case=case,
        user=world.officer_a,
        declaration_number=declaration.number,
        line_no=2,
        issue="valuation",
        description="Trị giá thấp",
        vat=1_000_000,
    )
    try:
        _migrate(BEFORE)  # lines get ids again; the finding and its history point at one
        assert _cited_lines("audits_finding") == [2]
        assert _cited_lines("audits_historicalfinding") == [2]
    finally:
        _migrate(AFTER)
    finding = case.findings.get()
    assert finding.line_no == 2
    assert [h.line_no for h in finding.history.all()] == [2]
    assert sorted(declaration.lines.values_list("line_no", flat=True)) == [1, 2, 3]

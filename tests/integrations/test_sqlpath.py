"""The PostgreSQL COPY path gives exactly what the portable path gives."""

import pytest
from django.db import connection

from declarations.models import Declaration, DeclarationLine
from integrations import pipeline, sqlpath
from integrations.adapters import get_adapter
from tests.integrations.samples import declarations, line, write_csv


def _mixed_rows():
    rows = declarations(4, lines=3)
    rows[4]["hs_code"] = "12"  # second declaration rejected
    rows[7]["registered_on"] = "31/02/2026"  # third declaration rejected
    rows.append(line("105000000001", 9))  # scattered: rejected as already stored
    rows.append(line("105000000009", 1, registered_on="05/03/2026", tax_code="0100109106 "))
    return rows


def _snapshot(batch):
    declarations_ = list(
        Declaration.objects.order_by("number", "version").values_list(
            "number", "version", "is_current", "content_hash", "customs_value", "registered_on"
        )
    )
    lines = list(
        DeclarationLine.objects.order_by("declaration__number", "line_no").values_list(
            "declaration__number", "line_no", "hs_code", "customs_value", "vat_rate"
        )
    )
    rejections = list(
        batch.rejections.order_by("row_number").values_list("row_number", "field", "reason")
    )
    counts = (batch.new_count, batch.changed_count, batch.unchanged_count, batch.rejected_count)
    return declarations_, lines, rejections, counts


def test_sql_path_matches_the_portable_path(world, tmp_path, settings):
    path = write_csv(tmp_path / "mixed.csv", _mixed_rows())
    settings.INGEST_SQL_PATH = False
    portable = _snapshot(pipeline.import_file(source="vnaccs-csv", path=path, chunk_rows=6))
    assert portable[3] == (3, 0, 0, 3)
    if connection.vendor != "postgresql":
        settings.INGEST_SQL_PATH = True
        assert not sqlpath.supported(get_adapter("vnaccs-csv"))
        return
    Declaration.objects.all().delete()
    settings.INGEST_SQL_PATH = True
    assert sqlpath.supported(get_adapter("vnaccs-csv"))
    fast = _snapshot(pipeline.import_file(source="vnaccs-csv", path=path, chunk_rows=6))
    assert fast == portable
    # A file imported by one path is "unchanged" when sent through the other.
    clean = write_csv(tmp_path / "clean.csv", declarations(3, lines=2, start=105000000101))
    pipeline.import_file(source="vnaccs-csv", path=clean)
    settings.INGEST_SQL_PATH = False
    again = pipeline.import_file(source="vnaccs-csv", path=clean)
    assert (again.new_count, again.changed_count, again.unchanged_count) == (0, 0, 3)


@pytest.mark.parametrize("value", ["2026-02-29", "29/02/2026", "2026-13-01", "0000-01-01"])
def test_sql_date_check_agrees_with_python(world, value):
    from integrations.fields import BadValue, date

    try:
        expected = date(value)
    except BadValue:
        expected = None
    if connection.vendor != "postgresql":
        assert expected is None  # none of these dates exists
        return
    valid, norm = date.sql("p")
    with connection.cursor() as cursor:
        query = (
            f"SELECT CASE WHEN {valid} THEN {norm} END FROM "  # noqa: S608 (our own check)
            f"(SELECT {date.sql_prep('v')} AS p FROM (SELECT %s::text AS v) a) x"
        )
        cursor.execute(query, [value])
        assert cursor.fetchone()[0] == expected

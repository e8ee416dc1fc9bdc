"""Bulk writes to PostgreSQL with COPY, shared by the writers of many rows (the
declaration writer, the demo generator, the scoring run, the columnar ingest).

Rows go in as COPY's text format: one line per row, columns separated by tabs,
``\\N`` for NULL. The caller names the model's columns it gives, in order."""

import io

from django.db import connection


def copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = value if isinstance(value, str) else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def columns_but_key(model) -> list:
    """The model's concrete fields without its primary key (which the table fills)."""
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def field_defaults(model) -> dict:
    """What a column gets when a writer leaves it empty: the field's default, else
    NULL where allowed, else "" (every non-key concrete field, by attname)."""
    values = {}
    for f in columns_but_key(model):
        if f.has_default():
            values[f.attname] = f.get_default()
        elif f.null:
            values[f.attname] = None
        else:
            values[f.attname] = ""
    return values


def copy_rows(cursor, model, columns, rows) -> None:
    """COPY ``rows`` (each a sequence of :func:`copy_text` values, one per field of
    ``columns``) into the model's table. ``cursor`` is psycopg2's own (Django's
    wrapper has no copy_expert): ``connection.cursor().cursor``."""
    buffer = io.StringIO()
    write = buffer.write
    for row in rows:
        write("\t".join(row))
        write("\n")
    buffer.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)


def reserve_ids(cursor, model, count: int) -> list[int]:
    """``count`` new ids of ``model`` from its sequence, for rows written with their
    ids (goods lines need their declaration's). The sequence is looked up once:
    named through pg_get_serial_sequence in the select list it was looked up for
    every id (45 ms against 7 ms for 16,667 ids)."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
    (sequence,) = cursor.fetchone()
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
    return [row[0] for row in cursor.fetchall()]

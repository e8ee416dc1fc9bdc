"""References checked once per statement instead of once per row.

A PostgreSQL foreign key checks every inserted row with its own query (an internal
trigger per row). For the tables that the ingest fills by the million — goods lines
pointing at their declaration, declarations pointing at their enterprise and customs
office — those checks were most of the database's work: copying 1 M goods lines and
their 333 k declarations took 13.5 s with the foreign keys and 7.9 s with the checks
below (measured with psql on the rows of ``bench/ingest.py``).

``SetBasedReference`` is a migration operation for a ``ForeignKey`` declared with
``db_constraint=False``. It keeps the same guarantee with triggers:

- on the referencing table, after each INSERT or UPDATE *statement*, one query over
  the statement's new rows (a transition table) looks for a value with no row in the
  referenced table, and fails the statement with SQLSTATE 23503 (foreign_key_violation,
  Django's ``IntegrityError``), as the foreign key would;
- on the referenced table, a DELETE statement first locks the referencing table in
  SHARE mode (so that no transaction can be adding references to the rows it removes,
  and it waits for those that are), then one query checks that no reference is left;
  a TRUNCATE must leave the referencing table empty; a referenced key cannot change.

Differences from a foreign key, on purpose or accepted:

- the check runs at the end of each statement, not at commit (Django declares its
  foreign keys deferred): write the referenced row first, as every writer here does;
- deleting referenced rows takes a table lock on the referencing table, so it waits
  for an import's chunk in progress to commit (deletions of declarations, enterprises
  and offices are rare administrative acts; two at once may be failed as a deadlock);
- the race between an insert and a concurrent delete is closed for READ COMMITTED
  transactions (Django's default), whose trigger queries see rows committed while they
  waited for the lock; a REPEATABLE READ transaction adding references is not covered.

SQLite (the embedded mode) keeps its foreign keys, checked at commit, as Django made
them: its single writer is not the ingest's bottleneck. Django's state says
``db_constraint=False`` for both, so a later migration that makes SQLite rebuild
one of these tables would rebuild it without the key (and one that renames a table
on PostgreSQL leaves the triggers naming the old one): run ``SetBasedReference``
again after such a migration. ``tests/foundation/test_references.py`` fails on both
databases if a reference is not enforced. The operation uses three of the schema
editor's underscored helpers (finding, dropping and creating a foreign key), which
Django's own operations use.
"""

import hashlib

from django.db import migrations

_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION stq02_reference_new_rows_resolve() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing text;
    low bigint;
    high bigint;
    given bigint;
    present bigint;
BEGIN
    -- TG_ARGV: referencing column, referenced table, referenced column
    IF (SELECT atttypid FROM pg_attribute WHERE attrelid = TG_RELID AND attname = TG_ARGV[0])
            IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
        -- Integer keys: if every key from the lowest to the highest value given
        -- exists, each value given does. One count over a range of the key's index
        -- instead of a lookup per value; tried only while the range is small.
        EXECUTE format('SELECT min(%1$I), max(%1$I), count(%1$I) FROM new_rows', TG_ARGV[0])
            INTO low, high, given;
        IF given = 0 THEN
            RETURN NULL;
        END IF;
        IF high - low < 4 * given THEN
            EXECUTE format('SELECT count(*) FROM %1$I WHERE %2$I BETWEEN $1 AND $2',
                           TG_ARGV[1], TG_ARGV[2])
                INTO present USING low, high;
            IF present = high - low + 1 THEN
                RETURN NULL;
            END IF;
        END IF;
    END IF;
    EXECUTE format(
        'SELECT n.v::text FROM (SELECT DISTINCT %1$I AS v FROM new_rows) n '
        'WHERE n.v IS NOT NULL AND NOT EXISTS (SELECT FROM %2$I r WHERE r.%3$I = n.v) LIMIT 1',
        TG_ARGV[0], TG_ARGV[1], TG_ARGV[2]
    ) INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates reference "%"',
            TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                  TG_ARGV[0], missing, TG_ARGV[1]);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION stq02_reference_lock_referencing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV: referencing table
    EXECUTE format('LOCK TABLE %I IN SHARE MODE', TG_ARGV[0]);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION stq02_reference_none_left() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    left_over text;
BEGIN
    -- TG_ARGV: referencing table, referencing column, referenced column
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT %2$I::text FROM %1$I LIMIT 1', TG_ARGV[0], TG_ARGV[1])
            INTO left_over;
    ELSE
        EXECUTE format(
            'SELECT o.%3$I::text FROM old_rows o '
            'WHERE EXISTS (SELECT FROM %1$I c WHERE c.%2$I = o.%3$I) LIMIT 1',
            TG_ARGV[0], TG_ARGV[1], TG_ARGV[2]
        ) INTO left_over;
    END IF;
    IF left_over IS NOT NULL THEN
        RAISE EXCEPTION 'delete on table "%" violates reference from table "%"',
            TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s)=(%s) is still referenced from table "%s".',
                                  TG_ARGV[2], left_over, TG_ARGV[0]);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION stq02_reference_key_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the key of table "%" is referenced and cannot change', TG_TABLE_NAME
        USING ERRCODE = 'foreign_key_violation';
END $$;
"""


def _names(child: str, column: str) -> dict:
    stem = f"{child}_{column}"
    if len(stem) > 52:  # PostgreSQL names are at most 63 bytes
        stem = stem[:43] + "_" + hashlib.md5(stem.encode(), usedforsecurity=False).hexdigest()[:8]
    return {
        "insert": f"{stem}_ref_ins",
        "update": f"{stem}_ref_upd",
        "lock": f"{stem}_ref_lock",
        "delete": f"{stem}_ref_del",
        "truncate": f"{stem}_ref_trunc",
        "key": f"{stem}_ref_key",
    }


def _postgresql(child, column, parent, key, quote) -> tuple[list[str], list[str]]:
    n = _names(child, column)
    c, p = quote(child), quote(parent)
    args = f"'{column}', '{parent}', '{key}'"
    back = f"'{child}', '{column}', '{key}'"
    forwards = [
        _FUNCTIONS,
        f"CREATE TRIGGER {quote(n['insert'])} AFTER INSERT ON {c} REFERENCING NEW TABLE AS "
        f"new_rows FOR EACH STATEMENT EXECUTE FUNCTION stq02_reference_new_rows_resolve({args})",
        f"CREATE TRIGGER {quote(n['update'])} AFTER UPDATE ON {c} REFERENCING NEW TABLE AS "
        f"new_rows FOR EACH STATEMENT EXECUTE FUNCTION stq02_reference_new_rows_resolve({args})",
        f"CREATE TRIGGER {quote(n['lock'])} BEFORE DELETE ON {p} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION stq02_reference_lock_referencing('{child}')",
        f"CREATE TRIGGER {quote(n['delete'])} AFTER DELETE ON {p} REFERENCING OLD TABLE AS "
        f"old_rows FOR EACH STATEMENT EXECUTE FUNCTION stq02_reference_none_left({back})",
        f"CREATE TRIGGER {quote(n['truncate'])} AFTER TRUNCATE ON {p} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION stq02_reference_none_left({back})",
        f"CREATE TRIGGER {quote(n['key'])} BEFORE UPDATE ON {p} FOR EACH ROW "
        f"WHEN (OLD.{quote(key)} IS DISTINCT FROM NEW.{quote(key)}) "
        "EXECUTE FUNCTION stq02_reference_key_fixed()",
    ]
    backwards = [
        f"DROP TRIGGER IF EXISTS {quote(n[kind])} ON {c}" for kind in ("insert", "update")
    ] + [
        f"DROP TRIGGER IF EXISTS {quote(n[kind])} ON {p}"
        for kind in ("lock", "delete", "truncate", "key")
    ]
    return forwards, backwards


def refresh_functions(apps, schema_editor) -> None:
    """For ``RunPython``: replace the trigger functions by this module's text (their
    triggers stay). Reversed by nothing: each version decides the same."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_FUNCTIONS, params=None)


class SetBasedReference(migrations.operations.base.Operation):
    """Make the foreign key ``model_name.field_name`` a set-based reference: in
    Django's state the field gets ``db_constraint=False`` (declare it so on the
    model); on PostgreSQL the foreign key constraint is replaced by the triggers
    described in this module; SQLite keeps its own foreign key."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, field_name: str):
        self.model_name = model_name
        self.field_name = field_name

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "field_name": self.field_name},
        )

    def state_forwards(self, app_label, state):
        model_key = self.model_name.lower()
        field = state.models[app_label, model_key].fields[self.field_name].clone()
        field.db_constraint = False
        state.alter_field(app_label, model_key, self.field_name, field, preserve_default=True)

    def _triggers(self, app_label, schema_editor, state):
        model = state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field_name)
        target = field.target_field
        forwards, backwards = _postgresql(
            model._meta.db_table,
            field.column,
            target.model._meta.db_table,
            target.column,
            schema_editor.quote_name,
        )
        return model, field, forwards, backwards

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite checks its foreign keys at commit, cheaply enough here
        model, field, forwards, backwards = self._triggers(app_label, schema_editor, from_state)
        for name in schema_editor._constraint_names(model, [field.column], foreign_key=True):
            schema_editor.execute(schema_editor._delete_fk_sql(model, name))
        for statement in backwards + forwards:  # from the start if run a second time
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, field, _forwards, backwards = self._triggers(app_label, schema_editor, to_state)
        for statement in backwards:
            schema_editor.execute(statement, params=None)
        schema_editor.execute(
            schema_editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s")
        )

    def describe(self):
        return f"Check {self.model_name}.{self.field_name} once per statement (PostgreSQL)"

    @property
    def migration_name_fragment(self):
        return f"{self.model_name.lower()}_{self.field_name}_set_based_reference"

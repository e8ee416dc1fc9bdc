"""Drop the indexes that a wider index already serves, so that each declaration and
goods line written costs fewer index entries (the ingest of millions of lines):

- declaration number: the unique (number, version) index leads with it;
- declaration enterprise and customs office: the (enterprise, registered_on) and
  (customs_office, registered_on) indexes lead with them;
- goods line declaration: the unique (declaration, line_no) index leads with it;
- goods line HS code: two indexes (equality, and LIKE prefixes on PostgreSQL) become
  one with the pattern operator class, which serves both.

The indexes are dropped by name. Django's AlterField would find "the indexes on the
number column" and drop the partial unique index of the current version as well."""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = {
    # name: (table, column, PostgreSQL also has a ..._like twin)
    "declarations_declaration_number_f2911e94": ("declarations_declaration", "number", True),
    "declarations_declaration_enterprise_id_609f36e7": (
        "declarations_declaration",
        "enterprise_id",
        False,
    ),
    "declarations_declaration_customs_office_id_20f43b9f": (
        "declarations_declaration",
        "customs_office_id",
        False,
    ),
    "declarations_declarationline_declaration_id_09502d1d": (
        "declarations_declarationline",
        "declaration_id",
        False,
    ),
    "declarations_declarationline_hs_code_392f5744": (
        "declarations_declarationline",
        "hs_code",
        True,
    ),
}


def drop(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, (_table, _column, like) in DROPPED.items():
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
        if like and postgres:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}_like"')


def restore(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, (table, column, like) in DROPPED.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
        if like and postgres:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}_like" ON "{table}" '
                f'("{column}" varchar_pattern_ops)'
            )


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0004_summary_fillfactor"),
        ("enterprises", "0001_initial"),
        ("stq02", "0002_workerheartbeat"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="declaration",
                    name="number",
                    field=models.CharField(max_length=12, verbose_name="declaration number"),
                ),
                migrations.AlterField(
                    model_name="declaration",
                    name="customs_office",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="stq02.unit",
                        verbose_name="customs office",
                    ),
                ),
                migrations.AlterField(
                    model_name="declaration",
                    name="enterprise",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="declarations",
                        to="enterprises.enterprise",
                        verbose_name="importer / exporter",
                    ),
                ),
                migrations.AlterField(
                    model_name="declarationline",
                    name="declaration",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="declarations.declaration",
                        verbose_name="declaration",
                    ),
                ),
                migrations.AlterField(
                    model_name="declarationline",
                    name="hs_code",
                    field=models.CharField(max_length=8, verbose_name="HS code"),
                ),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        ),
        migrations.AddIndex(
            model_name="declarationline",
            index=models.Index(
                fields=["hs_code"], name="line_hs_code", opclasses=["varchar_pattern_ops"]
            ),
        ),
    ]

"""The references the ingest writes by the million (goods line -> declaration,
declaration -> enterprise and customs office) are checked once per statement by
triggers instead of once per row by foreign keys on PostgreSQL: stq02/references.py
says how, and what they cost before (13.5 s against 7.9 s of database work for
1 M goods lines)."""

from django.db import migrations

from stq02.references import SetBasedReference


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0006_summarised_enterprises"),
        ("enterprises", "0001_initial"),
        ("stq02", "0002_workerheartbeat"),
    ]

    operations = [
        SetBasedReference(model_name="declaration", field_name="customs_office"),
        SetBasedReference(model_name="declaration", field_name="enterprise"),
        SetBasedReference(model_name="declarationline", field_name="declaration"),
    ]

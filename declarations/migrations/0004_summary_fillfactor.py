from django.db import migrations

TABLES = (
    "declarations_enterprisemonth",
    "declarations_enterprisepartnermonth",
    "declarations_enterprisegoodsmonth",
)


def fillfactor(percent):
    """Writers update summary rows in place; with room left on each page PostgreSQL
    updates them without new index entries (HOT). Measured on 5 million lines:
    upserts of 4,000 declarations 30–50 % faster at 70. Other databases: nothing."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")

    return run


class Migration(migrations.Migration):
    dependencies = [("declarations", "0003_enterprise_summaries")]

    operations = [migrations.RunPython(fillfactor(70), fillfactor(100))]

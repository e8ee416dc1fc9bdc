"""One open audit per enterprise, content and overlapping period, enforced by
PostgreSQL (btree_gist exclusion constraint). Other databases rely on the row
lock taken by audits.services.open_case.

Creating the btree_gist extension needs a role allowed to create extensions; a
deployment whose role may not must have it created by the DBA beforehand."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE audits_auditcase ADD CONSTRAINT audit_case_no_overlap EXCLUDE USING gist (
    enterprise_id WITH =,
    content WITH =,
    daterange(period_from, period_to, '[]') WITH &&
) WHERE (is_open);
"""
DROP = "ALTER TABLE audits_auditcase DROP CONSTRAINT IF EXISTS audit_case_no_overlap;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

"""The starting set of risk criteria (risk.criteria.STARTING_SET), version 1 each.

Idempotent like ``manage.py load_criteria``: an existing code is left alone."""

from django.db import migrations


def load(apps, schema_editor):
    from risk.criteria import STARTING_DATE, STARTING_SET

    Criterion = apps.get_model("risk", "Criterion")
    for code, name, description, indicator, operator, threshold, weight, source in STARTING_SET:
        if Criterion.objects.filter(code=code).exists():
            continue
        Criterion.objects.create(
            code=code,
            version=1,
            name=name,
            description=description,
            indicator=indicator,
            operator=operator,
            threshold=threshold,
            weight=weight,
            legal_basis=source,
            effective_from=STARTING_DATE,
        )


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

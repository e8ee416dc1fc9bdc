"""A finding names its goods line by number on its declaration, as the officer
cites it, instead of by the line's id: goods lines lose their surrogate id in
declarations 0009 (they are known by declaration and number)."""

from django.db import migrations, models


def _line_numbers(apps, finding_model):
    Line = apps.get_model("declarations", "DeclarationLine")
    referenced = finding_model.objects.exclude(line_id=None).values("line_id")
    return dict(Line.objects.filter(pk__in=referenced).values_list("pk", "line_no"))


def ids_to_numbers(apps, schema_editor):
    for name in ("Finding", "HistoricalFinding"):
        model = apps.get_model("audits", name)
        numbers = _line_numbers(apps, model)
        for row in model.objects.exclude(line_id=None).only("pk", "line_id"):
            row.line_no = numbers.get(row.line_id)
            row.save(update_fields=["line_no"])


def numbers_to_ids(apps, schema_editor):
    Line = apps.get_model("declarations", "DeclarationLine")
    for name in ("Finding", "HistoricalFinding"):
        model = apps.get_model("audits", name)
        for row in model.objects.exclude(line_no=None).only("pk", "declaration_id", "line_no"):
            row.line_id = (
                Line.objects.filter(declaration_id=row.declaration_id, line_no=row.line_no)
                .values_list("pk", flat=True)
                .first()
            )
            row.save(update_fields=["line_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0002_no_overlap_constraint"),
        ("declarations", "0008_reference_checks_by_range"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="line_no",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="goods line"
            ),
        ),
        migrations.AddField(
            model_name="historicalfinding",
            name="line_no",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="goods line"
            ),
        ),
        migrations.RunPython(ids_to_numbers, numbers_to_ids),
        migrations.RemoveField(model_name="finding", name="line"),
        migrations.RemoveField(model_name="historicalfinding", name="line"),
    ]

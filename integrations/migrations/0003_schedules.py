from django.db import migrations


def create(apps, schema_editor):
    from integrations.schedules import setup_schedules

    setup_schedules(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove(apps, schema_editor):
    from integrations.schedules import schedule_rows

    task = apps.get_model("django_celery_beat", "PeriodicTask")
    task.objects.filter(name__in=[row[0] for row in schedule_rows()]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_importbatch_language"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]

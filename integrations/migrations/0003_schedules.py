from django.db import migrations

# The periodic tasks were first written here; they are now declared with every
# other periodic task in stq02/schedules.py and written by `manage.py
# setup_schedules`. The migration stays so that the chain of migrations holds.


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_importbatch_language"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = []

import json

from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from stq02 import schedules
from stq02.celery import app


def test_every_periodic_task_is_written_and_names_a_real_task(db):
    call_command("setup_schedules", verbosity=0)
    app.loader.import_default_modules()
    rows = {task.name: task for task in PeriodicTask.objects.all()}
    for name, task, _cron, kwargs in schedules.SCHEDULES:
        assert rows[name].task == task
        assert json.loads(rows[name].kwargs) == kwargs
        assert task in app.tasks, f"{task} is not a registered Celery task"
    assert rows["integrations: pull vnaccs-http"].crontab.minute == "*/15"
    assert rows["Nightly risk scoring"].crontab.hour == "1"


def test_setup_keeps_an_administrators_change(db):
    call_command("setup_schedules", verbosity=0)
    PeriodicTask.objects.filter(name="Nightly risk scoring").update(enabled=False)
    call_command("setup_schedules", verbosity=0)
    assert not PeriodicTask.objects.get(name="Nightly risk scoring").enabled
    call_command("setup_schedules", reset=True, verbosity=0)
    assert PeriodicTask.objects.get(name="Nightly risk scoring").enabled

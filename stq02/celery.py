"""The Celery application shared by the web processes, the workers and beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stq02.settings")

app = Celery("stq02")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

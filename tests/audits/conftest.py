import os

import pytest

from stq02 import workdays

# Playwright's sync API runs an event loop in the test thread; Django's live
# server and ORM calls from that thread are safe here (one thread, test database).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """stq02.workdays caches the administrator's corrections per year; a test's
    rolled-back CalendarDay rows must not leak into the next test."""
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Generated documents and attachments go to a temporary private root."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }

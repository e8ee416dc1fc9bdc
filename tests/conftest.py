"""Shared fixtures: the personas of the permission matrix and their clients.

The organisation used by most tests::

    central (KTSTQ)            department head, central officer
    ├── branch A (KV-A)        unit head of A, API client of A
    │   └── team A (KV-A-KT)   officer of A
    └── branch B (KV-B)        unit head of B
        └── team B (KV-B-KT)   officer of B
"""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from stq02 import workdays
from stq02.celery import app as celery_app
from stq02.models import ApiToken, Role, Unit
from tests.factories import ProvinceFactory, UnitFactory, UserFactory


@pytest.fixture(autouse=True)
def _eager_celery_and_clean_cache(settings):
    # Hashing demo passwords with PBKDF2 would be most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests run tasks in-process; the one worker test starts its own worker.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    cache.clear()
    # The calendar corrections are cached per year; a rolled-back test must not
    # leave its swapped days behind for the next one.
    workdays.clear_cache()
    yield
    cache.clear()
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads, rejected rows, case documents and report files go to the test's own
    private folder, never to var/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }


@dataclass
class World:
    central: Unit
    branch_a: Unit
    team_a: Unit
    branch_b: Unit
    team_b: Unit
    officer_a: object
    officer_b: object
    head_a: object
    head_b: object
    department_head: object
    central_officer: object
    api_a: object
    api_a_token: str
    admin: object

    def client(self, persona: str | None):
        """A logged-in Django test client for ``persona`` (None: anonymous)."""
        from django.test import Client

        client = Client()
        if persona:
            client.force_login(getattr(self, persona))
        return client

    def api(self, persona: str | None):
        """A DRF client: token for the API client, session for the others."""
        client = APIClient()
        if persona == "api_a":
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.api_a_token}")
        elif persona:
            client.force_authenticate(getattr(self, persona))
        return client


@pytest.fixture
def world(db) -> World:
    province_a = ProvinceFactory(code="01", name="Hà Nội")
    province_b = ProvinceFactory(code="79", name="TP. Hồ Chí Minh")
    central = UnitFactory(code="KTSTQ", name="Kiểm tra sau thông quan", kind=Unit.Kind.CENTRAL)
    branch_a = UnitFactory(code="KV-A", name="Chi cục Hải quan khu vực A", parent=central)
    branch_a.provinces.set([province_a])
    team_a = UnitFactory(code="KV-A-KT", name="Đội KTSTQ A", kind=Unit.Kind.TEAM, parent=branch_a)
    team_a.provinces.set([province_a])
    branch_b = UnitFactory(code="KV-B", name="Chi cục Hải quan khu vực B", parent=central)
    branch_b.provinces.set([province_b])
    team_b = UnitFactory(code="KV-B-KT", name="Đội KTSTQ B", kind=Unit.Kind.TEAM, parent=branch_b)
    team_b.provinces.set([province_b])
    api_a = UserFactory(username="api-a", role=Role.API_CLIENT, unit=branch_a)
    _token, raw = ApiToken.issue(user=api_a, name="test")
    return World(
        central=central,
        branch_a=branch_a,
        team_a=team_a,
        branch_b=branch_b,
        team_b=team_b,
        officer_a=UserFactory(username="officer-a", role=Role.OFFICER, unit=team_a),
        officer_b=UserFactory(username="officer-b", role=Role.OFFICER, unit=team_b),
        head_a=UserFactory(username="head-a", role=Role.UNIT_HEAD, unit=branch_a),
        head_b=UserFactory(username="head-b", role=Role.UNIT_HEAD, unit=branch_b),
        department_head=UserFactory(username="dept-head", role=Role.DEPARTMENT_HEAD, unit=central),
        central_officer=UserFactory(username="officer-central", role=Role.OFFICER, unit=central),
        api_a=api_a,
        api_a_token=raw,
        admin=UserFactory(
            username="admin", role=Role.ADMIN, unit=central, is_staff=True, is_superuser=True
        ),
    )

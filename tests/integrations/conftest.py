import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Reasons are asserted in English; one test switches to Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded files and rejected-row files go to the test's own folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"

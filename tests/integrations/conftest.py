import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Reasons are asserted in English; one test switches to Vietnamese."""
    with translation.override("en"):
        yield

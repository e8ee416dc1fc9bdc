"""The permission matrix: every persona against the pages and endpoints that hold
another unit's data. Each cell is what the persona must get; a row of another
unit is a 404 (its existence is not disclosed), a page outside the role a 403,
an anonymous page a redirect to sign-in, an anonymous API call a 401/403.

The objects all belong to unit A (branch A and its audit team).
"""

import datetime as dt

import pytest
from django.urls import reverse

from tests.audits.factories import open_case
from tests.factories import DeclarationFactory, EnterpriseFactory

PERSONAS = ["anonymous", "officer_a", "officer_b", "head_a", "department_head", "api_a"]

# What each persona gets on a page showing one of unit A's objects.
OBJECT_PAGE = {
    "anonymous": 302,
    "officer_a": 200,
    "officer_b": 404,
    "head_a": 200,
    "department_head": 200,
    "api_a": 403,
}
# ...and on an API endpoint returning one of unit A's objects.
OBJECT_API = {
    "anonymous": 401,
    "officer_a": 200,
    "officer_b": 404,
    "head_a": 200,
    "department_head": 200,
    "api_a": 200,
}
LIST_PAGE = {
    "anonymous": 302,
    "officer_a": 200,
    "officer_b": 200,
    "head_a": 200,
    "department_head": 200,
    "api_a": 403,
}
HEADS_PAGE = {
    "anonymous": 302,
    "officer_a": 403,
    "officer_b": 403,
    "head_a": 200,
    "department_head": 200,
    "api_a": 403,
}


@pytest.fixture
def unit_a_objects(world):
    enterprise = EnterpriseFactory(
        managing_unit=world.branch_a,
        province=world.branch_a.provinces.first(),
        name="Công ty TNHH Đơn vị A",
    )
    declaration = DeclarationFactory(enterprise=enterprise, registered_on=dt.date(2025, 6, 2))
    case = open_case(world, enterprise=enterprise)
    return {"enterprise": enterprise, "declaration": declaration, "case": case}


def _pages(objects):
    return [
        (
            "enterprise page",
            reverse("enterprises:detail", args=[objects["enterprise"].tax_code]),
            OBJECT_PAGE,
        ),
        (
            "declaration page",
            reverse("declarations:detail", args=[objects["declaration"].number]),
            OBJECT_PAGE,
        ),
        ("audit case page", reverse("audits:case-detail", args=[objects["case"].pk]), OBJECT_PAGE),
        (
            "risk history of the enterprise",
            reverse("risk:enterprise", args=[objects["enterprise"].tax_code]),
            OBJECT_PAGE,
        ),
        ("enterprise list", reverse("enterprises:list"), LIST_PAGE),
        ("declaration list", reverse("declarations:list"), LIST_PAGE),
        ("case list", reverse("audits:case-list"), LIST_PAGE),
        ("risk list", reverse("risk:list"), LIST_PAGE),
        ("import batches", reverse("integrations:batch-list"), LIST_PAGE),
        ("reports dashboard", reverse("reports:dashboard"), HEADS_PAGE),
        ("statistics", reverse("reports:statistics"), HEADS_PAGE),
        ("report jobs", reverse("reports:report-list"), HEADS_PAGE),
    ]


def _endpoints(objects):
    return [
        (
            "enterprise",
            reverse("api:enterprise-detail", args=[objects["enterprise"].tax_code]),
            OBJECT_API,
        ),
        (
            "declaration",
            reverse("api:declaration-detail", args=[objects["declaration"].number]),
            OBJECT_API,
        ),
        ("audit case", reverse("api:audit-case-detail", args=[objects["case"].pk]), OBJECT_API),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages(world, unit_a_objects, persona):
    client = world.client(None if persona == "anonymous" else persona)
    seen = {name: client.get(url).status_code for name, url, _expected in _pages(unit_a_objects)}
    expected = {name: table[persona] for name, _url, table in _pages(unit_a_objects)}
    assert seen == expected
    if persona == "anonymous":
        response = client.get(reverse("enterprises:list"))
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_api(world, unit_a_objects, persona):
    client = world.api(None if persona == "anonymous" else persona)
    seen = {}
    for name, url, table in _endpoints(unit_a_objects):
        response = client.get(url)
        seen[name] = response.status_code
        if response.status_code >= 400:
            assert "error" in response.json(), f"{name}: the error is not in the common shape"
        if table[persona] == 401 and response.status_code == 403:
            seen[name] = 401  # DRF answers 403 to session-less anonymous calls; both refuse
    assert seen == {name: table[persona] for name, _url, table in _endpoints(unit_a_objects)}


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("officer_a", True),
        ("officer_b", False),
        ("head_a", True),
        ("department_head", True),
        ("api_a", True),
    ],
)
def test_lists_show_only_the_unit_rows(world, unit_a_objects, persona, visible):
    tax_code = unit_a_objects["enterprise"].tax_code
    body = world.api(persona).get(reverse("api:enterprise-list")).json()
    assert (tax_code in {row["tax_code"] for row in body["results"]}) is visible
    cases = world.api(persona).get(reverse("api:audit-case-list")).json()
    assert (unit_a_objects["case"].pk in {row["id"] for row in cases["results"]}) is visible


def test_another_unit_cannot_change_a_case(world, unit_a_objects):
    case = unit_a_objects["case"]
    url = reverse("api:audit-case-step", args=[case.pk, "proposed"])
    response = world.api("officer_b").post(url, {"estimated_officer_days": 5}, format="json")
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.state == "information"
    page = world.client("officer_b").post(
        reverse("audits:case-step", args=[case.pk, "proposed"]), {"estimated_officer_days": 5}
    )
    assert page.status_code == 404
    case.refresh_from_db()
    assert case.state == "information"

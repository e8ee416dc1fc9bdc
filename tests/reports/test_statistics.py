"""The statistics page and API: totals are the sums of the unit rows, figures are
scoped by unit, and only heads see the page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.urls import reverse

from audits.models import Finding
from reports import selectors
from reports.selectors import Period
from tests.reports.factories import closed_case

YEAR = {"year": "2026"}


@pytest.fixture
def cases(world):
    return [
        closed_case(
            world,
            branch="a",
            kind="office",
            findings=[
                {
                    "import_duty": 10_000_000,
                    "vat": 1_000_000,
                    "fine": 2_000_000,
                    "collected": 4_000_000,
                    "collected_on": dt.date(2026, 11, 2),
                },
                {"special_consumption_tax": 500_000, "environmental_tax": 250_000},
            ],
        ),
        closed_case(
            world,
            branch="a",
            kind="premises",
            findings=[
                {
                    "vat": 3_000_000,
                    "appealed": 1_000_000,
                    "appealed_on": dt.date(2026, 11, 3),
                    "written_off": 500_000,
                    "written_off_on": dt.date(2026, 11, 30),
                }
            ],
        ),
        closed_case(world, branch="b", kind="office", findings=[{"import_duty": 7_000_000}]),
    ]


def _page(world, persona, **params):
    return world.client(persona).get(reverse("reports:statistics"), {**YEAR, **params})


def test_the_total_row_is_the_sum_of_the_unit_rows_and_of_the_case_records(world, cases):
    response = _page(world, "department_head")
    assert response.status_code == 200
    figures = response.context["figures"]
    rows, total = figures["rows"], figures["total"]
    assert [row["code"] for row in rows] == ["KV-A-KT", "KV-B-KT"]
    for key in ("opened", "office", "premises", "closed", "tax", "fine", "collected"):
        assert total[key] == sum(row[key] for row in rows), key
    assert total["opened"] == total["office"] + total["premises"] == 3
    assert total["closed"] == 3
    tax = F("import_duty") + F("vat") + F("special_consumption_tax") + F("environmental_tax")
    records = Finding.objects.aggregate(tax=Sum(tax), fine=Sum("fine"))
    assert total["tax"] == records["tax"] == Decimal(21_750_000)
    assert total["fine"] == Decimal(2_000_000)
    assert total["collected"] == Decimal(4_000_000)
    assert total["outstanding"] == Decimal(23_750_000 - 4_000_000 - 1_000_000 - 500_000)
    assert sum(r["amount"] for r in figures["ageing"]["rows"]) == total["outstanding"]
    assert figures["months"]["assessed"][dt.date(2026, 10, 1)] == Decimal(23_750_000)
    assert figures["months"]["collected"][dt.date(2026, 11, 1)] == Decimal(4_000_000)
    by_state = {row["state"]: row for row in figures["by_kind_state"]}
    assert by_state["closed"]["office"] == 2 and by_state["closed"]["premises"] == 1
    html = response.content.decode()
    assert "<svg" in html
    assert reverse("audits:case-list") + "?unit=KV-A-KT&amp;kind=premises" in html


def test_figures_of_another_year_are_empty(world, cases):
    figures = _page(world, "department_head", year="2025").context["figures"]
    assert figures["total"]["opened"] == 0
    assert figures["total"]["tax"] == 0


def test_ageing_buckets_by_days_since_assessment(world, cases):
    figures = selectors.statistics(
        user=world.department_head, period=Period(dt.date(2026, 1, 1), dt.date(2027, 3, 31))
    )
    ageing = {row["code"]: row["amount"] for row in figures["ageing"]["rows"]}
    # Assessed on 26/10/2026; as of today (the period ends later) or 31/03/2027.
    assert sum(ageing.values()) == Decimal(18_250_000)


def test_a_head_of_b_sees_only_b_figures(world, cases):
    response = _page(world, "head_b")
    figures = response.context["figures"]
    assert [row["code"] for row in figures["rows"]] == ["KV-B-KT"]
    assert figures["total"]["tax"] == Decimal(7_000_000)
    assert "KV-A-KT" not in response.content.decode()
    # Asking for unit A's figures is refused as an invalid choice.
    assert _page(world, "head_b", unit="KV-A").context["form"].errors


def test_a_unit_filter_narrows_to_its_subtree(world, cases):
    figures = _page(world, "department_head", unit="KV-A").context["figures"]
    assert figures["total"]["tax"] == Decimal(14_750_000)


def test_officers_and_api_clients_may_not_open_the_statistics_page(world):
    assert _page(world, "officer_a").status_code == 403
    assert _page(world, "api_a").status_code == 403
    assert _page(world, None).status_code == 302


def test_the_api_returns_the_same_figures_scoped(world, cases):
    url = reverse("api:report-statistics")
    page = _page(world, "department_head").context["figures"]
    data = world.api("department_head").get(url, YEAR).json()
    assert Decimal(data["total"]["tax"]) == page["total"]["tax"]
    assert data["total"]["opened"] == page["total"]["opened"]
    assert [row["code"] for row in data["rows"]] == ["KV-A-KT", "KV-B-KT"]
    mine = world.api("api_a").get(url, YEAR).json()
    assert [row["code"] for row in mine["rows"]] == ["KV-A-KT"]
    assert world.api("officer_b").get(url, {**YEAR, "unit": "KV-A"}).status_code == 404
    assert world.api("officer_b").get(url, YEAR).json()["total"]["tax"] == "7000000"
    assert world.api(None).get(url, YEAR).status_code in (401, 403)


def test_the_dashboard_links_the_statistics_and_report_pages(world):
    html = world.client("head_a").get(reverse("reports:dashboard")).content.decode()
    assert reverse("reports:statistics") in html
    assert reverse("reports:report-list") in html

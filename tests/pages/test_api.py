"""The query API for local customs systems: enterprises and declarations."""

from django.urls import reverse


def test_api_client_lists_its_units_enterprises(world, trade):
    response = world.api("api_a").get(reverse("api:enterprise-list"))

    assert response.status_code == 200
    codes = [row["tax_code"] for row in response.json()["results"]]
    assert codes == ["0101234565"]


def test_enterprise_filters_work_on_the_api(world, trade):
    client = world.api("department_head")

    by_code = client.get(reverse("api:enterprise-list"), {"q": "0307"}).json()["results"]
    branches = client.get(reverse("api:enterprise-list"), {"is_branch": "true"}).json()["results"]

    assert [row["tax_code"] for row in by_code] == ["0307654323"]
    assert [row["tax_code"] for row in branches] == ["0101234565-001"]
    assert branches[0]["head"] == "0101234565"


def test_enterprise_detail_has_summary_figures(world, trade):
    response = world.api("api_a").get(reverse("api:enterprise-detail", args=["0101234565"]))

    body = response.json()
    assert response.status_code == 200
    assert body["managing_unit"] == "KV-A"
    assert body["summary"]["branch_count"] == 1
    assert body["summary"]["violation_count"] == 1
    assert body["summary"]["tax_debt"] == "987654321"
    assert body["summary"]["registry_changes"] == 1


def test_enterprise_trade_by_month(world, trade):
    response = world.api("api_a").get(reverse("api:enterprise-trade", args=["0101234565"]))

    body = response.json()
    assert response.status_code == 200
    assert len(body["months"]) == 36
    assert sum(month["import_count"] for month in body["months"]) == 2
    assert body["violation_count"] == 1


def test_other_units_rows_give_404(world, trade):
    client = world.api("api_a")

    assert client.get(reverse("api:enterprise-detail", args=["0307654323"])).status_code == 404
    assert client.get(reverse("api:enterprise-trade", args=["0307654323"])).status_code == 404
    assert client.get(reverse("api:declaration-detail", args=["301111111111"])).status_code == 404
    body = client.get(reverse("api:enterprise-detail", args=["0307654323"])).json()
    assert body["error"]["code"] == "not_found"


def test_declarations_are_scoped_and_filtered(world, trade):
    client = world.api("api_a")

    listed = client.get(reverse("api:declaration-list")).json()["results"]
    red = client.get(reverse("api:declaration-list"), {"channel": 3}).json()["results"]

    assert sorted(row["number"] for row in listed) == ["101234567890", "101234567891"]
    assert [row["number"] for row in red] == ["101234567890"]
    assert all(row["is_current"] for row in listed)


def test_declaration_detail_has_versions_lines_and_outcomes(world, trade):
    response = world.api("api_a").get(reverse("api:declaration-detail", args=["101234567891"]))

    body = response.json()
    assert response.status_code == 200
    assert body["version"] == 1
    assert [v["version"] for v in body["versions"]] == [1, 0]
    assert body["lines"][0]["hs_code"] == "84713020"

    with_outcome = world.api("api_a").get(reverse("api:declaration-detail", args=["101234567890"]))
    assert with_outcome.json()["outcomes"][0]["reference"] == "KTTT-101234567890"


def test_anonymous_is_refused(world, trade):
    for url in (reverse("api:enterprise-list"), reverse("api:declaration-list")):
        assert world.api(None).get(url).status_code in (401, 403)


def test_api_is_paginated(world, trade):
    body = world.api("department_head").get(reverse("api:enterprise-list"), {"page_size": 1}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 1
    assert body["next"]

"""The home page's figures for the user's scope, and the first dashboard."""

import re

from django.urls import reverse


def _kpi(page: str, card: str) -> str:
    section = page.split(f'id="kpi-{card}"')[1].split("</section>")[0]
    return re.search(r'<p class="kpi">([^<]*)</p>', section).group(1)


def test_home_counts_the_users_scope(world, trade):
    page_a = world.client("head_a").get(reverse("home")).content.decode()
    page_central = world.client("department_head").get(reverse("home")).content.decode()

    # Branch A manages the head enterprise (its branch is B's); central sees all three.
    assert _kpi(page_a, "enterprises") == "1"
    assert _kpi(page_central, "enterprises") == "3"
    assert _kpi(page_a, "declarations") == "2"  # current versions only
    assert _kpi(page_central, "declarations") == "3"
    assert "<svg" in page_a


def test_home_counts_violations_found_this_year(world, trade):
    assert (
        _kpi(world.client("department_head").get(reverse("home")).content.decode(), "violations")
        == "2"
    )
    assert _kpi(world.client("head_a").get(reverse("home")).content.decode(), "violations") == "1"


def test_dashboard_is_for_heads_only(world, trade):
    assert world.client("officer_a").get(reverse("reports:dashboard")).status_code == 403
    page = world.client("head_a").get(reverse("reports:dashboard")).content.decode()

    assert "KV-A" in page
    assert "KV-B" not in page

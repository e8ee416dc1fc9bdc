"""The enterprise list and the overall picture of one enterprise."""

from pathlib import Path

from django.urls import reverse

from enterprises.models import Enterprise
from enterprises.panels import _PANELS, register_panel

TEMPLATES = Path(__file__).parent / "templates"


def test_list_shows_own_units_enterprises_only(world, trade):
    response = world.client("head_a").get(reverse("enterprises:list"))

    assert response.status_code == 200
    assert "Công ty Cổ phần Điện tử Hà Nội" in response.content.decode()
    assert "Công ty TNHH Thủy sản Sài Gòn" not in response.content.decode()


def test_central_officer_sees_every_enterprise(world, trade):
    page = world.client("central_officer").get(reverse("enterprises:list")).content.decode()

    assert "0101234565" in page
    assert "0307654323" in page
    assert "0101234565-001" in page


def test_search_by_tax_code_prefix_and_by_name(world, trade):
    client = world.client("department_head")

    by_code = client.get(reverse("enterprises:list"), {"q": "0307"}).content.decode()
    by_name = client.get(reverse("enterprises:list"), {"q": "Điện tử"}).content.decode()

    assert "Công ty TNHH Thủy sản Sài Gòn" in by_code
    assert "Công ty Cổ phần Điện tử Hà Nội" not in by_code
    assert "0101234565" in by_name
    assert "0307654323" not in by_name


def test_filters_by_status_and_managing_unit(world, trade):
    Enterprise.objects.filter(pk=trade.enterprise_b.pk).update(status=Enterprise.Status.SUSPENDED)
    client = world.client("department_head")

    suspended = client.get(reverse("enterprises:list"), {"status": "suspended"}).content.decode()
    of_branch_a = client.get(
        reverse("enterprises:list"), {"managing_unit": world.branch_a.pk}
    ).content.decode()

    assert "0307654323" in suspended
    assert "0101234565" not in suspended
    assert "0101234565" in of_branch_a
    assert "0307654323" not in of_branch_a


def test_overall_picture_shows_identity_trade_outcomes_and_facts(world, trade):
    response = world.client("head_a").get(
        reverse("enterprises:detail", args=[trade.enterprise_a.tax_code])
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Công ty Cổ phần Điện tử Hà Nội" in page
    assert "0101234565-001" in page  # its branch
    assert "<svg" in page  # the monthly chart
    assert "85171300" in page  # top HS code
    assert "Shenzhen Pacific Co., Ltd" in page  # top partner
    assert "101234567890" in page  # its outcome
    assert "QĐXP-2026-0001" in page  # VCIS record
    assert "88 Láng Hạ, Hà Nội" in page  # registry change
    assert 'id="history"' in page


def test_trade_figures_count_current_versions_only(world, trade):
    response = world.client("head_a").get(
        reverse("enterprises:detail", args=[trade.enterprise_a.tax_code])
    )

    trade_panel = response.content.decode().split('id="trade"')[1].split("</section>")[0]
    # Two current import declarations (the amendment's first version is not counted).
    assert '<p class="kpi">2</p>' in trade_panel


def test_officer_of_another_branch_gets_404(world, trade):
    url = reverse("enterprises:detail", args=[trade.enterprise_a.tax_code])

    assert world.client("head_b").get(url).status_code == 404
    assert world.client("officer_b").get(url).status_code == 404
    listing = world.client("head_b").get(reverse("enterprises:list")).content.decode()
    assert f'"{url}"' not in listing
    assert "0101234565-001" in listing  # its branch in B's area is B's to see


def test_branch_in_another_unit_is_listed_without_a_link(world, trade):
    page = (
        world.client("head_a")
        .get(reverse("enterprises:detail", args=[trade.enterprise_a.tax_code]))
        .content.decode()
    )

    branch_url = reverse("enterprises:detail", args=[trade.branch_of_a.tax_code])
    assert "0101234565-001" in page
    assert branch_url not in page


def test_anonymous_is_sent_to_login_and_api_client_is_refused(world, trade):
    url = reverse("enterprises:detail", args=[trade.enterprise_a.tax_code])

    anonymous = world.client(None).get(url)
    assert anonymous.status_code == 302
    assert reverse("login") in anonymous["Location"]
    assert world.client("api_a").get(reverse("enterprises:list")).status_code == 403


def test_panels_registered_by_other_apps_are_shown(world, trade, settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}
    ]

    def audit_panel(request, enterprise):
        return {"note": f"audits of {enterprise.tax_code}"}

    register_panel(50, "tests/panel.html", audit_panel, key="tests.audits")
    try:
        page = world.client("head_a").get(
            reverse("enterprises:detail", args=[trade.enterprise_a.tax_code])
        )
    finally:
        _PANELS.pop("tests.audits", None)
    assert "audits of 0101234565" in page.content.decode()

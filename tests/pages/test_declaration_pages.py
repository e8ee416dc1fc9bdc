"""The declaration list (search, filters, scoping) and one declaration's page."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone


def _list(world, persona, **params):
    return world.client(persona).get(reverse("declarations:list"), params).content.decode()


def test_list_shows_current_versions_of_own_units(world, trade):
    page = _list(world, "head_a")

    assert "101234567890" in page
    assert "101234567891" in page and "v1" in page
    assert "301111111111" not in page


def test_filters_by_number_channel_type_hs_code_office_and_tax_code(world, trade):
    assert "101234567890" in _list(world, "department_head", number="1012345678")
    assert "301111111111" not in _list(world, "department_head", number="1012345678")

    red = _list(world, "department_head", channel=3)
    assert "101234567890" in red
    assert "101234567891" not in red

    assert "101234567891" in _list(world, "department_head", type_code="a12")
    assert "101234567890" not in _list(world, "department_head", type_code="a12")

    phones = _list(world, "department_head", hs_code="8517")
    assert "101234567890" in phones
    assert "101234567891" not in phones
    assert "301111111111" in _list(world, "department_head", hs_code="03061719")

    at_office_b = _list(world, "department_head", customs_office=trade.office_b.pk)
    assert "301111111111" in at_office_b
    assert "101234567890" not in at_office_b

    of_b = _list(world, "department_head", tax_code="0307654323")
    assert "301111111111" in of_b
    assert "101234567890" not in of_b


def test_filters_by_date_range(world, trade):
    today = timezone.localdate()
    future = (today + dt.timedelta(days=1)).isoformat()

    assert "101234567890" not in _list(world, "department_head", registered_from=future)
    assert "101234567890" in _list(
        world, "department_head", registered_to=today.isoformat(), registered_from="2020-01-01"
    )


def test_declaration_page_shows_header_lines_versions_and_outcomes(world, trade):
    response = world.client("head_a").get(reverse("declarations:detail", args=["101234567891"]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "0101234565" in page
    assert "84713020" in page and "Máy tính xách tay" in page
    versions = page.split('id="versions"')[1].split("</section>")[0]
    assert versions.count("<tr>") == 3  # header row and two versions


def test_outcome_and_its_note_are_on_the_declaration_page(world, trade):
    page = (
        world.client("head_a")
        .get(reverse("declarations:detail", args=["101234567890"]))
        .content.decode()
    )

    assert "KTTT-101234567890" in page
    assert "Khai sai xuất xứ" in page


def test_declaration_of_another_unit_gives_404(world, trade):
    url = reverse("declarations:detail", args=["101234567890"])

    assert world.client("head_b").get(url).status_code == 404
    assert world.client("officer_b").get(url).status_code == 404
    assert world.client("head_a").get(url).status_code == 200


def test_declaration_at_a_units_office_is_visible_to_that_unit(world, trade):
    # Declared at branch B's office by an enterprise B does not manage.
    trade.declaration_a.customs_office = trade.office_b
    trade.declaration_a.save()

    assert "101234567890" in _list(world, "head_b")


def test_anonymous_and_api_client_cannot_open_declaration_pages(world, trade):
    url = reverse("declarations:list")

    assert world.client(None).get(url).status_code == 302
    assert world.client("api_a").get(url).status_code == 403


def _form_fields(html: str) -> dict:
    """The values a browser would send back from the page's form."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = (
            "on" if 'type="checkbox"' in tag else (value.group(1) if value else "")
        )
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        data[name] = chosen.group(1) if chosen else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = text.strip()
    return data


def test_the_admin_shows_a_declarations_goods_lines_and_saves_it(world, trade):
    # Goods lines are known by declaration and number (a composite primary key):
    # the admin shows them read-only under their declaration, whose form saves.
    from declarations.models import Declaration

    declaration = Declaration.objects.get(number="101234567891", is_current=True)
    client = world.client("admin")
    url = reverse("admin:declarations_declaration_change", args=[declaration.pk])
    page = client.get(url).content.decode()
    assert "84713020" in page and "Máy tính xách tay" in page
    form = page.split('id="declaration_form"')[1].split("</form>")[0]
    data = _form_fields(form) | {"partner_name": "Đối tác mới"}
    assert client.post(url, data).status_code == 302
    declaration.refresh_from_db()
    assert declaration.partner_name == "Đối tác mới"
    assert declaration.lines.count() == 1

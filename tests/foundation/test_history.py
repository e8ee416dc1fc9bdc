"""Every change of an audited model records who, when, what, before and after."""

from django.urls import reverse


def test_admin_change_is_recorded_with_the_user(world):
    client = world.client("admin")
    url = reverse("admin:stq02_unit_change", args=[world.branch_b.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "code": "KV-B",
        "name": "Chi cục Hải quan khu vực B (mới)",
        "name_en": "",
        "kind": "branch",
        "parent": world.central.pk,
        "capacity_officer_days": 10,
        "is_active": "on",
        "provinces": [p.pk for p in world.branch_b.provinces.all()],
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = world.branch_b.history.first()
    assert record.history_user == world.admin
    delta = record.diff_against(record.prev_record)
    changed = {change.field: (change.old, change.new) for change in delta.changes}
    assert changed["name"] == ("Chi cục Hải quan khu vực B", "Chi cục Hải quan khu vực B (mới)")
    history_page = client.get(reverse("admin:stq02_unit_history", args=[world.branch_b.pk]))
    assert "khu vực B (mới)" in history_page.content.decode()


def test_history_include_renders_before_and_after(world, rf):
    from django.template import Context, Template

    world.branch_a.name = "Tên mới"
    world.branch_a.save()
    html = Template("{% load stq02 %}{% history_of unit %}").render(
        Context({"unit": world.branch_a})
    )
    assert "Chi cục Hải quan khu vực A" in html and "Tên mới" in html


def test_history_shows_labels_not_codes(world):
    from django.template import Context, Template

    world.team_b.parent = world.branch_a
    world.team_b.kind = "office"
    world.team_b.save()
    html = Template("{% load stq02 %}{% history_of unit %}").render(Context({"unit": world.team_b}))
    assert str(world.branch_a) in html  # the parent by name, not by id
    assert "Hải quan cửa khẩu" in html or "Customs office" in html

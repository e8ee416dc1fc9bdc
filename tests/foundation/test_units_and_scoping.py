import pytest

from stq02.models import Unit
from stq02.scoping import can_see_unit, visible_units
from tests.factories import UnitFactory


def test_subtree_follows_the_tree(world):
    assert set(world.branch_a.subtree()) == {world.branch_a, world.team_a}
    assert list(world.team_a.ancestors()) == [world.central, world.branch_a, world.team_a]


def test_moving_a_unit_moves_its_subtree(world):
    office = UnitFactory(code="KV-A-01", kind=Unit.Kind.OFFICE, parent=world.team_a)
    world.team_a.parent = world.branch_b
    world.team_a.save()
    office.refresh_from_db()
    assert office.path.startswith(world.branch_b.path)
    assert world.team_a in world.branch_b.subtree()


def test_visible_units_by_persona(world):
    # An audit team works on its branch's data.
    assert set(visible_units(world.officer_a)) == {world.branch_a, world.team_a}
    assert set(visible_units(world.head_a)) == {world.branch_a, world.team_a}
    assert visible_units(world.department_head).count() == Unit.objects.count()
    assert not can_see_unit(world.officer_b, world.team_a)
    assert can_see_unit(world.head_a, world.team_a)


@pytest.mark.django_db
def test_anonymous_sees_no_unit(client):
    from django.contrib.auth.models import AnonymousUser

    assert visible_units(AnonymousUser()).count() == 0


def test_an_api_client_must_belong_to_a_unit(world):
    from django.core.exceptions import ValidationError

    from stq02.models import Role, User

    account = User(username="api-orphan", role=Role.API_CLIENT)
    with pytest.raises(ValidationError) as error:
        account.full_clean()
    assert "unit" in error.value.message_dict

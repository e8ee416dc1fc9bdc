"""The one mechanism that limits what a user may see: by unit and by role.

A model that belongs to units gets ``ScopedQuerySet`` as its manager and names
the unit fields that place a row in the organisation (``scope_fields``). A user
sees the rows placed in their own unit or below it; central units and
administrators see every row. Views and API endpoints call
``Model.objects.visible_to(user)`` and nothing else.
"""

from django.db import models
from django.db.models import Q

from stq02.models import Role, Unit


def scope_root(user) -> Unit | None:
    """The unit whose subtree ``user`` works on: their own unit, except that an
    audit team works on the data of the branch it belongs to (the branch's
    enterprises are the team's audit subjects)."""
    unit = user.unit if user.is_authenticated and user.unit_id else None
    if unit is not None and unit.kind == Unit.Kind.TEAM and unit.parent_id:
        return unit.parent
    return unit


def visible_units(user):
    """The units whose data ``user`` may read (a queryset, usable as a subquery)."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.sees_everything:
        return Unit.objects.all()
    root = scope_root(user)
    if root is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=root.path)


def can_see_unit(user, unit) -> bool:
    if unit is None or not user.is_authenticated:
        return False
    if user.sees_everything:
        return True
    root = scope_root(user)
    return root is not None and unit.path.startswith(root.path)


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        units = visible_units(user).values("pk")
        condition = Q()
        for field in self.model.scope_fields:
            condition |= Q(**{f"{field}__in": units})
        return self.filter(condition)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)

# Who may do what, in one place. Views and API permissions read these sets.
READERS = {Role.OFFICER, Role.UNIT_HEAD, Role.DEPARTMENT_HEAD, Role.ADMIN, Role.API_CLIENT}
STAFF = {Role.OFFICER, Role.UNIT_HEAD, Role.DEPARTMENT_HEAD, Role.ADMIN}
HEADS = {Role.UNIT_HEAD, Role.DEPARTMENT_HEAD, Role.ADMIN}
CENTRAL_HEADS = {Role.DEPARTMENT_HEAD, Role.ADMIN}

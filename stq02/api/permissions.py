from rest_framework import permissions

from stq02.scoping import READERS


class RolePermission(permissions.BasePermission):
    """Every endpoint names the roles that may read it (``read_roles``) and the
    roles that may write (``write_roles``); unit scoping is applied by the
    queryset (``ScopedQuerySet.visible_to``), so a row of another unit is a 404."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        if request.method in permissions.SAFE_METHODS:
            allowed = getattr(view, "read_roles", READERS)
        else:
            allowed = getattr(view, "write_roles", set())
        return user.role in allowed

"""Template helpers used across apps: money in VND, the change history of an object."""

from django import template
from django.core.exceptions import FieldDoesNotExist

from stq02.money import group_digits

register = template.Library()


@register.filter
def vnd(value):
    """12345678 -> "12.345.678 ₫" in Vietnamese, "12,345,678 ₫" in English."""
    if value in (None, ""):
        return "–"
    return f"{group_digits(value)} ₫"


@register.inclusion_tag("includes/history.html", takes_context=True)
def history_of(context, obj, limit=50):
    """The recorded changes of ``obj``: who, when, what, before and after."""
    entries = []
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    for newer, older in zip(records, [*records[1:], None], strict=False):
        changes = []
        if older is not None:
            delta = newer.diff_against(older)
            changes = [
                {
                    "field": _verbose(obj, change.field),
                    "old": _readable(obj, change.field, change.old),
                    "new": _readable(obj, change.field, change.new),
                }
                for change in delta.changes
            ]
        entries.append({"record": newer, "changes": changes})
    return {"entries": entries[:limit], "request": context.get("request")}


def _readable(obj, field_name, value):
    """A choice's label instead of its code, a related row's name instead of its id."""
    if value in (None, ""):
        return value
    try:
        field = obj._meta.get_field(field_name)
    except FieldDoesNotExist:
        return value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation and field.many_to_one:
        related = field.related_model._default_manager.filter(pk=value).first()
        return related if related is not None else value
    return value


def _verbose(obj, field_name):
    try:
        return obj._meta.get_field(field_name).verbose_name
    except FieldDoesNotExist:  # a field removed since the change was recorded
        return field_name

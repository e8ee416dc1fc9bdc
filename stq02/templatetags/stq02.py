"""Template helpers used across apps: money in VND, the change history of an object."""

from decimal import Decimal

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import number_format

register = template.Library()


@register.filter
def vnd(value):
    """12345678 -> "12.345.678 ₫" (grouping follows the active language)."""
    if value in (None, ""):
        return "–"
    return f"{number_format(Decimal(value).quantize(Decimal(1)), force_grouping=True)} ₫"


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
                {"field": _verbose(obj, change.field), "old": change.old, "new": change.new}
                for change in delta.changes
            ]
        entries.append({"record": newer, "changes": changes})
    return {"entries": entries[:limit], "request": context.get("request")}


def _verbose(obj, field_name):
    try:
        return obj._meta.get_field(field_name).verbose_name
    except FieldDoesNotExist:  # a field removed since the change was recorded
        return field_name

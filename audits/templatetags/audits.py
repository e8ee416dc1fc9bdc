"""Template helpers of the audit pages and documents."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def dong(value):
    """13200000 -> "13.200.000 đồng", as Vietnamese administrative documents write
    amounts (the Vietnamese locale of Django does not group digits)."""
    if value in (None, ""):
        return "–"
    return f"{int(Decimal(value)):,}".replace(",", ".") + " đồng"


@register.inclusion_tag("audits/_notification_link.html", takes_context=True)
def notification_link(context):
    """The link to the notifications page with the count of unread alerts. The page
    header (templates/base.html) can show it with ``{% load audits %}{% notification_link %}``."""
    from audits.selectors import unread_notifications

    request = context.get("request")
    user = getattr(request, "user", None)
    return {"count": unread_notifications(user=user) if user else 0}

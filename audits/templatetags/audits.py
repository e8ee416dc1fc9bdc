"""Template helpers of the audit pages and documents."""

from django import template

from stq02.money import group_digits

register = template.Library()


@register.filter
def dong(value):
    """13200000 -> "13.200.000 đồng", as Vietnamese administrative documents write
    amounts (the documents are in Vietnamese whatever the reader's language)."""
    if value in (None, ""):
        return "–"
    return f"{group_digits(value, language='vi')} đồng"


@register.inclusion_tag("audits/_notification_link.html", takes_context=True)
def notification_link(context):
    """The link to the notifications page with the count of unread alerts. The page
    header (templates/base.html) can show it with ``{% load audits %}{% notification_link %}``."""
    from audits.selectors import unread_notifications

    request = context.get("request")
    user = getattr(request, "user", None)
    return {"count": unread_notifications(user=user) if user else 0}

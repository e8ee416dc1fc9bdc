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

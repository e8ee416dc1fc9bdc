"""Amounts in VND: whole đồng, digits grouped in threes.

Django's Vietnamese locale sets no digit grouping, so every place that shows an
amount (pages, PDF documents, reports) groups it here.
"""

from decimal import Decimal

from django.utils.translation import get_language


def group_digits(value, *, language: str | None = None) -> str:
    """13200000 -> "13.200.000" in Vietnamese, "13,200,000" in English."""
    grouped = f"{int(Decimal(value or 0).quantize(Decimal(1))):,}"
    if (language or get_language()) != "en":
        grouped = grouped.replace(",", ".")
    return grouped

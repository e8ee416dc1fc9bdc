"""Vietnamese tax codes (mã số thuế).

Ten digits, or thirteen written ``NNNNNNNNNN-BBB`` for a dependent unit (branch)
of the enterprise whose code is the first ten. The tenth digit is a check digit
(Circular 105/2020/TT-BTC, as implemented by the tax authority's tools): weights
31, 29, 23, 19, 17, 13, 7, 5, 3 on the first nine digits; the check digit is
10 − (sum mod 11), a remainder of 10 giving 0 and a remainder of 0 never valid.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_PATTERN = re.compile(r"^(\d{10})(?:-?(\d{3}))?$")


def check_digit(first_nine: str) -> int | None:
    """The tenth digit for ``first_nine``, or None when no digit can make it valid."""
    remainder = (
        sum(int(digit) * weight for digit, weight in zip(first_nine, WEIGHTS, strict=True)) % 11
    )
    if remainder == 0:
        return None
    return (10 - remainder) % 10


def normalise_tax_code(value: str) -> str:
    """``"0100109106001"`` or ``" 0100109106-001 "`` -> ``"0100109106-001"``; raises ValidationError."""
    text = (value or "").strip().replace(" ", "")
    match = _PATTERN.match(text)
    if not match:
        raise ValidationError(
            _(
                "A tax code has 10 digits, or 13 digits written as 10 digits, a hyphen and 3 digits."
            ),
            code="tax_code_format",
        )
    head, branch = match.groups()
    if check_digit(head[:9]) != int(head[9]):
        raise ValidationError(
            _("The check digit of tax code %(code)s is wrong."),
            code="tax_code_check",
            params={"code": head},
        )
    if branch == "000":
        raise ValidationError(_("A branch suffix of 000 is not valid."), code="tax_code_branch")
    return f"{head}-{branch}" if branch else head


def validate_tax_code(value: str) -> None:
    normalise_tax_code(value)


def make_tax_code(first_nine: str) -> str | None:
    """A valid ten-digit code starting with ``first_nine`` (for generators), or None."""
    digit = check_digit(first_nine)
    return None if digit is None else f"{first_nine}{digit}"

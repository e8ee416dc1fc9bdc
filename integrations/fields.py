"""Typed columns of the import formats and the checks of their values.

A :class:`Column` names a field of a format (Vietnamese and English), its type
and whether it is required. Checks return the value in the one canonical text
form the writers store (``"2026-03-02"``, ``"1234.5"``), or raise
:class:`BadValue` with a translated problem. They run once per cell, so they are
written for speed: no Decimal, no datetime object kept, precompiled patterns.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from enterprises.validators import normalise_tax_code


class BadValue(Exception):
    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


class RowError(Exception):
    """A row cannot be stored: names the field (column) and the problem."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


_DECIMAL = re.compile(r"-?\d{1,16}(?:\.\d{1,6})?")
_WHOLE = re.compile(r"\d{1,20}(?:\.0*)?")


def text(limit: int):
    def check(value: str) -> str:
        if len(value) > limit:
            raise BadValue(_("at most %(limit)d characters are allowed") % {"limit": limit})
        return value

    check.kind = f"text ≤ {limit}"
    return check


def digits(count: int):
    def check(value: str) -> str:
        if len(value) != count or not (value.isascii() and value.isdigit()):
            raise BadValue(
                _("%(count)d digits are required, not “%(value)s”")
                % {"count": count, "value": value[:40]}
            )
        return value

    check.kind = f"{count} digits"
    return check


def integer(minimum: int = 0, maximum: int = 2**31 - 1):
    def check(value: str) -> str:
        try:
            number = int(value)
        except ValueError:
            raise BadValue(
                _("a whole number is required, not “%(value)s”") % {"value": value[:40]}
            ) from None
        if not minimum <= number <= maximum:
            raise BadValue(
                _("must lie between %(min)d and %(max)d") % {"min": minimum, "max": maximum}
            )
        return str(number)

    check.kind = f"integer {minimum}–{maximum}"
    return check


def decimal(value: str) -> str:
    if not _DECIMAL.fullmatch(value):
        value = value.replace(",", "") if "," in value and "." in value else value
        if not _DECIMAL.fullmatch(value):
            raise BadValue(
                _("a number such as 1234.5 is required, not “%(value)s”") % {"value": value[:40]}
            )
    return value


decimal.kind = "decimal"


def vnd(value: str) -> str:
    """A whole amount of đồng (a trailing ``.0`` is accepted)."""
    if not _WHOLE.fullmatch(value):
        raise BadValue(
            _("a whole amount of VND is required, not “%(value)s”") % {"value": value[:40]}
        )
    return value.split(".", 1)[0]


vnd.kind = "VND (whole number)"


def date(value: str) -> str:
    try:
        if "/" in value:
            day, month, year = value.split("/")
            return dt.date(int(year), int(month), int(day)).isoformat()
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadValue(
            _("a date written YYYY-MM-DD or DD/MM/YYYY is required, not “%(value)s”")
            % {"value": value[:40]}
        ) from None


date.kind = "date"


def letters(count: int):
    def check(value: str) -> str:
        value = value.upper()
        if len(value) != count or not (value.isascii() and value.isalpha()):
            raise BadValue(
                _("%(count)d letters are required, not “%(value)s”")
                % {"count": count, "value": value[:40]}
            )
        return value

    check.kind = f"{count} letters"
    return check


def choice(*allowed: str, aliases: dict | None = None):
    table = {value: value for value in allowed}
    table.update(aliases or {})

    def check(value: str) -> str:
        found = table.get(value) or table.get(value.lower())
        if found is None:
            raise BadValue(
                _("one of %(allowed)s is required, not “%(value)s”")
                % {"allowed": ", ".join(allowed), "value": value[:40]}
            )
        return found

    check.kind = "one of " + ", ".join(allowed)
    return check


def boolean(value: str) -> str:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "co", "có", "x"):
        return "1"
    if lowered in ("0", "false", "no", "khong", "không"):
        return "0"
    raise BadValue(_("1 or 0 is required, not “%(value)s”") % {"value": value[:40]})


boolean.kind = "0/1"

_tax_codes: dict[str, str] = {}


def tax_code(value: str) -> str:
    known = _tax_codes.get(value)
    if known is not None:
        return known
    try:
        normal = normalise_tax_code(value)
    except ValidationError as exc:
        raise BadValue(" ".join(str(m) for m in exc.messages)) from None
    if len(_tax_codes) > 200_000:
        _tax_codes.clear()  # bounded memory on huge files with many importers
    _tax_codes[value] = normal
    return normal


tax_code.kind = "tax code"


@dataclass(frozen=True)
class Column:
    name: str  # the column header in files and the key in JSON records
    vi: str  # Vietnamese field name (docs)
    en: str  # English field name (docs)
    check: object
    required: bool = False
    key: str | None = None  # where the value goes; defaults to name
    level: str = "declaration"  # declaration or line (VNACCS formats)

    @property
    def target(self) -> str:
        return self.key or self.name


def compile_plan(columns, header: list[str]):
    """(index, target, check, required, name) for each known column present in
    ``header``; raises BadValue listing the required columns that are missing."""
    positions = {name.strip().lower(): index for index, name in enumerate(header)}
    missing = [c.name for c in columns if c.required and c.name not in positions]
    if missing:
        raise BadValue(_("required columns are missing: %(names)s") % {"names": ", ".join(missing)})
    return [
        (positions[c.name], c.target, c.check, c.required, c.name)
        for c in columns
        if c.name in positions
    ]


def apply_plan(plan, row) -> dict:
    """The typed values of one row; raises RowError naming the first bad field."""
    out = {}
    for index, target, check, required, name in plan:
        value = row[index].strip() if index < len(row) else ""
        if not value:
            if required:
                raise RowError(name, _("a value is required"))
            out[target] = ""
            continue
        try:
            out[target] = check(value)
        except BadValue as exc:
            raise RowError(name, exc.problem) from None
    return out

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


_DECIMAL = re.compile(r"-?[0-9]{1,16}(?:\.[0-9]{1,6})?")
_WHOLE = re.compile(r"[0-9]+(?:\.0*)?")
VND_DIGITS = 18  # under 10^18 đồng a cell; stored as 64-bit integers (up to 9.2 × 10^18)
VND_TOTAL_MAX = 2**63 - 1  # the most a declaration's total can be


# --- Arrow twins of the checks ------------------------------------------------------------
#
# ``check.arrow(cells)`` takes a column of raw cells (a pyarrow string array) and
# returns ``(ok, values)``: ``ok`` is true where the cell is valid *and already in
# the canonical form* the check returns, ``values`` the cells as stored (trimmed
# for text). A cell that is not ``ok`` is not necessarily wrong ("01", " 5",
# "2/3/2026"): the column-at-a-time path (integrations/columnar.py) gives its row
# to the Python check, which rewrites it or rejects it with the reason. So the
# twins only need to be exact about what they accept. Cells with surrounding
# white space are never ``ok`` except for text, which is trimmed here.


def _pc():
    import pyarrow.compute as pc  # imported on first use: the row path needs no Arrow

    return pc


def _arrow_text(limit: int):
    def arrow(raw):
        pc = _pc()
        values = pc.utf8_trim_whitespace(raw)  # the same characters as Python's str.strip()
        # A text is never longer in characters than in bytes: the characters are
        # counted only when some cell has more bytes than the limit (Vietnamese
        # takes 1-3 bytes a letter), which saves the scan of every cell.
        short = pc.less_equal(pc.binary_length(values), limit)
        if pc.all(short).as_py():
            return short, values
        return pc.less_equal(pc.utf8_length(values), limit), values

    return arrow


def _arrow_digits(count: int):
    def arrow(raw):
        pc = _pc()
        ok = pc.and_(pc.equal(pc.binary_length(raw), count), pc.ascii_is_decimal(raw))
        return ok, raw

    return arrow


def _arrow_integer(minimum: int, maximum: int):
    width = len(str(maximum))

    def arrow(raw):
        pc = _pc()
        plain = pc.and_(
            pc.ascii_is_decimal(raw), pc.less_equal(pc.binary_length(raw), min(width, 18))
        )
        # canonical: str(int(value)), so no leading zero
        plain = pc.and_(plain, pc.or_(pc.equal(raw, "0"), pc.invert(pc.starts_with(raw, "0"))))
        numbers = pc.cast(pc.if_else(plain, raw, "0"), "int64")
        inside = pc.and_(pc.greater_equal(numbers, minimum), pc.less_equal(numbers, maximum))
        return pc.and_(plain, inside), raw

    return arrow


def _arrow_decimal(raw):
    pc = _pc()
    return pc.match_substring_regex(raw, "^-?[0-9]{1,16}(\\.[0-9]{1,6})?$"), raw


def _arrow_vnd(raw):
    pc = _pc()
    ok = pc.and_(pc.ascii_is_decimal(raw), pc.less_equal(pc.binary_length(raw), VND_DIGITS))
    return ok, raw


def _arrow_letters(count: int):
    def arrow(raw):
        pc = _pc()
        ok = pc.and_(
            pc.equal(pc.binary_length(raw), count),
            pc.and_(pc.ascii_is_alpha(raw), pc.ascii_is_upper(raw)),
        )
        return ok, raw

    return arrow


def _arrow_among(canonical: list[str]):
    def arrow(raw):
        import pyarrow as pa

        return _pc().is_in(raw, value_set=pa.array(canonical, pa.string())), raw

    return arrow


def _arrow_by_value(raw, check):
    """For columns with few distinct values (tax codes, dates): the Python check runs
    once per distinct value, and a cell is ``ok`` when the check returns it unchanged."""
    import pyarrow as pa

    pc = _pc()
    canonical = []
    for value in pc.unique(raw).to_pylist():
        try:
            if check(value) == value:
                canonical.append(value)
        except BadValue:
            continue
    return pc.is_in(raw, value_set=pa.array(canonical, pa.string())), raw


def text(limit: int):
    def check(value: str) -> str:
        if len(value) > limit:
            raise BadValue(_("at most %(limit)d characters are allowed") % {"limit": limit})
        return value

    check.kind = f"text ≤ {limit}"
    check.limit = limit
    check.arrow = _arrow_text(limit)
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
    check.arrow = _arrow_digits(count)
    check.inline = lambda v, c: (
        f"({v} if len({v}) == {count} and {v}.isdigit() and {v}.isascii() else {c}({v}))",
        {},
    )
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
    check.arrow = _arrow_integer(minimum, maximum)
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
decimal.inline = lambda v, c: (f"({v} if _decimal_match({v}) else {c}({v}))", {})
decimal.arrow = _arrow_decimal


def vnd(value: str) -> str:
    """A whole amount of đồng (a trailing ``.0`` is accepted), of at most 18 digits."""
    if not _WHOLE.fullmatch(value):
        raise BadValue(
            _("a whole amount of VND is required, not “%(value)s”") % {"value": value[:40]}
        )
    whole = value.split(".", 1)[0]
    if len(whole.lstrip("0")) > VND_DIGITS:
        raise BadValue(
            _("at most %(digits)d digits are allowed, not “%(value)s”")
            % {"digits": VND_DIGITS, "value": value[:40]}
        )
    return whole


vnd.kind = "VND (whole number)"
vnd.inline = lambda v, c: (
    f"({v} if {v}.isdigit() and {v}.isascii() and len({v}) <= {VND_DIGITS} else {c}({v}))",
    {},
)
vnd.arrow = _arrow_vnd


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def date(value: str) -> str:
    try:
        if _ISO_DATE.fullmatch(value):
            return dt.date.fromisoformat(value).isoformat()
        match = _VN_DATE.fullmatch(value)
        if not match:
            raise ValueError(value)
        day, month, year = match.groups()
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise BadValue(
            _("a date written YYYY-MM-DD or DD/MM/YYYY is required, not “%(value)s”")
            % {"value": value[:40]}
        ) from None


date.kind = "date"
# Dates repeat (a few hundred a year): checked once per distinct value.
date.arrow = lambda raw: _arrow_by_value(raw, date)


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
    check.arrow = _arrow_letters(count)
    check.inline = lambda v, c: (
        f"({v}.upper() if len({v}) == {count} and {v}.isalpha() and {v}.isascii() else {c}({v}))",
        {},
    )
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

    check.inline = lambda v, c: (f"({c}.table.get({v}) or {c}({v}))", {})
    check.arrow = _arrow_among(sorted(set(table.values())))
    check.table = table
    return check


def boolean(value: str) -> str:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "co", "có", "x"):
        return "1"
    if lowered in ("0", "false", "no", "khong", "không"):
        return "0"
    raise BadValue(_("1 or 0 is required, not “%(value)s”") % {"value": value[:40]})


boolean.kind = "0/1"
boolean.inline = lambda v, c: (f"(_booleans.get({v}) or {c}({v}))", {})
boolean.arrow = _arrow_among(["0", "1"])

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
tax_code.inline = lambda v, c: (f"(_tax_codes.get({v}) or {c}({v}))", {})
tax_code.arrow = lambda raw: _arrow_by_value(raw, tax_code)


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


class _Missing(Exception):
    pass


def _too_long():
    raise BadValue("too long")


class Plan:
    """The checks of one header: ``entries`` (index, target, check, required, name)
    and ``fast``, the same checks compiled into one function without a loop. The
    fast path reports no detail: on any failure the row is checked again entry by
    entry, which names the field (bad rows are rare; good rows must be cheap)."""

    def __init__(self, entries, line_keys=None):
        self.entries = entries
        self.line_keys = line_keys  # target -> goods line field: those go into "_line"
        self.fast = self._compile(entries)

    def _compile(self, entries):
        env = {
            "BadValue": BadValue,
            "_Missing": _Missing,
            "_too_long": _too_long,
            "_decimal_match": _DECIMAL.fullmatch,
            "_booleans": {"1": "1", "0": "0"},
            "_tax_codes": _tax_codes,
        }
        lines = ["def fast(row):"]
        required = []
        items = []
        line_items = {}
        for n, (index, target, check, is_required, _name) in enumerate(entries):
            value, name = f"v{n}", f"c{n}"
            lines.append(f"    {value} = row[{index}].strip()")
            env[name] = check
            limit = getattr(check, "limit", None)
            if limit is not None:
                expression = f"({value} if len({value}) <= {limit} else _too_long())"
            elif hasattr(check, "inline"):
                expression, extra = check.inline(value, name)
                env.update(extra)
            else:
                expression = f"{name}({value})"
            if is_required:
                required.append(value)
            else:
                expression = f"({expression} if {value} else '')"
            if self.line_keys and target in self.line_keys:
                line_items[self.line_keys[target]] = expression
            else:
                items.append(f"{target!r}: {expression}")
        if self.line_keys:
            fields = ", ".join(
                f"{field!r}: {line_items.get(field, repr(''))}" for field in self.line_keys.values()
            )
            items.append(f"'_line': {{{fields}}}")
        if required:
            lines.append(f"    if not ({' and '.join(required)}): raise _Missing")
        lines.append("    return {" + ", ".join(items) + "}")
        exec("\n".join(lines), env)  # noqa: S102 (code built from our own column specs)
        return env["fast"]


def compile_plan(columns, header: list[str], line_keys=None) -> Plan:
    """The checks for each known column present in ``header``; raises BadValue
    listing the required columns that are missing."""
    positions = {name.strip().lower(): index for index, name in enumerate(header)}
    missing = [c.name for c in columns if c.required and c.name not in positions]
    if missing:
        raise BadValue(_("required columns are missing: %(names)s") % {"names": ", ".join(missing)})
    return Plan(
        [
            (positions[c.name], c.target, c.check, c.required, c.name)
            for c in columns
            if c.name in positions
        ],
        line_keys,
    )


def check_row(plan: Plan, row) -> dict:
    """The typed values of one row; raises RowError naming the first bad field."""
    try:
        return plan.fast(row)
    except (BadValue, _Missing):
        return apply_plan(plan, row)


def apply_plan(plan: Plan, row) -> dict:
    """Entry by entry, naming the first bad field in a RowError."""
    out = {}
    for index, target, check, required, name in plan.entries:
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
    if plan.line_keys:
        out["_line"] = {field: out.pop(key, "") for key, field in plan.line_keys.items()}
    return out

"""Readers that stream a file's rows without holding the file in memory.

``inspect`` reads the whole file once before anything is stored: it computes
the SHA-256, counts the rows (the progress total) and refuses a broken file as a
whole (wrong encoding, missing columns, truncated XML or XLSX), so that a broken
file never leaves part of itself in the database. ``rows`` then yields
``(row_number, values)`` with values in header order; the row number is the
ordinal of the data row in a CSV or XLSX file (the header is row 0, so row 1 is
the file's second line or sheet row), of the record element in an XML file.
"""

import codecs
import csv
import datetime as dt
import hashlib
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

BLOCK = 1 << 20


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message names it."""


@dataclass
class FileInfo:
    sha256: str
    rows_total: int
    header: list[str] = field(default_factory=list)
    quoted: bool = True  # CSV: the file has a quote character (a cell may hold a newline)
    delimiter: str = ","  # CSV: "," or ";" (Excel in some locales)


def _refuse(path, message: str):
    raise FileRefused(
        _("File %(name)s is refused: %(message)s") % {"name": Path(path).name, "message": message}
    )


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


# --- CSV -------------------------------------------------------------------------------


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def inspect_csv(path) -> FileInfo:
    digest = hashlib.sha256()
    utf8 = _Utf8Check(path)
    lines = 0
    offset = 0
    quoted = False
    tail = b""
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            if offset == 0 and block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                _refuse(path, _("it is encoded in UTF-16; save it as UTF-8 (CSV UTF-8)."))
            digest.update(block)
            utf8.feed(block, lines)
            lines += _count_newlines(block)
            quoted = quoted or b'"' in block
            tail = block[-1:]
            offset += len(block)
    utf8.finish(lines)
    if offset == 0:
        _refuse(path, _("it is empty."))
    if tail != b"\n":
        lines += 1
    delimiter, header = csv_header(path)
    return FileInfo(
        sha256=digest.hexdigest(),
        rows_total=max(0, lines - 1),
        header=header,
        quoted=quoted,
        delimiter=delimiter,
    )


def _count_newlines(block: bytes) -> int:
    # a vector compare: bytes.count is a byte-at-a-time loop
    return int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 10))


class _Utf8Check:
    """Refuses a file that is not UTF-8, naming the byte and the line. Arrow's
    validator reads the blocks where they lie (nine times faster than Python's
    decoder, which builds the text only to throw it away); Python's decoder
    looks again only at a part that fails, to tell where."""

    def __init__(self, path):
        self.path = path
        self.carry = b""  # the start of a character cut by the end of the last block
        self.offset = 0  # file offset of the next block

    def feed(self, block: bytes, lines_before: int) -> None:
        """``lines_before``: newlines in the file before ``block``."""
        view = memoryview(block)
        # The carried character ends with the block's first continuation bytes.
        joined = 0
        while self.carry and joined < min(3, len(block)) and block[joined] & 0xC0 == 0x80:
            joined += 1
        if self.carry:
            start = self.offset - len(self.carry)
            carried_lines = lines_before - self.carry.count(b"\n")
            self._check(self.carry + block[:joined], start, carried_lines, final=False)
        # Keep back the last character, which may go on in the next block: from its
        # first byte (one that is not 10xxxxxx) on.
        cut = len(block)
        while cut > max(joined, len(block) - 4):
            cut -= 1
            if block[cut] & 0xC0 != 0x80:
                break
        # (the joined continuation bytes hold no newline)
        self._check(view[joined:cut], self.offset + joined, lines_before, final=False)
        self.carry = block[cut:]
        self.offset += len(block)

    def finish(self, lines: int) -> None:
        start = self.offset - len(self.carry)
        self._check(self.carry, start, lines - self.carry.count(b"\n"), final=True)

    def _check(self, part, offset, lines_before, *, final) -> None:
        """``part`` starts at file ``offset``, after ``lines_before`` newlines."""
        if not len(part):
            return
        offsets = pa.py_buffer(np.array([0, len(part)], dtype=np.int32))
        try:
            pa.StringArray.from_buffers(1, offsets, pa.py_buffer(part)).validate(full=True)
            return
        except pa.ArrowInvalid:
            pass
        try:
            bytes(part).decode("utf-8")
        except UnicodeDecodeError as exc:
            if final and exc.end == len(part) and exc.reason == "unexpected end of data":
                _refuse(
                    self.path, _("it ends in the middle of a character; the file is truncated.")
                )
            line = lines_before + bytes(part[: exc.start]).count(b"\n") + 1
            _refuse(
                self.path,
                _(
                    "it is not UTF-8 text (byte %(offset)d, line %(line)d); "
                    "save it as UTF-8 (CSV UTF-8)."
                )
                % {"offset": offset + exc.start, "line": line},
            )


def csv_header(path) -> tuple[str, list[str]]:
    """The delimiter and the column names of the first line."""
    with open(path, "rb") as handle:  # the line alone (a text file decodes a whole buffer)
        first_line = handle.readline().decode("utf-8-sig")
    delimiter = _delimiter(first_line)
    row = next(csv.reader([first_line], delimiter=delimiter), [])
    return delimiter, [name.strip().lower() for name in row]


def csv_rows(path, *, start_after: int = 0):
    """Rows as lists of strings; a row number is the data row's ordinal (the header
    is row 0, so row 1 is the file's second line)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        first_line = handle.readline()
        reader = csv.reader(handle, delimiter=_delimiter(first_line))
        number = 0
        for row in reader:
            number += 1
            if number <= start_after:
                continue
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            yield number, row


# --- XLSX ------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _open_xlsx(path):
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True, data_only=True)


def inspect_xlsx(path) -> FileInfo:
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError):
        _refuse(path, _("it is not a complete XLSX workbook (the file is truncated or damaged)."))
    if bad is not None:
        _refuse(path, _("part %(part)s of the workbook is damaged.") % {"part": bad})
    try:
        book = _open_xlsx(path)
    except Exception:  # noqa: BLE001 (openpyxl raises many kinds for a damaged workbook)
        _refuse(path, _("it is not an XLSX workbook that can be read."))
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_cell_text(v).strip().lower() for v in next(rows, ())]
        total = sum(1 for _row in rows)
    except Exception:  # noqa: BLE001 (any failure reading the sheet refuses the file)
        _refuse(path, _("its first sheet cannot be read."))
    finally:
        book.close()
    return FileInfo(sha256=sha256_of(path), rows_total=total, header=header)


def xlsx_rows(path, *, start_after: int = 0):
    book = _open_xlsx(path)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        next(rows, None)
        number = 0
        for values in rows:
            number += 1
            if number <= start_after:
                continue
            row = [_cell_text(v) for v in values]
            if not any(row):
                continue
            yield number, row
    finally:
        book.close()


# --- XML -------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def xml_records(path, *, record_tag: str, child_tag: str | None = None):
    """Yield one dict per ``record_tag`` element (its children's text by tag); with
    ``child_tag`` (a goods line), one dict per child, merged with its record's
    fields, when the record ends. Entities and DTDs are refused (defusedxml);
    elements are cleared as soon as they are read, so memory stays flat."""
    # Imported here: defusedxml.ElementTree loads its own copy of ElementTree (50 ms
    # of every process's start, which the CSV imports do not need).
    from defusedxml.ElementTree import iterparse

    record: dict | None = None
    children: list = []
    child: dict | None = None
    for event, element in iterparse(
        str(path), events=("start", "end"), forbid_dtd=True, forbid_entities=True
    ):
        tag = _local(element.tag)
        if event == "start":
            if tag == record_tag:
                record = {k.lower(): v for k, v in element.attrib.items()}
                children = []
            elif child_tag and tag == child_tag and record is not None:
                child = {k.lower(): v for k, v in element.attrib.items()}
            continue
        if tag == record_tag and record is not None:
            if child_tag:
                for line in children:
                    yield {**record, **line}
            else:
                yield record
            record = None
            element.clear()
        elif child_tag and tag == child_tag and child is not None:
            children.append(child)
            child = None
            element.clear()
        elif record is not None and len(element) == 0:
            target = child if child is not None else record
            target[tag] = (element.text or "").strip()


def inspect_xml(path, *, record_tag: str, child_tag: str | None = None) -> FileInfo:
    if not os.path.getsize(path):
        _refuse(path, _("it is empty."))
    total = 0
    try:
        for _record in xml_records(path, record_tag=record_tag, child_tag=child_tag):
            total += 1
    except DefusedXmlException:
        _refuse(path, _("it declares a DTD or entities, which are not accepted."))
    except Exception as exc:  # noqa: BLE001 (ParseError and its kin)
        _refuse(path, _("it is not well-formed XML (%(error)s).") % {"error": exc})
    return FileInfo(sha256=sha256_of(path), rows_total=total)


def xml_rows(path, header: list[str], *, record_tag, child_tag=None, start_after: int = 0):
    number = 0
    for record in xml_records(path, record_tag=record_tag, child_tag=child_tag):
        number += 1
        if number <= start_after:
            continue
        yield number, [record.get(name, "") for name in header]

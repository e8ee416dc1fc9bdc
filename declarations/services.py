"""Writing declarations: versions, goods lines and outcomes, in bulk.

The import pipeline hands over chunks of complete declarations (all lines of
each); :func:`store_declarations` classifies each against what is stored by its
content hash (new, changed, unchanged) and writes the chunk in one transaction
(the caller's). A changed declaration gets a new version row and becomes the
current one; earlier versions are kept. On PostgreSQL rows go in with COPY and
ids taken from the table's sequence beforehand; elsewhere with bulk_create.
"""

import hashlib
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from declarations import summaries
from declarations.models import Declaration, DeclarationLine, Outcome
from stq02 import bulk

HEADER_FIELDS = (
    "type_code",
    "direction",
    "office_code",
    "registered_on",
    "cleared_on",
    "channel",
    "declarant_code",
    "partner_name",
    "partner_country",
    "origin_country",
    "export_country",
    "transport_mode",
    "incoterms",
    "currency",
    "exchange_rate",
    "invoice_value",
    "customs_value",
    "import_duty",
    "vat",
    "special_consumption_tax",
    "environmental_tax",
    "related_party",
)
LINE_FIELDS = (
    "line_no",
    "hs_code",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "customs_value",
    "import_duty_rate",
    "import_duty",
    "vat_rate",
    "vat",
    "special_consumption_tax",
    "environmental_tax",
    "origin_country",
    "preference_code",
)
OUTCOME_FIELDS = ("source", "reference", "decided_on", "violation_found", "critical", "note")


@dataclass
class DeclarationRecord:
    """One declaration as a file gave it: text values in canonical form."""

    number: str
    version: int
    tax_code: str
    header: dict
    lines: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)
    rows: list = field(default_factory=list)  # the file's row numbers, for rejections
    importer_name: str = ""
    enterprise_id: int | None = None
    customs_office_id: int | None = None
    content_hash: str = ""

    def compute_hash(self) -> str:
        parts = [self.number, str(self.version), self.tax_code]
        parts += [self.header.get(name) or "" for name in HEADER_FIELDS]
        for line in self.lines:
            parts.append("\x1e")
            if len(line) == len(LINE_FIELDS):  # built in LINE_FIELDS order, text values
                parts.append("\x1f".join(line.values()))
            else:
                parts += [line.get(name) or "" for name in LINE_FIELDS]
        for outcome in self.outcomes:
            parts.append("\x1d")
            parts += [str(outcome.get(name, "")) for name in OUTCOME_FIELDS]
        self.content_hash = hashlib.md5(  # noqa: S324 (a digest for change detection)
            "\x1f".join(parts).encode("utf-8")
        ).hexdigest()
        return self.content_hash


@dataclass
class StoreResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    conflicts: list = field(default_factory=list)  # (record, reason code)


_COLUMNS = "number, version, content_hash, is_current, id, source_batch_id"


def digits_width(numbers: list[str]) -> int | None:
    """The length all ``numbers`` share if every one is ASCII digits of it, else
    None: one C-level pass over the joined text, not a test per number (VNACCS
    numbers are 12 digits; a chunk has tens of thousands)."""
    if not numbers:
        return None
    joined = "".join(numbers)
    width = len(numbers[0])
    if len(joined) != width * len(numbers) or not (joined.isascii() and joined.isdigit()):
        return None
    return width if set(map(len, numbers)) == {width} else None


def _existing(numbers):
    """number -> {"hashes": set, "current": (id, version, batch_id) | None, "max": int}"""
    found: dict = {}
    numbers = list(numbers)
    if connection.vendor == "postgresql" and numbers:
        # By the unique (number, version) index, whatever the planner thinks: for
        # a chunk's 16,667 numbers it scans the table instead until the table
        # holds some 5 M declarations (its cost model takes index pages to be on
        # disk), so every chunk of a large import into a smaller table scanned all
        # of it (at 333 k declarations 90 ms a chunk against 39 ms, and growing).
        # (SET LOCAL: the caller's transaction, see store_declarations.)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            rows = _existing_in_range(cursor, numbers)
            if rows is None:
                rows = _existing_by_number(cursor, numbers)
            cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
    else:
        rows = (
            Declaration.objects.filter(number__in=numbers)
            .order_by()  # no ORDER BY: the model's ordering would walk an index
            .values_list("number", "version", "content_hash", "is_current", "pk", "source_batch_id")
        )
    for number, version, digest, current, pk, batch_id in rows:  # one chunk's numbers
        entry = found.setdefault(number, {"hashes": set(), "current": None, "max": -1})
        entry["hashes"].add(digest)
        entry["max"] = max(entry["max"], version)
        if current:
            entry["current"] = (pk, version, batch_id)
    return found


def _existing_in_range(cursor, numbers) -> list | None:
    """The stored versions of ``numbers``, read as the range of the number index
    from the lowest to the highest of them: a file's declarations come in order,
    so a chunk's numbers are most of their range. For a chunk of 16,667 new
    numbers 0.2 ms against 20 ms for a lookup of each (26 ms against 4-8 ms when
    all are stored). ``None`` when the numbers are not all ASCII digits of one
    length (only then is the index's order, in any collation, the order of
    Python's strings) or the range holds many more rows than the chunk has numbers."""
    if digits_width(numbers) is None:
        return None
    limit = 4 * len(numbers)
    cursor.execute(
        f"SELECT {_COLUMNS} FROM {Declaration._meta.db_table} "  # noqa: S608
        "WHERE number BETWEEN %s AND %s LIMIT %s",
        [min(numbers), max(numbers), limit + 1],
    )
    rows = cursor.fetchall()
    if len(rows) > limit:
        return None
    wanted = set(numbers)
    return [row for row in rows if row[0] in wanted]


def _existing_by_number(cursor, numbers) -> list:
    """The stored versions of ``numbers``, looked up one by one. As one text
    parameter split by PostgreSQL where no number holds a comma: an IN list of a
    chunk's tens of thousands of numbers costs Django more to build than
    PostgreSQL to answer, and psycopg2 quotes a list item by item (19 ms of the
    GIL per chunk, against 0.5 ms for one string)."""
    joined = ",".join(numbers)
    if joined.count(",") == len(numbers) - 1:
        given, param = "string_to_array(%s, ',')", joined
    else:
        given, param = "%s", numbers
    cursor.execute(
        f"SELECT {_COLUMNS} FROM {Declaration._meta.db_table} WHERE number = ANY({given})",  # noqa: S608
        [param],
    )
    return cursor.fetchall()


class Classifier:
    """Decides what each declaration of a chunk is against what is stored: "new",
    "unchanged" (a stored version has the same content hash), "changed" (the next
    version; the current one is retired) or "repeated" (this chunk or, for a version
    not above the stored one, this batch already stored it from other rows of the
    file). Shared by :func:`store_declarations` and the column-at-a-time path
    (integrations/columnar.py), so both count a file the same way."""

    def __init__(self, numbers, *, batch_id: int | None):
        self.existing = _existing(numbers)
        self.batch_id = batch_id
        self.seen: set[str] = set()
        self.retire: list[int] = []  # ids of current versions that "changed" replaces

    def decide(self, number: str, version: int, digest: str) -> tuple[str, int]:
        """(verdict, version to store)."""
        if number in self.seen:
            return "repeated", version
        self.seen.add(number)
        entry = self.existing.get(number)
        if entry is None:
            return "new", version
        if digest in entry["hashes"]:
            return "unchanged", version
        current = entry["current"]
        if (
            current
            and self.batch_id is not None
            and current[2] == self.batch_id
            and version <= current[1]
        ):
            # This batch stored the declaration already from other rows of the file.
            # (The pipeline's FileNumbers also knows those it found unchanged, and
            # passes them as ``earlier``; this rule serves a batch resumed after a
            # crash, whose FileNumbers start empty.)
            return "repeated", version
        if current:
            self.retire.append(current[0])
        return "changed", max(version, entry["max"] + 1)

    def split(self, numbers, versions, digests, *, earlier=frozenset()) -> "Split":
        """Decide for every declaration of the chunk, in order, and count.
        ``earlier``: indexes of declarations the file gave on earlier rows, in a
        chunk committed before (repeated, whatever is stored)."""
        split = Split()
        for index, (number, version, digest) in enumerate(
            zip(numbers, versions, digests, strict=True)
        ):
            if index in earlier:
                split.repeated.append(index)
                continue
            verdict, version = self.decide(number, version, digest)
            if verdict == "repeated":
                split.repeated.append(index)
            elif verdict == "unchanged":
                split.unchanged += 1
            else:
                split.write.append((index, version))
                if verdict == "new":
                    split.new += 1
                else:
                    split.changed += 1
        return split

    def retire_replaced(self) -> None:
        """The current versions that "changed" declarations replace stop being current."""
        if self.retire:
            Declaration.objects.filter(pk__in=self.retire).update(is_current=False)


@dataclass
class Split:
    """What :meth:`Classifier.split` decided for a chunk: (index, version) of each
    declaration to write, indexes of the repeated ones, and the counts."""

    write: list = field(default_factory=list)
    repeated: list = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0


def store_declarations(
    *, records: list, batch_id: int | None, source: str, earlier=frozenset()
) -> StoreResult:
    """Store a chunk of complete declarations. Run inside a transaction.
    ``earlier``: indexes of records whose number the file gave on earlier rows."""
    result = StoreResult()
    if not records:
        return result
    classifier = Classifier([r.number for r in records], batch_id=batch_id)
    split = classifier.split(
        [r.number for r in records],
        [r.version for r in records],
        [r.content_hash or r.compute_hash() for r in records],
        earlier=earlier,
    )
    result.new, result.changed, result.unchanged = split.new, split.changed, split.unchanged
    result.conflicts = [(records[index], "repeated") for index in split.repeated]
    to_write = []
    for index, version in split.write:
        records[index].version = version
        to_write.append(records[index])
    classifier.retire_replaced()
    retire = classifier.retire
    if to_write:
        if connection.vendor == "postgresql":
            ids = _copy_write(to_write, batch_id=batch_id, source=source)
        else:
            ids = orm_write(to_write, batch_id=batch_id, source=source)
        _write_outcomes(to_write, ids)
        # The enterprise page's summaries: the new versions in, the replaced ones out.
        summaries.apply(added_ids=ids, retired_ids=retire)
    return result


def _declaration_values(record, *, batch_id, source, now):
    header = record.header
    return {
        **{name: (header.get(name) or None) for name in HEADER_FIELDS},
        "number": record.number,
        "version": record.version,
        "is_current": True,
        "enterprise_id": record.enterprise_id,
        "customs_office_id": record.customs_office_id,
        "content_hash": record.content_hash,
        "source": source,
        "source_batch_id": batch_id,
        "created_at": now,
    }


def _fill(values: dict, defaults: dict) -> dict:
    for key, value in values.items():
        if value is None or value == "":
            values[key] = defaults.get(key, value)
    return values


def orm_write(records, *, batch_id, source) -> list[int]:
    """Write declaration records and their lines with bulk_create (databases other
    than PostgreSQL; the columnar ingest on SQLite too). Returns the new ids."""
    now = timezone.now()
    d_defaults = bulk.field_defaults(Declaration)
    l_defaults = bulk.field_defaults(DeclarationLine)
    objects = [
        Declaration(
            **_fill(_declaration_values(r, batch_id=batch_id, source=source, now=now), d_defaults)
        )
        for r in records
    ]
    created = Declaration.objects.bulk_create(objects, batch_size=1000)
    ids = [obj.pk for obj in created]
    lines = [
        DeclarationLine(declaration_id=pk, **_fill(dict(line), l_defaults))
        for pk, record in zip(ids, records, strict=True)
        for line in record.lines
    ]
    DeclarationLine.objects.bulk_create(lines, batch_size=2000)
    return ids


# --- PostgreSQL COPY -------------------------------------------------------------------


def _copy_write(records, *, batch_id, source):
    now = timezone.now().isoformat()
    d_cols = bulk.columns_but_key(Declaration)
    l_cols = bulk.columns_but_key(DeclarationLine)
    d_defaults = bulk.field_defaults(Declaration)
    l_defaults = bulk.field_defaults(DeclarationLine)
    d_names = [f.attname for f in d_cols]
    l_names = [f.attname for f in l_cols]
    line_count = sum(len(r.lines) for r in records)
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg2 cursor, for copy_expert
        ids = bulk.reserve_ids(cursor, Declaration, len(records))

        def declaration_rows():
            for pk, record in zip(ids, records, strict=True):
                values = _declaration_values(record, batch_id=batch_id, source=source, now=now)
                row = [str(pk)]
                for name in d_names:
                    value = values.get(name)
                    if value is None or value == "":
                        value = d_defaults[name]
                    row.append(bulk.copy_text(value))
                yield row

        def line_rows():
            for pk, record in zip(ids, records, strict=True):
                for line in record.lines:
                    row = []
                    for name in l_names:
                        if name == "declaration_id":
                            row.append(str(pk))
                            continue
                        value = line.get(name)
                        if value is None or value == "":
                            value = l_defaults[name]
                        row.append(bulk.copy_text(value))
                    yield row

        bulk.copy_rows(cursor, Declaration, [Declaration._meta.pk, *d_cols], declaration_rows())
        if line_count:
            bulk.copy_rows(cursor, DeclarationLine, l_cols, line_rows())
    return ids


# --- Outcomes --------------------------------------------------------------------------


def _write_outcomes(records, ids):
    outcomes = []
    for pk, record in zip(ids, records, strict=True):
        for values in record.outcomes:
            outcomes.append(Outcome(declaration_id=pk, declaration_number=record.number, **values))
    if outcomes:
        Outcome.objects.bulk_create(
            outcomes,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["source", "reference"],
            update_fields=[
                "declaration",
                "declaration_number",
                "decided_on",
                "violation_found",
                "critical",
                "additional_tax",
                "fine",
                "note",
            ],
        )


def record_outcomes(*, entries: list[dict]) -> int:
    """Upsert outcomes reported by another system (VCIS), one per (source,
    reference), linked to the current version of the declaration when it is
    stored. ``entries``: source, reference, declaration_number, decided_on,
    violation_found, additional_tax, fine, note. Returns how many were written."""
    if not entries:
        return 0
    current = dict(
        Declaration.objects.filter(
            number__in={e["declaration_number"] for e in entries}, is_current=True
        ).values_list("number", "pk")
    )
    Outcome.objects.bulk_create(
        [
            Outcome(
                declaration_id=current.get(e["declaration_number"]),
                **{k: e[k] for k in e if k != "declaration_id"},
            )
            for e in entries
        ],
        update_conflicts=True,
        unique_fields=["source", "reference"],
        update_fields=[
            "declaration",
            "declaration_number",
            "decided_on",
            "violation_found",
            "critical",
            "additional_tax",
            "fine",
            "note",
        ],
    )
    summaries.fill_outcome_enterprises(
        Outcome.objects.filter(
            source__in={e["source"] for e in entries},
            reference__in={e["reference"] for e in entries},
        )
    )
    return len(entries)

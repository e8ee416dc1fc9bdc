"""The ingest pipeline: one import batch, read in a stream, stored in chunks.

Flow of :func:`run_batch`:

1. claim the batch (a conditional update from pending/failed to running, so two
   workers never run the same batch);
2. ``adapter.inspect`` reads the whole file once (SHA-256, row count, header,
   encoding, well-formedness) and refuses a broken file before anything is stored;
3. rows stream through ``adapter.check`` (typed values or a RowError); VNACCS and
   KCS rows are grouped into complete declarations (the lines of a declaration
   are consecutive rows of the file);
4. every chunk of about ``chunk_rows`` rows is written in one transaction
   together with its rejected rows and the batch's counters and ``rows_done``.
   A crash loses at most the chunk in flight, and the batch says how far it got:
   running it again continues after ``rows_done``; importing the file again as a
   new batch is also safe, since identical declarations are "unchanged".
"""

import bisect
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from declarations import summaries
from declarations.models import Outcome
from declarations.services import (
    HEADER_FIELDS,
    DeclarationRecord,
    digits_width,
    record_outcomes,
    store_declarations,
)
from enterprises import services as enterprise_services
from integrations import columnar
from integrations.adapters import get_adapter
from integrations.adapters.vnaccs import LINE_KEYS
from integrations.fields import VND_TOTAL_MAX, RowError
from integrations.models import ImportBatch, RejectedRow
from integrations.readers import FileRefused
from stq02.models import Unit
from stq02.money import group_digits

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000
SUMMED = ("customs_value", "import_duty", "vat", "special_consumption_tax", "environmental_tax")


@dataclass
class Rejection:
    row: int
    field: str
    reason: str
    raw: dict


@dataclass
class Chunk:
    """What one transaction stores: complete records, their rejections, and the
    last row number it covers."""

    records: list = field(default_factory=list)
    rejections: list = field(default_factory=list)
    rejected: int = 0
    rows: int = 0
    last_row: int = 0


class _Run:
    """Sorted declaration numbers (int64), kept as offsets from the lowest in 4
    bytes each when they span less than 2**32 (numbers of one file mostly do), else
    as they are."""

    __slots__ = ("base", "high", "low", "values")

    def __init__(self, numbers: np.ndarray):
        self.low, self.high = int(numbers[0]), int(numbers[-1])
        if self.high - self.low < 1 << 32:
            self.base = self.low
            self.values = (numbers - self.low).astype(np.uint32)
        else:
            self.base = 0
            self.values = numbers

    def numbers(self) -> np.ndarray:
        return self.values.astype(np.int64) + self.base

    def contains(self, values: np.ndarray) -> np.ndarray:
        hit = np.zeros(len(values), dtype=bool)
        inside = (values >= self.low) & (values <= self.high)
        if inside.any():
            probe = (values[inside] - self.base).astype(self.values.dtype)
            place = np.minimum(np.searchsorted(self.values, probe), len(self.values) - 1)
            hit[inside] = self.values[place] == probe
        return hit


class FileNumbers:
    """The declaration numbers of a file's chunks committed so far, so that a
    declaration given again on later, not consecutive, rows is refused as
    repeated also when a re-send finds its first part unchanged (this batch then
    wrote nothing the database could tell it by). Any number not of 12 digits is
    kept in a set; 12-digit ones in sorted runs (:class:`_Run`, 4 bytes a number:
    6.7 MB for a 5 M-line file). A chunk's run waits among the pending ones; past
    MERGE_AFTER of them they merge into one, which joins the settled runs (sorted,
    not overlapping each other): merged with those it overlaps, beside them
    otherwise. So a file in number order, the usual export, never merges what it
    has kept, and its memory grows by the 4 bytes alone; a file in another order
    merges everything again every MERGE_AFTER chunks, for a moment with 20 bytes
    a number (the runs kept, their int64 copies and the merged array). Chunks written in parallel add
    theirs from their own threads once committed; a chunk that shares a number
    with one in flight waits for it (integrations/columnar.py), so lookups never
    miss one."""

    MERGE_AFTER = 8  # pending runs kept apart before they merge into one

    def __init__(self):
        self._settled: list[_Run] = []  # by number, not overlapping
        self._pending: list[_Run] = []
        self._other: set[str] = set()
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Bytes the 12-digit numbers take."""
        with self._lock:
            return sum(run.values.nbytes for run in self._settled + self._pending)

    @staticmethod
    def _encode(numbers) -> tuple[np.ndarray, np.ndarray, list]:
        """(positions of the 12-digit numbers, those numbers as int64, [(position,
        number)] of any other). Every adapter gives 12 digits: one test of the
        whole list settles it, without a check per number in Python."""
        numbers = list(numbers)
        if not numbers or digits_width(numbers) == 12:
            return np.arange(len(numbers)), np.array(numbers, dtype=np.int64), []
        plain, other = [], []
        for k, number in enumerate(numbers):
            is_plain = len(number) == 12 and number.isascii() and number.isdigit()
            (plain if is_plain else other).append((k, number))
        values = np.array([number for _k, number in plain], dtype=np.int64)
        return np.array([k for k, _number in plain], dtype=np.int64), values, other

    def add(self, numbers) -> None:
        _positions, values, other = self._encode(numbers)
        values = np.sort(values)
        with self._lock:
            self._other.update(number for _k, number in other)
            if len(values):
                self._pending.append(_Run(values))
            if len(self._pending) > self.MERGE_AFTER:
                self._settle()

    def _settle(self) -> None:
        """The pending runs become one settled run (the caller holds the lock)."""
        merged = np.concatenate([run.numbers() for run in self._pending])
        self._pending = []
        merged.sort()  # in place (a number given twice may stay twice)
        low, high = int(merged[0]), int(merged[-1])
        first = bisect.bisect_left([run.high for run in self._settled], low)
        last = bisect.bisect_right([run.low for run in self._settled], high)
        if first < last:  # the settled runs it overlaps join it
            merged = np.concatenate([*(run.numbers() for run in self._settled[first:last]), merged])
            merged.sort()
        self._settled[first:last] = [_Run(merged)]

    def among(self, numbers) -> set[int]:
        """Positions in ``numbers`` of those already given by a committed chunk."""
        positions, values, other = self._encode(numbers)
        with self._lock:
            runs = self._settled + self._pending
            found = {k for k, number in other if number in self._other}
        if not runs or not len(values):
            return found
        hit = np.zeros(len(values), dtype=bool)
        for run in runs:
            hit |= run.contains(values)
        found.update(positions[hit].tolist())
        return found


def reason_text(row: int, field_name: str, problem: str) -> str:
    return _("Row %(row)d, field %(field)s: %(problem)s") % {
        "row": row,
        "field": field_name,
        "problem": problem,
    }


# --- Units of customs offices ----------------------------------------------------------


class OfficeDirectory:
    """customs office code -> (unit id, managing unit id for a new enterprise).

    A new enterprise is managed by the regional branch the declaring customs
    office belongs to (the office's nearest ancestor of kind branch, or the office
    itself); when the office code is not a known unit, by the batch's unit (the
    uploader's), else by nobody (central units still see it)."""

    def __init__(self, default_unit_id: int | None):
        self.default_unit_id = default_unit_id
        self.known: dict[str, tuple[int | None, int | None]] = {}

    def get(self, code: str) -> tuple[int | None, int | None]:
        if code not in self.known:
            unit = Unit.objects.filter(code=code).first() if code else None
            if unit is None:
                self.known[code] = (None, self.default_unit_id)
            else:
                branch = (
                    unit
                    if unit.kind == Unit.Kind.BRANCH
                    else unit.ancestors().filter(kind=Unit.Kind.BRANCH).last()
                )
                self.known[code] = (unit.pk, (branch or unit).pk)
        return self.known[code]


# --- Sinks: how a kind of record is grouped and stored ----------------------------------


class DeclarationSink:
    """Rows are goods lines; a record is a declaration (consecutive rows with the
    same number)."""

    group_key = "number"

    def __init__(self, batch: ImportBatch, adapter):
        self.batch = batch
        self.adapter = adapter
        self.offices = OfficeDirectory(batch.unit_id)
        self.enterprises = enterprise_services.EnterpriseDirectory()
        self.written_for: set[int] = set()  # enterprises of the declarations stored
        self.given = FileNumbers()  # shared with the columnar path's sink

    def committed(self, chunk: Chunk) -> None:
        """After the chunk's transaction: its declarations count as given."""
        self.given.add(record.number for record in chunk.records)

    def build(self, group: list, header: list[str], chunk: Chunk) -> None:
        """``group``: [(row, typed dict | RowError, values)] of one declaration."""
        errors = [(row, err) for row, err, _values in group if isinstance(err, RowError)]
        lines = []
        if not errors:
            seen = {}
            for row, typed, _values in group:
                line = typed.get("_line")
                if line is None:  # an adapter that maps rows itself (KCS)
                    line = {target: typed.get(key, "") for key, target in LINE_KEYS.items()}
                lines.append(line)
                line_no = line["line_no"]
                if line_no in seen:
                    problem = _("line number %(line)s is repeated (row %(first)d)") % {
                        "line": line_no,
                        "first": seen[line_no],
                    }
                    errors.append((row, RowError("line_no", problem)))
                seen.setdefault(line_no, row)
        if errors:
            self.reject(group, header, errors, chunk)
            return
        first = group[0][1]
        record = DeclarationRecord(
            number=first["number"],
            version=int(first.get("version") or 0),
            tax_code=first["tax_code"],
            importer_name=first.get("importer_name", ""),
            header={name: first.get(name, "") for name in HEADER_FIELDS},
            lines=lines,
            outcomes=first.get("outcomes", []),
            rows=[row for row, _typed, _values in group],
        )
        header_values = record.header
        for name in SUMMED:  # a total left empty is the sum of the lines' amounts
            if not header_values[name]:
                amounts = [line[name] for line in lines if line[name]]
                if amounts:
                    total = sum(int(a) for a in amounts)  # whole: fields.vnd
                    if total > VND_TOTAL_MAX:
                        problem = _(
                            "the lines' amounts add up to more than %(most)s đồng, the most "
                            "a declaration's total can be"
                        ) % {"most": group_digits(VND_TOTAL_MAX)}
                        self.reject(group, header, [(group[0][0], RowError(name, problem))], chunk)
                        return
                    header_values[name] = str(total)
        record.extra_enterprises = first.get("extra_enterprises", [])
        record.group = group
        chunk.records.append(record)

    def reject(self, group, header, errors, chunk: Chunk) -> None:
        bad = {row for row, _err in errors}
        first_bad = min(bad)
        for row, err in errors:
            values = next(v for r, _t, v in group if r == row)
            chunk.rejections.append(
                Rejection(
                    row, err.field, reason_text(row, err.field, err.problem), _raw(header, values)
                )
            )
        for row, _typed, values in group:
            if row not in bad:
                problem = _(
                    "not stored because row %(row)d of the same declaration was rejected"
                ) % {"row": first_bad}
                chunk.rejections.append(
                    Rejection(row, "", reason_text(row, "-", problem), _raw(header, values))
                )
        chunk.rejected += 1

    def store(self, chunk: Chunk, header: list[str]):
        if not chunk.records:
            return 0, 0, 0
        wanted = {}
        for record in chunk.records:
            office_id, managing_id = self.offices.get(record.header.get("office_code", ""))
            record.customs_office_id = office_id
            wanted.setdefault(record.tax_code, (record.importer_name, managing_id))
            for code, name in record.extra_enterprises:
                wanted.setdefault(code, (name, managing_id))
        ids = self.enterprises.resolve(wanted)
        for record in chunk.records:
            record.enterprise_id = ids[record.tax_code]
        result = store_declarations(
            records=chunk.records,
            batch_id=self.batch.pk,
            source=self.adapter.name,
            earlier=self.given.among(record.number for record in chunk.records),
        )
        if result.new or result.changed:  # (the chunk's enterprises: a few too many)
            self.written_for.update(record.enterprise_id for record in chunk.records)
        for record, _code in result.conflicts:
            reject_repeated(
                chunk,
                record.number,
                [(row, values) for row, _typed, values in record.group],
                header,
            )
        return result.new, result.changed, result.unchanged


def reject_repeated(chunk: Chunk, number: str, rows, header) -> None:
    """Reject the rows (row number, cells) of declaration ``number``, which this
    file already gave on earlier, not consecutive, rows."""
    problem = _(
        "declaration %(number)s was already stored from earlier rows of this file; "
        "put all lines of a declaration on consecutive rows"
    ) % {"number": number}
    for row, values in rows:
        chunk.rejections.append(
            Rejection(
                row,
                "declaration_number",
                reason_text(row, "declaration_number", problem),
                _raw(header, values),
            )
        )
    chunk.rejected += 1


class RecordSink:
    """Rows are records of their own (VCIS, registry, tax debt)."""

    group_key = None

    def __init__(self, batch: ImportBatch, adapter):
        self.batch = batch
        self.adapter = adapter
        self.enterprises = enterprise_services.EnterpriseDirectory()
        self.areas: dict[str, int | None] = {}
        self.written_for: set[int] = set()  # these records are not declarations

    def committed(self, chunk: Chunk) -> None:
        """Records of their own: nothing to remember between chunks."""

    def build(self, group, header, chunk: Chunk) -> None:
        ((row, typed, values),) = group
        if isinstance(typed, RowError):
            chunk.rejections.append(
                Rejection(
                    row,
                    typed.field,
                    reason_text(row, typed.field, typed.problem),
                    _raw(header, values),
                )
            )
            chunk.rejected += 1
            return
        chunk.records.append(typed)

    def store(self, chunk: Chunk, header):
        if not chunk.records:
            return 0, 0, 0
        kind = self.adapter.kind
        if kind == "registry":
            for entry in chunk.records:
                entry["managing_unit_id"] = self.area_unit(entry.get("province"))
            result = enterprise_services.apply_registry_entries(
                entries=chunk.records, default_unit_id=self.batch.unit_id
            )
        elif kind == "tax_debt":
            result = enterprise_services.record_tax_debts(
                entries=chunk.records,
                directory=self.enterprises,
                default_unit_id=self.batch.unit_id,
            )
        else:
            result = enterprise_services.record_violations(
                entries=chunk.records,
                directory=self.enterprises,
                default_unit_id=self.batch.unit_id,
            )
            record_outcomes(
                entries=[
                    {
                        "source": Outcome.Source.VCIS,
                        "reference": entry["reference"],
                        "declaration_number": entry["declaration_number"],
                        "decided_on": entry["decided_on"],
                        "violation_found": True,
                        "critical": 2 if entry.get("is_grave") == "1" else 1,
                        "additional_tax": int(entry.get("additional_tax") or 0),
                        "fine": int(entry.get("fine") or 0),
                        "note": entry.get("description", "")[:2000],
                    }
                    for entry in chunk.records
                    if entry.get("declaration_number") and entry["kind"] != "watchlist"
                ]
            )
        return result.new, result.changed, result.unchanged

    def area_unit(self, province_code: str | None) -> int | None:
        """The regional branch whose area holds the province (for a new enterprise)."""
        if not province_code:
            return None
        if province_code not in self.areas:
            unit = (
                Unit.objects.filter(kind=Unit.Kind.BRANCH, provinces__code=province_code)
                .order_by("path")
                .first()
            )
            self.areas[province_code] = unit.pk if unit else None
        return self.areas[province_code]


def sink_for(batch, adapter):
    return (
        DeclarationSink(batch, adapter)
        if adapter.kind == "declarations"
        else RecordSink(batch, adapter)
    )


def _raw(header, values) -> dict:
    return {name: (values[i] if i < len(values) else "") for i, name in enumerate(header) if name}


# --- Reading rows into groups and chunks -------------------------------------------------


def groups(adapter, plan, header, rows):
    """Consecutive rows with the same declaration number form one group. Every
    row is checked in full; the declaration's values are taken from its first."""
    key_index = None
    if adapter.kind == "declarations":
        key_name = adapter.columns[0].name
        key_index = header.index(key_name) if key_name in header else None
    check = adapter.check
    current = []
    current_key = None
    for row, values in rows:
        if key_index is None:
            try:
                typed = check(plan, values)
            except RowError as exc:
                typed = exc
            yield [(row, typed, values)]
            continue
        key = values[key_index].strip() if key_index < len(values) else ""
        same = bool(current) and key == current_key
        try:
            typed = check(plan, values)
        except RowError as exc:
            typed = exc
        if current and not same:
            yield current
            current = []
        current_key = key
        current.append((row, typed, values))
    if current:
        yield current


def chunks(sink, groups_iter, header, chunk_rows: int):
    chunk = Chunk()
    for group in groups_iter:
        sink.build(group, header, chunk)
        chunk.rows += len(group)
        chunk.last_row = group[-1][0]
        if chunk.rows >= chunk_rows:
            yield chunk
            chunk = Chunk()
    if chunk.rows:
        yield chunk


def chunk_stored(batch: ImportBatch) -> None:
    """Called inside each chunk's transaction once its rows are written, by both
    write paths: the point where a crash would lose the chunk (tests raise here)."""


def write_chunk(batch: ImportBatch, sink, chunk: Chunk, header, *, extra=None) -> None:
    """Store one chunk, its rejections and the batch's progress atomically."""
    with transaction.atomic():
        new, changed, unchanged = sink.store(chunk, header)
        if chunk.rejections:
            RejectedRow.objects.bulk_create(
                [
                    RejectedRow(
                        batch=batch, row_number=r.row, field=r.field, reason=r.reason, raw=r.raw
                    )
                    for r in chunk.rejections
                ],
                batch_size=1000,
            )
        ImportBatch.objects.filter(pk=batch.pk).update(
            new_count=F("new_count") + new,
            changed_count=F("changed_count") + changed,
            unchanged_count=F("unchanged_count") + unchanged,
            rejected_count=F("rejected_count") + chunk.rejected,
            rows_done=chunk.last_row,
        )
        if extra:
            extra()
        chunk_stored(batch)
    sink.committed(chunk)
    batch.new_count += new
    batch.changed_count += changed
    batch.unchanged_count += unchanged
    batch.rejected_count += chunk.rejected
    batch.rows_done = chunk.last_row


# --- Batches -----------------------------------------------------------------------------


def create_batch(
    *, source: str, path, file_name: str | None = None, user=None, unit=None
) -> ImportBatch:
    get_adapter(source)  # an unknown source is refused before a batch exists
    return ImportBatch.objects.create(
        source=source,
        file_name=file_name or Path(path).name,
        file_path=str(path),
        uploaded_by=user if user and user.is_authenticated else None,
        unit=unit or (user.unit if user and user.is_authenticated else None),
        language=translation.get_language() or "",
    )


def claim(batch_id: int) -> bool:
    """Pending or failed -> running; False when another run has it (or it is done)."""
    return bool(
        ImportBatch.objects.filter(
            pk=batch_id, status__in=[ImportBatch.Status.PENDING, ImportBatch.Status.FAILED]
        ).update(status=ImportBatch.Status.RUNNING, started_at=timezone.now(), error="")
    )


def _finish(batch: ImportBatch, status: str, error: str = "") -> ImportBatch:
    batch.status = status
    batch.error = error
    batch.finished_at = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=status, error=error, finished_at=batch.finished_at
    )
    return batch


def _done(batch: ImportBatch, written_for: set[int]) -> ImportBatch:
    """The enterprises a batch wrote declarations for may have become big enough
    for summaries of their own (declarations.summaries.promote)."""
    if written_for:
        summaries.promote(enterprise_ids=written_for)
    return _finish(batch, ImportBatch.Status.DONE)


def run_batch(*, batch_id: int, progress=None, chunk_rows: int | None = None) -> ImportBatch:
    """Run (or resume) one batch. Returns the batch in its final state; a refused
    file or a failure is recorded on the batch, not raised."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if not claim(batch_id):
        return batch
    batch.refresh_from_db()
    with translation.override(batch.language or translation.get_language()):
        adapter = get_adapter(batch.source)
        sink = sink_for(batch, adapter)
        reading = columnar.read_ahead(
            batch=batch, adapter=adapter, sink=sink, chunk_rows=chunk_rows or columnar.CHUNK_ROWS
        )
        try:
            return _inspect_and_run(batch, adapter, sink, reading, progress, chunk_rows)
        finally:
            if reading is not None:
                reading.cancel()  # nothing is read on once the batch ends


def _inspect_and_run(batch, adapter, sink, reading, progress, chunk_rows) -> ImportBatch:
    """The file inspected (refused as a whole, or its counts recorded), then
    imported by the columnar path or the row path; ``reading``: the columnar
    path's reading, started during the inspection (columnar.read_ahead)."""
    path = batch.file_path
    try:
        info = adapter.inspect(path)
        if batch.rows_done and batch.sha256 and batch.sha256 != info.sha256:
            raise FileRefused(
                _("File %(name)s changed since this batch started; import it as a new batch.")
                % {"name": batch.file_name}
            )
    except FileRefused as exc:
        logger.warning("batch %s refused: %s", batch.pk, exc)
        return _finish(batch, ImportBatch.Status.REFUSED, str(exc))
    except OSError as exc:
        return _finish(
            batch,
            ImportBatch.Status.REFUSED,
            _("File %(name)s cannot be read: %(error)s")
            % {"name": batch.file_name, "error": exc.strerror or exc},
        )
    batch.sha256, batch.rows_total = info.sha256, info.rows_total
    batch.columns = [name for name in info.header if name]
    ImportBatch.objects.filter(pk=batch.pk).update(
        sha256=info.sha256, rows_total=info.rows_total, columns=batch.columns
    )
    try:
        plan = adapter.plan(info.header)
        if columnar.supported(adapter, batch):
            try:
                columnar.run(
                    batch=batch,
                    adapter=adapter,
                    plan=plan,
                    info=info,
                    sink=sink,
                    chunk_rows=chunk_rows or columnar.CHUNK_ROWS,
                    progress=progress,
                    write_chunk=write_chunk,
                    reading=reading,
                )
                return _done(batch, sink.written_for)
            except columnar.Unreadable as exc:
                # The row path reads on after the last committed row and names
                # the row Arrow could not read.
                logger.info("batch %s: row path after row %s (%s)", batch.pk, batch.rows_done, exc)
        rows = adapter.rows(path, info, start_after=batch.rows_done)
        grouped = groups(adapter, plan, info.header, rows)
        for chunk in chunks(sink, grouped, info.header, chunk_rows or CHUNK_ROWS):
            write_chunk(batch, sink, chunk, info.header)
            connection.queries_log.clear()  # DEBUG keeps SQL text; not for 1M rows
            if progress:
                progress(batch)
    except Exception as exc:
        logger.exception("batch %s failed after row %s", batch.pk, batch.rows_done)
        return _finish(
            batch,
            ImportBatch.Status.FAILED,
            _("Stopped after row %(row)d: %(error)s") % {"row": batch.rows_done, "error": exc},
        )
    return _done(batch, sink.written_for)


def import_file(*, source: str, path, user=None, unit=None, progress=None, chunk_rows=None):
    batch = create_batch(source=source, path=path, user=user, unit=unit)
    return run_batch(batch_id=batch.pk, progress=progress, chunk_rows=chunk_rows)

"""Column-at-a-time ingest of VNACCS CSV files, with Apache Arrow.

The row path (integrations/pipeline.py) checks every cell in Python, which costs
about 50 µs a goods line; a month of VNACCS exports holds millions of lines. For
CSV files the same rules run here one column at a time in Arrow's kernels:

1. Arrow reads the file in blocks of rows, every cell as text;
2. every column is tested against the canonical form of its check
   (``check.arrow`` in integrations/fields.py: "valid and already written as the
   writers store it"). A row with any other cell goes through the Python check
   itself, which rewrites the cell in canonical form or rejects the row with its
   reason, so reasons and stored values come from one place;
3. a declaration is a run of rows with the same number, as in the row path; one
   with a rejected row or a repeated line number is handed to the row path's own
   code (``DeclarationSink.build``), which writes its rejections;
4. the content hash is the MD5 of the same text as
   ``DeclarationRecord.compute_hash``, read from Arrow's buffers;
5. each chunk is classified by the same ``Classifier`` as ``store_declarations``
   and written by COPY (PostgreSQL) or bulk_create, in one transaction with its
   rejections and the batch's progress (``pipeline.write_chunk``).

Reading and checking run in a thread of their own (Arrow releases the GIL) while
the caller's thread writes the chunk before, so Python and the database work at
the same time.

When Arrow cannot read a part of the file (a row with another number of fields,
a blank line), :class:`Unreadable` is raised after the chunks before it are
committed; the pipeline then continues with the row path after ``rows_done``,
which names the bad row. A batch resumed after a crash also goes on with the row
path (it starts at a row number, which the row path can do).
"""

import contextlib
import csv
import hashlib
import queue
import threading
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from declarations import services as declaration_services
from declarations import summaries
from declarations.models import Declaration, DeclarationLine
from declarations.services import HEADER_FIELDS, LINE_FIELDS, Classifier, DeclarationRecord
from integrations import readers
from integrations.fields import VND_TOTAL_MAX, BadValue, RowError
from stq02 import bulk

CHUNK_ROWS = 50_000
# The first chunk is smaller: the database has nothing to do until it is read and
# checked (about 0.4 s for 50,000 rows), and later chunks wait for the database.
FIRST_CHUNK_ROWS = 10_000
# Arrow parses a block of this size while it is still in the CPU's cache: 245 MB
# read in 0.98 s of CPU with 1 MiB blocks, 1.55 s with 8 MiB ones; the import's
# peak memory at 1 M lines went from about 690 to 520 MiB. (A row longer than a
# block cannot be read: VNACCS rows are a few hundred bytes, the longest a few kB.)
BLOCK_BYTES = 1 << 20
SUMMED = ("customs_value", "import_duty", "vat", "special_consumption_tax", "environmental_tax")
LINE_SEPARATOR = "\x1f\x1e"  # + "\x1f" between fields: the text compute_hash joins


class Unreadable(Exception):
    """Arrow cannot read the file from some row on; the row path takes over."""


def supported(adapter, batch) -> bool:
    return (
        settings.INGEST_COLUMNAR
        and adapter.kind == "declarations"
        and adapter.file_format == "csv"
        and adapter.line_keys is not None
        and not batch.rows_done
    )


@dataclass
class Prepared:
    """One chunk, checked and hashed, ready to be classified and written."""

    table: pa.Table  # the raw cells, for the rows of rejections found when writing
    first_row: int  # row number of the table's first row
    last_row: int
    rejections: list = field(default_factory=list)
    rejected: int = 0
    # Per declaration that passed the checks (in file order):
    starts: np.ndarray | None = None  # first table row of each
    ends: np.ndarray | None = None  # one past its last row
    numbers: list = field(default_factory=list)
    versions: list = field(default_factory=list)
    digests: list = field(default_factory=list)
    header: dict = field(default_factory=dict)  # HEADER_FIELDS name -> array per declaration
    lines: dict = field(default_factory=dict)  # LINE_FIELDS name -> array per table row
    tax_codes: pa.Array | None = None  # of the importer or exporter
    names: pa.Array | None = None  # its name as the declaration gives it
    enterprise_ids: np.ndarray | None = None  # set by ColumnarSink.link
    office_ids: pa.Array | None = None  # customs office unit ids (null: not a known unit)

    @property
    def rows(self) -> int:
        return self.table.num_rows


class ColumnarReader:
    """Reads and checks a VNACCS CSV file chunk by chunk (the producer's side)."""

    def __init__(self, *, path, header, plan, adapter, sink, delimiter, quoted, chunk_rows):
        self.path = path
        self.header = header
        self.width = len(header)
        self.plan = plan
        self.adapter = adapter
        self.sink = sink  # DeclarationSink: rejections of declarations with bad rows
        self.delimiter = delimiter
        self.quoted = quoted
        self.chunk_rows = chunk_rows
        self.line_keys = adapter.line_keys
        self.key_index = header.index(adapter.columns[0].name)

    def _batches(self):
        names = [f"c{i}" for i in range(self.width)]
        # A Python file, not the path: given a path, Arrow reads ahead as far as the
        # consumer lags (the whole file, when the database is the slower side); through
        # a Python file it keeps a few blocks, so memory does not grow with the file.
        handle = open(self.path, "rb")  # noqa: SIM115 (closed below, also on errors)
        try:  # open_csv reads the first block already
            reader = pcsv.open_csv(
                handle,
                read_options=pcsv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=BLOCK_BYTES, use_threads=True
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=self.quoted,
                    ignore_empty_lines=False,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                yield batch
        except pa.ArrowInvalid as exc:
            raise Unreadable(str(exc)) from exc
        finally:
            handle.close()

    def chunks(self):
        """Prepared chunks. As in the row path, a chunk ends with the declaration
        that brings it to ``chunk_rows`` rows or more (the first one to
        ``FIRST_CHUNK_ROWS``, if fewer)."""
        table = None
        first_row = 1
        size = min(self.chunk_rows, FIRST_CHUNK_ROWS)
        for batch in self._batches():
            if not batch.num_rows:
                continue
            more = pa.Table.from_batches([batch])
            table = more if table is None else pa.concat_tables([table, more])
            while cut := self._cut(table, size):
                yield self.prepare(table.slice(0, cut).combine_chunks(), first_row)
                first_row += cut
                table = table.slice(cut)
                size = self.chunk_rows
        if table is not None and table.num_rows:
            yield self.prepare(table.combine_chunks(), first_row)

    def _cut(self, table, size: int) -> int:
        """Where the declaration holding row ``size`` (counted from 1) ends, or 0
        if it may go on in rows not read yet."""
        if table.num_rows <= size:
            return 0
        keys = pc.utf8_trim_whitespace(
            table.column(self.key_index).slice(size - 1).combine_chunks()
        )
        change = np.flatnonzero(
            np.asarray(pc.not_equal(keys.slice(1), keys.slice(0, len(keys) - 1)))
        )
        return size + int(change[0]) if len(change) else 0

    # --- one chunk ---------------------------------------------------------------

    def prepare(self, table: pa.Table, first_row: int) -> Prepared:
        count = table.num_rows
        raw = [column.combine_chunks() for column in table.columns]
        values = {}  # target -> canonical array
        good = None
        for index, target, check, required, _name in self.plan.entries:
            ok, canonical = check.arrow(raw[index])
            if required:
                ok = pc.and_(ok, pc.not_equal(canonical, ""))
            else:
                ok = pc.or_(ok, pc.equal(raw[index], ""))
            values[target] = canonical
            good = ok if good is None else pc.and_(good, ok)
        prepared = Prepared(table=table, first_row=first_row, last_row=first_row + count - 1)
        errors = self._recheck(table, raw, values, good, first_row)

        keys = pc.utf8_trim_whitespace(raw[self.key_index])
        if count > 1:
            change = np.flatnonzero(
                np.asarray(pc.not_equal(keys.slice(1), keys.slice(0, count - 1)))
            )
            starts = np.concatenate(([0], change + 1))
        else:
            starts = np.array([0])
        ends = np.append(starts[1:], count)
        group_of = np.repeat(np.arange(len(starts)), ends - starts)

        problem = np.zeros(len(starts), dtype=bool)
        if errors:
            problem[group_of[list(errors)]] = True
        problem |= self._repeated_lines(values, group_of, problem)
        problem |= self._too_large_totals(values, starts, problem)
        for g in np.flatnonzero(problem):
            self._reject_group(table, int(starts[g]), int(ends[g]), first_row, errors, prepared)

        keep = np.flatnonzero(~problem)
        prepared.starts, prepared.ends = starts[keep], ends[keep]
        self._declarations(prepared, values, group_of, starts, ends, keep)
        return prepared

    def _recheck(self, table, raw, values, good, first_row) -> dict:
        """Rows with a cell the twins do not accept go through the Python check:
        canonical values replace the cells, RowErrors are returned by table row."""
        if good is None or pc.all(good).as_py():
            return {}
        bad = np.flatnonzero(~np.asarray(good))
        errors = {}
        replaced: dict[str, dict[int, str]] = {}
        rows = table.take(pa.array(bad)).to_pylist()
        names = table.column_names
        for row_index, cells in zip(bad.tolist(), rows, strict=True):
            cells = [cells[name] for name in names]
            try:
                typed = self.adapter.check(self.plan, cells)
            except RowError as exc:
                errors[row_index] = exc
                continue
            line = typed.get("_line", {})
            for target in values:
                if self.line_keys and target in self.line_keys:
                    value = line.get(self.line_keys[target], "")
                else:
                    value = typed.get(target, "")
                replaced.setdefault(target, {})[row_index] = value
        for target, by_row in replaced.items():
            mask = np.zeros(table.num_rows, dtype=bool)
            mask[list(by_row)] = True
            ordered = [by_row[i] for i in sorted(by_row)]
            values[target] = pc.replace_with_mask(
                values[target], pa.array(mask), pa.array(ordered, pa.string())
            )
        return errors

    def _repeated_lines(self, values, group_of, problem) -> np.ndarray:
        """Declarations in which a line number appears twice."""
        repeated = np.zeros(len(problem), dtype=bool)
        line_target = next(t for t, f in self.line_keys.items() if f == "line_no")
        if line_target not in values:
            return repeated
        clean = ~problem[group_of]
        numbers = pc.cast(pc.if_else(pa.array(clean), values[line_target], "0"), "int64").to_numpy(
            zero_copy_only=False
        )
        keys = group_of.astype(np.int64) * 1000 + numbers
        ordered = np.sort(keys[clean])
        twice = ordered[1:][ordered[1:] == ordered[:-1]]
        repeated[np.unique(twice // 1000)] = True
        return repeated

    def _too_large_totals(self, values, starts, problem) -> np.ndarray:
        """Declarations whose total, left empty, would be the sum of lines' amounts
        over what a total can hold (fields.VND_TOTAL_MAX): only possible with cells
        of more than 15 digits, so the sums are done only then. The row path's
        build rejects them, with the reason."""
        too_large = np.zeros(len(problem), dtype=bool)
        for name in SUMMED:
            target = next((t for t, f in self.line_keys.items() if f == name), None)
            amounts = values.get(target)
            if amounts is None or (pc.max(pc.binary_length(amounts)).as_py() or 0) <= 15:
                continue
            stated = values.get(name)
            cells = amounts.to_pylist()
            ends = np.append(starts[1:], len(cells))
            for g in np.flatnonzero(~problem):
                if stated is not None and stated[int(starts[g])].as_py():
                    continue  # the declaration states its total
                if sum(int(c) for c in cells[starts[g] : ends[g]] if c) > VND_TOTAL_MAX:
                    too_large[g] = True
        return too_large

    def _reject_group(self, table, start, end, first_row, errors, prepared) -> None:
        """Rejections of one declaration, written by the row path's own code."""
        from integrations.pipeline import Chunk

        names = table.column_names
        group = []
        for offset, cells in enumerate(table.slice(start, end - start).to_pylist()):
            cells = [cells[name] for name in names]
            index = start + offset
            typed = errors.get(index)
            if typed is None:
                typed = self.adapter.check(self.plan, cells)
            group.append((first_row + index, typed, cells))
        chunk = Chunk()
        self.sink.build(group, self.header, chunk)
        prepared.rejections.extend(chunk.rejections)
        prepared.rejected += chunk.rejected

    def _declarations(self, prepared, values, group_of, starts, ends, keep) -> None:
        """Header values (with empty totals summed from the lines) and the content
        hash of each declaration kept."""
        first = pa.array(starts[keep])
        empty = pa.array([""] * len(keep), pa.string())

        def header_value(name):
            return values[name].take(first) if name in values else empty

        header = {name: header_value(name) for name in HEADER_FIELDS}
        lines = {}
        for target, name in self.line_keys.items():
            lines[name] = values.get(target)
        for name in LINE_FIELDS:
            if lines.get(name) is None:
                lines[name] = pa.array([""] * len(group_of), pa.string())
        kept_rows = np.zeros(len(starts), dtype=bool)
        kept_rows[keep] = True
        kept_rows = kept_rows[group_of]
        for name in SUMMED:
            header[name] = self._totals(header[name], lines[name], starts, keep, kept_rows)
        version = header_value("version")
        version = pc.if_else(pc.equal(version, ""), "0", version)
        number = header_value("number")
        tax_code = header_value("tax_code")

        head_text = pc.binary_join_element_wise(
            number, version, tax_code, *(header[name] for name in HEADER_FIELDS), "\x1f"
        )
        line_text = pc.binary_join_element_wise(
            LINE_SEPARATOR, *(lines[name] for name in LINE_FIELDS), "\x1f"
        )
        head_offsets, head_data = _buffers(head_text)
        line_offsets, line_data = _buffers(line_text)
        # Python ints index faster than NumPy's scalars: 0.16 s per 1 M lines.
        heads = head_offsets[: len(keep) + 1].tolist()
        line_starts = line_offsets[starts[keep]].tolist()
        line_ends = line_offsets[ends[keep]].tolist()
        digests = []
        append = digests.append
        md5 = hashlib.md5
        for head_start, head_end, line_start, line_end in zip(
            heads[:-1], heads[1:], line_starts, line_ends, strict=True
        ):
            digest = md5(head_data[head_start:head_end])
            digest.update(line_data[line_start:line_end])
            append(digest.hexdigest())

        prepared.numbers = number.to_pylist()
        prepared.versions = [int(v) for v in version.to_pylist()]
        prepared.digests = digests
        prepared.tax_codes = tax_code
        prepared.names = header_value("importer_name")
        prepared.header = header
        prepared.lines = lines

    @staticmethod
    def _totals(stated, amounts, starts, keep, kept_rows):
        """A declaration's total left empty is the sum of its lines' amounts (when
        any line gives one), as DeclarationSink.build does. ``kept_rows``: the
        rows of declarations without a rejected row (all others may hold anything)."""
        blank = np.asarray(pc.equal(stated, ""))
        if not blank.any():
            return stated
        given = np.asarray(pc.not_equal(amounts, "")) & kept_rows
        counts = np.add.reduceat(given.astype(np.int64), starts)[keep]
        longest = pc.max(pc.binary_length(amounts.filter(pa.array(given)))).as_py() or 0
        if longest <= 15:  # sums of up to 999 lines stay within int64
            numbers = pc.cast(pc.if_else(pa.array(given), amounts, "0"), "int64").to_numpy()
            sums = pa.array(np.add.reduceat(numbers, starts)[keep]).cast(pa.string())
        else:
            cells = amounts.to_pylist()
            bounds = np.append(starts, len(cells))
            sums = pa.array(
                [str(sum(int(c) for c in cells[bounds[g] : bounds[g + 1]] if c)) for g in keep],
                pa.string(),
            )
        return pc.if_else(pa.array(blank & (counts > 0)), sums, stated)


def _runs(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The row numbers start, start + 1, … of each run, one run after the other."""
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    return np.arange(int(sizes.sum())) + offsets


def _buffers(array):
    """(offsets as numpy, data as memoryview) of a string array."""
    offsets_buffer, data_buffer = array.buffers()[1:3]
    offsets = np.frombuffer(
        offsets_buffer, dtype=np.int32, count=len(array) + 1, offset=array.offset * 4
    )
    return offsets, memoryview(data_buffer) if data_buffer is not None else memoryview(b"")


# --- writing ---------------------------------------------------------------------------


class ColumnarSink:
    """Classifies and writes prepared chunks (the caller's thread, inside the
    chunk's transaction opened by pipeline.write_chunk)."""

    def __init__(self, batch, adapter, rows_sink):
        self.batch = batch
        self.adapter = adapter
        # Shared with the row path's sink (pipeline.DeclarationSink), which takes
        # over if Arrow cannot read the file to its end.
        self.offices = rows_sink.offices
        self.enterprises = rows_sink.enterprises
        self.written_for = rows_sink.written_for  # enterprises of declarations written
        self.given = rows_sink.given  # numbers of the chunks committed
        # One COPY into a table at a time among the batch's writers: two backends
        # filling the same table contend for its extension lock and for the
        # right-most pages of its indexes (ids and numbers grow), which cost
        # PostgreSQL 1.3-1.5 s more CPU per 1 M lines (12.8-13.0 s against
        # 11.3-11.7 s). Held around the statement only, so writers alternate: one
        # copies declarations while the other copies goods lines. Inside a COPY no
        # writer waits for another (chunks sharing a number are never in flight
        # together), so a lock held cannot wait on a writer that wants it.
        self.copying = {Declaration: threading.Lock(), DeclarationLine: threading.Lock()}
        # Ids reserved by one writer at a time, so that a chunk's declarations have
        # consecutive ids: the goods lines' reference check then counts their range
        # instead of looking up each (stq02/references.py).
        self.reserving = threading.Lock()

    def committed(self, chunk) -> None:
        """After the chunk's transaction: its declarations count as given."""
        self.given.add(chunk.prepared.numbers)

    def link(self, prepared: Prepared) -> None:
        """Customs office and enterprise ids of every declaration of the chunk; a
        tax code not known yet becomes an enterprise (committed at once, in the
        caller's thread, so that parallel writers never create the same one).
        Known gap: if the chunk then rolls back, those enterprises stay (without
        declarations until the file is sent again)."""
        # Per distinct office and tax code, not per declaration (a chunk of 16,667
        # declarations names a few offices and at most some thousands of tax
        # codes): the loop per declaration took 0.48 CPU-s per 1 M lines, this
        # 0.27-0.35, of which 0.08 the directory's.
        offices = prepared.header["office_code"].dictionary_encode()
        units = [self.offices.get(code) for code in offices.dictionary.to_pylist()]
        office_of = offices.indices.to_numpy()
        codes = prepared.tax_codes.dictionary_encode()
        code_of = codes.indices.to_numpy()
        distinct, first = np.unique(code_of, return_index=True)  # first declaration of each
        wanted = {}
        for code, name, office in zip(
            codes.dictionary.take(pa.array(distinct)).to_pylist(),
            prepared.names.take(pa.array(first)).to_pylist(),
            office_of[first].tolist(),
            strict=True,
        ):
            wanted[code] = (name, units[office][1])  # as the first declaration gives them
        ids = self.enterprises.resolve(wanted) if wanted else {}
        id_of_code = np.zeros(len(codes.dictionary), dtype=np.int64)
        id_of_code[distinct] = [ids[code] for code in wanted]
        prepared.office_ids = pa.array([unit for unit, _managing in units], pa.int64()).take(
            offices.indices
        )
        prepared.enterprise_ids = id_of_code[code_of]

    def store(self, chunk, header):
        prepared: Prepared = chunk.prepared
        if prepared.enterprise_ids is None:
            self.link(prepared)
        classifier = Classifier(prepared.numbers, batch_id=self.batch.pk)
        split = classifier.split(
            prepared.numbers,
            prepared.versions,
            prepared.digests,
            earlier=self.given.among(prepared.numbers),
        )
        for k in split.repeated:
            self._repeated(chunk, prepared, k, header)
        write = [k for k, _version in split.write]
        versions = [version for _k, version in split.write]
        classifier.retire_replaced()
        written = []
        owners = []  # the enterprise of each declaration written
        if write:
            chosen = np.asarray(write, dtype=np.int64)
            enterprise_ids = prepared.enterprise_ids[chosen]
            office_ids = prepared.office_ids.take(pa.array(chosen))
            if connection.vendor == "postgresql":
                written = self._copy(prepared, write, versions, enterprise_ids, office_ids)
            else:
                written = self._orm(prepared, write, versions, enterprise_ids, office_ids)
            owners = enterprise_ids.tolist()
            self.written_for.update(owners)
        # What follows touches rows that other chunks' writers touch too (summary
        # rows, the batch's counters): in file order, after the chunk before commits.
        if chunk.turn is not None:
            chunk.turn.wait_for_previous()
        if written or classifier.retire:
            # Only big enterprises have summaries: the others' declarations need no
            # aggregate here (read under the writers' lock, after the rows).
            kept = summaries.summarised_among(set(owners)) if written else set()
            added = [pk for pk, owner in zip(written, owners, strict=True) if owner in kept]
            summaries.apply(added_ids=added, retired_ids=classifier.retire)
        return split.new, split.changed, split.unchanged

    def _repeated(self, chunk, prepared, k, header) -> None:
        from integrations.pipeline import reject_repeated

        start, end = int(prepared.starts[k]), int(prepared.ends[k])
        names = prepared.table.column_names
        cells = prepared.table.slice(start, end - start).to_pylist()
        rows = [
            (prepared.first_row + start + offset, [row[name] for name in names])
            for offset, row in enumerate(cells)
        ]
        reject_repeated(chunk, prepared.numbers[k], rows, header)

    # PostgreSQL: Arrow writes the COPY text of both tables.

    def _copy(self, prepared, write, versions, enterprise_ids, office_ids):
        count = len(write)
        sizes = prepared.ends[write] - prepared.starts[write]
        # A first import writes every declaration of a chunk with no rejected row,
        # in order: its arrays go as they are, without a copy taken of each.
        whole = write == list(range(len(prepared.numbers))) and int(sizes.sum()) == len(
            prepared.lines[LINE_FIELDS[0]]
        )
        if whole:
            picked = taken = None
        else:
            picked = pa.array(np.asarray(write, dtype=np.int64))
            taken = pa.array(_runs(prepared.starts[write], sizes))

        def rows_of(array, indices):
            return array if indices is None else array.take(indices)

        now = timezone.now().isoformat()
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            with self.reserving:
                ids = np.array(bulk.reserve_ids(cursor, Declaration, count), dtype=np.int64)
            given = {
                "id": pa.array(ids),
                "number": rows_of(pa.array(prepared.numbers, pa.string()), picked),
                "version": pa.array(versions, pa.int32()),
                "is_current": pa.array([True] * count),
                "enterprise_id": pa.array(enterprise_ids),
                "customs_office_id": office_ids,
                "content_hash": rows_of(pa.array(prepared.digests, pa.string()), picked),
                "source": pa.array([self.adapter.name] * count, pa.string()),
                "source_batch_id": pa.array([self.batch.pk] * count, pa.int64()),
                "created_at": pa.array([now] * count, pa.string()),
            }
            for name in HEADER_FIELDS:
                given[name] = rows_of(prepared.header[name], picked)
            _copy_table(cursor, Declaration, given, lock=self.copying[Declaration])

            line_given = {"declaration_id": pa.array(np.repeat(ids, sizes))}
            for name in LINE_FIELDS:
                line_given[name] = rows_of(prepared.lines[name], taken)
            _copy_table(cursor, DeclarationLine, line_given, lock=self.copying[DeclarationLine])
        return ids.tolist()

    # Other databases (embedded SQLite): the row path's writer.

    def _orm(self, prepared, write, versions, enterprise_ids, office_ids):
        header = {name: prepared.header[name].to_pylist() for name in HEADER_FIELDS}
        lines = {name: prepared.lines[name].to_pylist() for name in LINE_FIELDS}
        tax_codes = prepared.tax_codes.to_pylist()
        enterprise_ids, office_ids = enterprise_ids.tolist(), office_ids.to_pylist()
        records = []
        for n, k in enumerate(write):
            start, end = int(prepared.starts[k]), int(prepared.ends[k])
            record = DeclarationRecord(
                number=prepared.numbers[k],
                version=versions[n],
                tax_code=tax_codes[k],
                header={name: header[name][k] for name in HEADER_FIELDS},
                lines=[{name: lines[name][i] for name in LINE_FIELDS} for i in range(start, end)],
                enterprise_id=enterprise_ids[n],
                customs_office_id=office_ids[n],
                content_hash=prepared.digests[k],
            )
            records.append(record)
        return declaration_services.orm_write(
            records, batch_id=self.batch.pk, source=self.adapter.name
        )


def _copy_table(cursor, model, given: dict, *, lock) -> None:
    """COPY every column of ``model``: ``given`` arrays (text "" meaning "not given"
    becomes the field's default, or NULL), every other column its default; the
    statement runs while ``lock`` is held (its text is written before). The
    declarations' ids are given (their lines refer to them); goods lines have no
    key column of their own."""
    columns = model._meta.concrete_fields
    defaults = bulk.field_defaults(model)
    count = len(next(iter(given.values())))
    arrays = []
    for f in columns:
        array = given.get(f.attname)
        default = defaults.get(f.attname)
        if array is None:
            array = pa.array([default] * count)
        elif pa.types.is_string(array.type) and default != "":
            if isinstance(default, bool):
                default = "1" if default else "0"
            filler = pa.scalar(None if default is None else str(default), pa.string())
            array = pc.if_else(pc.equal(array, ""), filler, array)
        if pa.types.is_string(array.type):
            array = _copy_escaped(array)
        arrays.append(array)
    table = pa.Table.from_arrays(arrays, names=[f.column for f in columns])
    sink = pa.BufferOutputStream()
    # COPY's text format, not CSV: Arrow quotes every string cell in CSV, and
    # PostgreSQL reads quoted cells slower (1.1 s more per 1 M goods lines).
    pcsv.write_csv(
        table,
        sink,
        write_options=pcsv.WriteOptions(
            include_header=False, delimiter="\t", quoting_style="none", null_string="\\N"
        ),
    )
    buffer = _Reader(sink.getvalue())
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    with lock:
        cursor.copy_expert(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN",
            buffer,
            size=1 << 20,
        )


# Characters COPY's text format gives a meaning to, with their escapes. The double
# quote means nothing to COPY but Arrow's writer refuses it unquoted; an octal
# escape stands for any byte.
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"), ('"', "\\042"))
_COPY_SPECIAL = tuple(old.encode() for old, _new in _COPY_ESCAPES)


def _copy_escaped(array):
    """A string column in COPY's text format. Most columns hold none of the
    characters to escape (codes, numbers, dates): a byte search of the column's
    data settles it without a pass of Arrow's kernels per character."""
    data = array.buffers()[2]
    if data is None:
        return array
    raw = data.to_pybytes()
    if not any(special in raw for special in _COPY_SPECIAL):
        return array
    for old, new in _COPY_ESCAPES:
        array = pc.replace_substring(array, old, new)
    return array


class _Reader:
    """A file-like view of an Arrow buffer for psycopg2's copy_expert."""

    def __init__(self, buffer):
        self.view = memoryview(buffer)
        self.position = 0

    def read(self, size=-1):
        if size is None or size < 0:
            size = len(self.view) - self.position
        start = self.position
        self.position = min(len(self.view), start + size)
        return self.view[start : self.position].tobytes()

    readline = read


# --- running a batch -------------------------------------------------------------------


_END = object()


# How long jemalloc keeps the pages of freed buffers before it hands them back:
# long enough for the next chunk to reuse them. With 0 (handed back at once) every
# chunk's buffers were new pages to the kernel: 930 k page faults and 2.5 s of
# system time per 1 M lines, against 390 k and 1.3 s, for some 60 MiB more.
JEMALLOC_DECAY_MS = 1000


def _release_memory_promptly() -> None:
    """Arrow's buffers from jemalloc, handed back to the system soon after they are
    freed: chunks come and go, and with mimalloc (the wheel's default) or the system
    allocator the process kept a third more memory (measured at 1 M lines)."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc keeps its default
        return
    pa.set_memory_pool(pool)
    pa.jemalloc_set_decay_ms(JEMALLOC_DECAY_MS)


def _trim_heap() -> None:
    """Hand the C heap's free pages back to the system after each chunk. Python's
    lists and strings of a chunk come and go in glibc's heaps, which kept them: at
    5 M lines the process grew from 690 to 810 MiB (median) between the first and
    the fourth million lines without this, 640 to 695 with it; the peak went
    from 852 to 780 MiB. (Not glibc: no such call, nothing done.)"""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


class Reading:
    """The producer's thread: reads and checks the file chunk by chunk and hands
    each chunk over, at most one ahead of the caller's thread."""

    def __init__(self, *, batch, adapter, plan, sink, header, delimiter, quoted, chunk_rows):
        _release_memory_promptly()
        self.header = header
        self.delimiter = delimiter
        self.reader = ColumnarReader(
            path=batch.file_path,
            header=header,
            plan=plan,
            adapter=adapter,
            sink=sink,
            delimiter=delimiter,
            quoted=quoted,
            chunk_rows=chunk_rows,
        )
        self.handoff: queue.Queue = queue.Queue(maxsize=1)
        self.stop = threading.Event()
        self.language = translation.get_language()
        self.thread = threading.Thread(
            target=self._produce, name=f"import-batch-{batch.pk}", daemon=True
        )
        self.thread.start()

    def _offer(self, item) -> bool:
        """Hand over one item; False once the caller's thread has stopped taking."""
        while not self.stop.is_set():
            try:
                self.handoff.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self):
        translation.activate(self.language)
        try:
            for prepared in self.reader.chunks():
                if not self._offer(prepared):
                    return
            self._offer(_END)
        except BaseException as exc:  # noqa: BLE001 (handed to the caller's thread)
            self._offer(exc)

    def chunks(self):
        while True:
            item = self.handoff.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def cancel(self) -> None:
        """Stop the thread (it ends at its next hand-over) and wait for it."""
        self.stop.set()
        self.thread.join()


def read_ahead(*, batch, adapter, sink, chunk_rows) -> Reading | None:
    """Start reading while the file is inspected: the inspection reads the whole
    file before anything is stored (0.3 s for 245 MB), and until it is done the
    database has nothing to do. Only the first line is read here; ``None`` when
    the header cannot be read or used, which the inspection then explains. Chunks
    wait in the producer's thread until :func:`run` takes them, and are dropped
    with it (``Reading.cancel``) if the file is refused. Whether a cell may hold
    a newline is only known after the inspection, so Arrow is told it may."""
    if not supported(adapter, batch):
        return None
    try:
        delimiter, header = readers.csv_header(batch.file_path)
        plan = adapter.plan(header)
    except (OSError, UnicodeDecodeError, csv.Error, BadValue):
        return None
    return Reading(
        batch=batch,
        adapter=adapter,
        plan=plan,
        sink=sink,
        header=header,
        delimiter=delimiter,
        quoted=True,
        chunk_rows=chunk_rows,
    )


def run(*, batch, adapter, plan, info, sink, chunk_rows, progress, write_chunk, reading=None):
    """Import the batch's file; raises Unreadable (after committing what came
    before) when Arrow cannot read on. ``sink`` is the row path's DeclarationSink:
    its rejections, offices and ``written_for`` serve this path too, so that the
    row path can carry on where this one stopped. ``reading``: from
    :func:`read_ahead`, used if it read the header the inspection found."""
    if reading is not None and (reading.header, reading.delimiter) != (
        info.header,
        info.delimiter,
    ):
        reading.cancel()
        reading = None
    if reading is None:
        reading = Reading(
            batch=batch,
            adapter=adapter,
            plan=plan,
            sink=sink,
            header=info.header,
            delimiter=info.delimiter,
            quoted=info.quoted,
            chunk_rows=chunk_rows,
        )
    writer = ColumnarSink(batch, adapter, sink)
    chunks = reading.chunks

    def after_chunk():
        """In the caller's thread, once a chunk is committed."""
        _trim_heap()
        if progress:
            progress(batch)

    try:
        writers = _writers()
        if writers == 1:
            for prepared in chunks():
                writer.link(prepared)
                write_chunk(batch, writer, _chunk_of(prepared), info.header)
                after_chunk()
        else:
            _write_in_parallel(
                chunks(), writers, writer, batch, info.header, write_chunk, after_chunk
            )
    finally:
        reading.cancel()


def _writers() -> int:
    """How many chunks are written at the same time. Writers need connections of
    their own, so only on PostgreSQL and outside a transaction (a test's, say):
    rows the caller has not committed would be invisible to them."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, settings.INGEST_WRITERS)


class Turn:
    """A chunk's place in the commit order: its writer copies rows at the same
    time as the writer of the chunk before, then waits for that one to commit
    before it touches shared rows and commits itself. So chunks commit in file
    order and ``rows_done`` only grows; if a chunk fails, the ones after it roll
    back."""

    def __init__(self, previous: "Turn | None"):
        self.previous = previous
        self.finished = threading.Event()
        self.failed = False

    def wait_for_previous(self) -> None:
        if self.previous is None:
            return
        self.previous.finished.wait()
        if self.previous.failed:
            raise ChunkAbandoned(_("an earlier chunk of the file was not stored"))

    def end(self, *, failed: bool) -> None:
        self.failed = failed or (self.previous is not None and self.previous.failed)
        self.finished.set()
        self.previous = None  # let the chain be collected


class ChunkAbandoned(Exception):
    """A chunk rolled back because the chunk before it failed."""


@contextlib.contextmanager
def _kept_connections():
    """Yields ``keep()``, which a writer thread calls before each chunk: its
    connection then serves every chunk it writes and is closed on leaving, by the
    thread that entered (after the writers' pool, entered later, has stopped).
    A connection per chunk made PostgreSQL start a backend for each, which built
    its caches of the tables, their indexes and the reference triggers again
    (0.8 CPU-s per 1 M lines)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    kept = {}

    def keep():
        own = connections[DEFAULT_DB_ALIAS]
        if id(own) not in kept:
            own.inc_thread_sharing()  # to be closed by another thread
            kept[id(own)] = own

    try:
        yield keep
    finally:
        for own in kept.values():
            own.close()
            own.dec_thread_sharing()


def _write_in_parallel(prepared_chunks, writers, sink, batch, header, write_chunk, after_chunk):
    """Chunks go to ``writers`` threads, each with its own database connection.
    A chunk that shares a declaration number with a chunk still being written
    waits until that one is committed, since how it is classified depends on it."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    language = translation.get_language()  # the batch's: reasons are written in it

    def write(chunk, turn, keep_connection):
        translation.activate(language)
        keep_connection()
        try:
            write_chunk(batch, sink, chunk, header)
        except BaseException:
            turn.end(failed=True)
            raise
        else:
            turn.end(failed=False)

    in_flight: deque = deque()  # (future, numbers)

    def finish_oldest():
        future, _seen = in_flight.popleft()
        future.result()
        after_chunk()

    previous = None
    error = None
    chunks = iter(prepared_chunks)
    with (
        _kept_connections() as keep_connection,
        ThreadPoolExecutor(max_workers=writers, thread_name_prefix="import-writer") as pool,
    ):
        try:
            while True:
                # A writer is free before the next chunk is taken, so that only the
                # chunks being written, one handed over and one being read are held.
                while len(in_flight) >= writers:
                    finish_oldest()
                prepared = next(chunks, None)
                if prepared is None:
                    break
                numbers = set(prepared.numbers)
                while in_flight and any(numbers & seen for _f, seen in in_flight):
                    finish_oldest()
                sink.link(prepared)
                chunk = _chunk_of(prepared)
                chunk.turn = previous = Turn(previous)
                future = pool.submit(write, chunk, chunk.turn, keep_connection)
                in_flight.append((future, numbers))
            while in_flight:
                finish_oldest()
        except Exception as exc:  # noqa: BLE001 (raised below, once the writers stopped)
            error = exc
            for future, _seen in in_flight:  # chunks before the failure still commit
                with contextlib.suppress(Exception):
                    future.result()
    if error is not None:
        raise error


def _chunk_of(prepared: Prepared):
    from integrations.pipeline import Chunk

    chunk = Chunk(rejections=list(prepared.rejections), rejected=prepared.rejected)
    chunk.rows = prepared.rows
    chunk.last_row = prepared.last_row
    chunk.prepared = prepared
    chunk.turn = None
    return chunk

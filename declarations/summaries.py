"""The enterprise summaries (``EnterpriseMonth``, ``EnterprisePartnerMonth``,
``EnterpriseGoodsMonth``): figures of current declaration versions per enterprise
and month, kept up to date by the writers of declarations.

Only big enterprises are summarised (``SummarisedEnterprise``: those with at least
``ENTERPRISE_SUMMARY_THRESHOLD`` current declarations, promoted by :func:`promote`
after each import batch and every night). For them the page would otherwise add up
tens of thousands of declarations; for the others the same figures are aggregated
from the declarations when the page asks (:func:`figures`), which is fast for a few
thousand rows. Keeping summaries for every enterprise cost as many summary rows as
declarations (most enterprises declare a few times a month) and made an import
several times slower.

Writers call, in their own transaction, once the rows are written::

    summaries.apply(added_ids=[...], retired_ids=[...])

``added_ids`` are declarations that became current (new, or a new version),
``retired_ids`` those that stopped being current (the version an amendment
replaced). Their figures are aggregated by the database and added to (or taken
from) the summary rows with ``INSERT … ON CONFLICT (key) DO UPDATE SET n = n +
excluded.n``, which PostgreSQL and SQLite both understand; rows that fall to zero
are deleted.

:func:`rebuild` recomputes the summaries of some or all enterprises from the base
tables (the demo generator at its end, ``manage.py rebuild_summaries``, tests), and
puts each outcome's enterprise back in line with its declaration's.

The SQL text is built from model metadata and ORM-compiled queries only; values
travel as parameters.
"""
# ruff: noqa: S608

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import Count, DateField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncMonth

NO_CHANNEL = 0
SUMMARISED = {"enterprise__summarised__isnull": False}  # lookups on Declaration


def _tax(prefix: str = ""):
    return (
        F(f"{prefix}import_duty")
        + F(f"{prefix}vat")
        + F(f"{prefix}special_consumption_tax")
        + F(f"{prefix}environmental_tax")
    )


def _month(field: str):
    return Cast(TruncMonth(field), DateField())


@dataclass(frozen=True)
class Summary:
    """One summary table: its model, key columns and additive value columns, and
    how each is computed from a Declaration queryset (``keys`` and ``values`` map
    a column to its expression)."""

    model_name: str
    keys: dict
    values: dict
    count: str  # the value column whose zero means the row is empty
    per_line: bool = False  # one row per goods line (joined from the declarations)

    def model(self, apps=global_apps):
        return apps.get_model("declarations", self.model_name)


MONTHS = Summary(
    "EnterpriseMonth",
    keys={
        "enterprise_id": F("enterprise_id"),
        "month": _month("registered_on"),
        "direction": F("direction"),
        "channel": Coalesce("channel", Value(NO_CHANNEL)),
        "partner_country": F("partner_country"),
    },
    values={"declarations": Count("pk"), "customs_value": Sum("customs_value"), "tax": Sum(_tax())},
    count="declarations",
)
PARTNERS = Summary(
    "EnterprisePartnerMonth",
    keys={
        "enterprise_id": F("enterprise_id"),
        "month": _month("registered_on"),
        "partner_name": F("partner_name"),
        "partner_country": F("partner_country"),
    },
    values={
        "declarations": Count("pk"),
        "customs_value": Sum("customs_value"),
        "related": Count("pk", filter=Q(related_party=True)),
    },
    count="declarations",
)
GOODS = Summary(
    "EnterpriseGoodsMonth",
    keys={
        "enterprise_id": F("enterprise_id"),
        "month": _month("registered_on"),
        "direction": F("direction"),
        "hs_code": F("lines__hs_code"),
    },
    values={
        "lines": Count("lines__line_no"),
        "customs_value": Sum("lines__customs_value"),
        "tax": Sum(_tax("lines__")),
    },
    count="lines",
    per_line=True,
)
SUMMARIES = (MONTHS, PARTNERS, GOODS)


def _aggregates(summary: Summary, where: dict, apps):
    """The summary's rows for the declarations that match ``where`` (lookups on
    Declaration), as a queryset whose columns are named ``k_<key>`` and ``v_<value>``."""
    Declaration = apps.get_model("declarations", "Declaration")
    if summary.per_line:
        # Driven from the declarations and joined to their lines, so that the planner
        # knows how few declarations a batch has (from the lines' side it merged
        # against every declaration of the table).
        where = {**where, "lines__line_no__isnull": False}
    keyed = Declaration.objects.filter(**where).annotate(
        **{f"k_{key}": expression for key, expression in summary.keys.items()}
    )
    totals = {f"v_{value}": expression for value, expression in summary.values.items()}
    return keyed.values(*(f"k_{key}" for key in summary.keys)).annotate(**totals).order_by()


def _upsert_select(summary: Summary, where: dict, *, sign: int, apps) -> None:
    """Add ``sign`` times the aggregates of the declarations matching ``where`` to the
    summary, in one statement (INSERT … SELECT: no rows travel through Python)."""
    sql, params = _aggregates(summary, where, apps).query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(summary.model(apps)._meta.db_table)
    factor = "" if sign == 1 else "-1 * "
    selected = [f"agg.k_{key}" for key in summary.keys]
    selected += [f"{factor}agg.v_{value}" for value in summary.values]
    columns = ", ".join(qn(column) for column in (*summary.keys, *summary.values))
    keys = ", ".join(qn(key) for key in summary.keys)
    updates = ", ".join(
        f"{qn(value)} = {table}.{qn(value)} + excluded.{qn(value)}" for value in summary.values
    )
    order = ", ".join(f"agg.k_{key}" for key in summary.keys)
    # "WHERE 1 = 1": SQLite would read ON CONFLICT as a join constraint without it.
    # Rows in key order: two writers lock summary rows in the same order, no deadlock.
    statement = (
        f"INSERT INTO {table} ({columns}) "
        f"SELECT {', '.join(selected)} FROM ({sql}) agg WHERE 1 = 1 ORDER BY {order} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )
    _execute(summary, statement, params, shrinks=sign < 0, apps=apps)


def _execute(summary: Summary, statement: str, params, *, shrinks: bool, apps) -> None:
    """Run an upsert; when it takes figures out, delete the rows it brought to zero
    (found through RETURNING: no index on the counts to maintain)."""
    model = summary.model(apps)
    with connection.cursor() as cursor:
        if shrinks and connection.features.can_return_rows_from_bulk_insert:
            qn = connection.ops.quote_name
            table = qn(model._meta.db_table)
            cursor.execute(f"{statement} RETURNING {table}.id, {table}.{qn(summary.count)}", params)
            empty = [pk for pk, count in cursor.fetchall() if count == 0]
        else:
            cursor.execute(statement, params)
            empty = []
    for start in range(0, len(empty), 900):
        model.objects.filter(pk__in=empty[start : start + 900]).delete()
    if shrinks and not connection.features.can_return_rows_from_bulk_insert:
        # Old SQLite: every empty row (embedded databases are small).
        model.objects.filter(**{summary.count: 0}).delete()


def _batches(ids: Sequence[int]):
    # SQLite takes at most 999 parameters in a statement (older builds).
    size = 900 if connection.vendor == "sqlite" else 20_000
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def add(declaration_ids: Iterable[int], *, sign: int = 1, apps=global_apps) -> None:
    """Add the figures of ``declaration_ids`` (sign=1) or take them out (sign=-1).
    The declarations' rows must be written; whether they are current is not read."""
    if sign not in (1, -1):
        raise ValueError("sign is 1 or -1")
    ids = sorted(set(declaration_ids))
    hold_for_writing()
    for batch in _batches(ids):
        for summary in SUMMARIES:
            _upsert_select(summary, {"pk__in": batch, **SUMMARISED}, sign=sign, apps=apps)


def apply(*, added_ids: Iterable[int] = (), retired_ids: Iterable[int] = ()) -> None:
    """Declarations ``added_ids`` became current and ``retired_ids`` stopped being
    current. Call in the writer's transaction, after the rows (lines and outcomes
    included) are written."""
    retired = list(retired_ids)
    added = list(added_ids)
    if retired:
        add(retired, sign=-1)
    if added:
        add(added, sign=1)
        # Outcomes that came with the new versions (or moved onto them) get their
        # enterprise here, whichever way the writer stored them.
        Outcome = global_apps.get_model("declarations", "Outcome")
        for batch in _batches(sorted(set(added))):
            fill_outcome_enterprises(Outcome.objects.filter(declaration_id__in=batch))


def rebuild(*, enterprise_ids: Iterable[int] | None = None, apps=global_apps) -> None:
    """Recompute the summaries of ``enterprise_ids`` (None: every summarised
    enterprise) from the current declarations and their lines, and set each
    outcome's enterprise to its declaration's. Run in a transaction (it deletes,
    then inserts)."""
    _hold_alone()
    Outcome = apps.get_model("declarations", "Outcome")
    ids = None if enterprise_ids is None else sorted(set(enterprise_ids))
    batches = [None] if ids is None else list(_batches(ids))
    for batch in batches:
        where = {"is_current": True, **SUMMARISED}
        for summary in SUMMARIES:
            rows = summary.model(apps).objects.all()
            if batch is not None:
                rows = rows.filter(enterprise_id__in=batch)
            rows.delete()
        if batch is not None:
            where["enterprise_id__in"] = batch
        for summary in SUMMARIES:
            _upsert_select(summary, where, sign=1, apps=apps)
        if batch is None:
            fill_outcome_enterprises(apps=apps)
        else:
            # Two reads, each through one index: the outcomes of these enterprises'
            # declarations, and those that name one of these enterprises.
            fill_outcome_enterprises(
                Outcome.objects.filter(declaration__enterprise_id__in=batch), apps=apps
            )
            fill_outcome_enterprises(Outcome.objects.filter(enterprise_id__in=batch), apps=apps)


def fill_outcome_enterprises(outcomes=None, *, apps=global_apps) -> int:
    """Set ``Outcome.enterprise`` to the enterprise of the outcome's declaration
    where it differs (None without a declaration). Returns how many were changed."""
    Declaration = apps.get_model("declarations", "Declaration")
    Outcome = apps.get_model("declarations", "Outcome")
    outcomes = Outcome.objects.all() if outcomes is None else outcomes
    owner = Declaration.objects.filter(pk=OuterRef("declaration_id")).values("enterprise_id")[:1]
    changed = (
        outcomes.filter(declaration__isnull=False)
        .exclude(enterprise_id=Subquery(owner))
        .update(enterprise_id=Subquery(owner))
    )
    changed += outcomes.filter(declaration__isnull=True, enterprise__isnull=False).update(
        enterprise_id=None
    )
    return changed


# --- Which enterprises are summarised -------------------------------------------------


# A writer reads which of its enterprises are summarised and adds its declarations'
# figures to theirs; a promotion or a rebuild computes summaries from the base tables.
# They must not pass each other, or a writer's declarations would be counted in
# neither (or twice). Writers share one PostgreSQL advisory lock until they commit;
# promotions and rebuilds take it alone, so each waits for the other's commit. One
# lock per transaction: a share lock on each enterprise row of a chunk (5,000 rows per
# chunk in bench/ingest.py) cost 0.7 s of a 1 M-line import. SQLite runs one writing
# transaction at a time and needs neither.
_LOCK_KEY = int.from_bytes(b"stq02sum", "big")


def hold_for_writing() -> None:
    """Call in a writer's transaction, after its rows are written and before it
    reads which enterprises are summarised; held until the end of the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_LOCK_KEY])


def _hold_alone() -> None:
    """The same lock, alone: no writer is between its rows and its commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def summarised_among(enterprise_ids: Iterable[int]) -> set[int]:
    """Which of these enterprises are summarised, read under :func:`hold_for_writing`
    (call it in the writer's transaction, after its rows are written)."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return set()
    hold_for_writing()
    Summarised = global_apps.get_model("declarations", "SummarisedEnterprise")
    if connection.vendor == "postgresql":
        # One text parameter: Django builds an IN list of a chunk's thousands of
        # ids in Python (0.8 s of the GIL per 1 M lines), psycopg2 a list item by item.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT enterprise_id FROM {Summarised._meta.db_table} "
                "WHERE enterprise_id = ANY(string_to_array(%s, ',')::bigint[])",
                [",".join(map(str, ids))],
            )
            return {row[0] for row in cursor.fetchall()}
    found = set()
    for batch in _batches(ids):
        found.update(
            Summarised.objects.filter(enterprise_id__in=batch).values_list(
                "enterprise_id", flat=True
            )
        )
    return found


def is_summarised(enterprise) -> bool:
    """Read once per enterprise object: Django keeps the reverse one-to-one
    (present or missing) on the instance, so a page's panels ask the database once."""
    try:
        enterprise.summarised  # noqa: B018 (the lookup is the point)
    except ObjectDoesNotExist:
        return False
    return True


def promote(
    *, enterprise_ids: Iterable[int] | None = None, threshold: int | None = None, apps=global_apps
) -> list[int]:
    """Summarise the enterprises (among ``enterprise_ids``, default all) that have
    reached ``threshold`` current declarations (default ENTERPRISE_SUMMARY_THRESHOLD):
    writers are held off (:func:`hold_for_writing`), their summaries built from the base tables and the mark
    set, in one transaction. Returns their ids. An enterprise stays summarised once
    it is. An import batch passes the enterprises it wrote: counting every
    enterprise's declarations after each small upload would read the whole table."""
    if threshold is None:
        threshold = settings.ENTERPRISE_SUMMARY_THRESHOLD
    Declaration = apps.get_model("declarations", "Declaration")
    Summarised = apps.get_model("declarations", "SummarisedEnterprise")
    candidates = [None] if enterprise_ids is None else list(_batches(sorted(set(enterprise_ids))))
    big = []
    for batch in candidates:
        # Counted from the declarations alone: joined with the enterprises, PostgreSQL
        # walked every enterprise for each batch (1.1 s after a 1 M-line import).
        current = Declaration.objects.filter(is_current=True).exclude(
            enterprise_id__in=Summarised.objects.values("enterprise_id")
        )
        if batch is not None:
            current = current.filter(enterprise_id__in=batch)
        big += (
            current.order_by()
            .values("enterprise_id")
            .annotate(n=Count("pk"))
            .filter(n__gte=threshold)
            .values_list("enterprise_id", flat=True)
        )
    if not big:
        return []
    with transaction.atomic():
        _hold_alone()
        Summarised.objects.bulk_create(
            [Summarised(enterprise_id=pk) for pk in big], ignore_conflicts=True
        )
        rebuild(enterprise_ids=big, apps=apps)
    return big


def figures(summary: Summary, *, enterprise, since) -> list[dict]:
    """The summary's rows of one enterprise from ``since`` (a first day of a month),
    keyed by the summary's column names: read from its table for a summarised
    enterprise, aggregated from the declarations for any other."""
    keys = [key for key in summary.keys if key != "enterprise_id"]
    if is_summarised(enterprise):
        return list(
            summary.model()
            .objects.filter(enterprise_id=enterprise.pk, month__gte=since)
            .values(*keys, *summary.values)
        )
    rows = _aggregates(
        summary,
        {"enterprise_id": enterprise.pk, "is_current": True, "registered_on__gte": since},
        global_apps,
    )
    return [
        {
            **{key: row[f"k_{key}"] for key in keys},
            **{value: row[f"v_{value}"] or 0 for value in summary.values},
        }
        for row in rows
    ]

"""Training and test frames read from the database.

A declaration frame has one row per goods line with the canonical columns of
``risk.learning`` (importer, declarant, seller, office, HS6, origin, tax rate,
mass, value…). Labels come from ``declarations.Outcome`` rows dated up to a
cut-off only, so a model never learns from an outcome it could not have known.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.db.models import Count, Q, Sum

from declarations.models import Declaration, DeclarationLine, Outcome
from enterprises.models import Enterprise
from risk import features

# Outcomes a model learns from. KCS rows are inspection results of the public data set.
LEARNING_SOURCES = (
    Outcome.Source.CLEARANCE,
    Outcome.Source.VCIS,
    Outcome.Source.AUDIT,
    Outcome.Source.KCS,
)

# The KCS adapter keeps the columns VNACCS has no field for in the line
# description ("process B; use 21; payment 11; origin indicator G; courier X").
_KCS_NOTES = {
    "process": "process_type",
    "use": "import_use",
    "payment": "payment_type",
    "origin indicator": "origin_indicator",
    "courier": "courier",
}


def _kcs_notes(description: str) -> dict:
    found = {}
    for part in (description or "").split("; "):
        key, _space, value = part.rpartition(" ")
        if key in _KCS_NOTES:
            found[_KCS_NOTES[key]] = value
    return found


def declaration_frame(declarations) -> pd.DataFrame:
    """One row per goods line of ``declarations`` (a queryset), canonical columns."""
    rows = DeclarationLine.objects.filter(declaration__in=declarations).values_list(
        "declaration_id",
        "declaration__number",
        "declaration__registered_on",
        "declaration__office_code",
        "declaration__enterprise__tax_code",
        "declaration__declarant_code",
        "declaration__partner_name",
        "declaration__origin_country",
        "declaration__export_country",
        "declaration__transport_mode",
        "declaration__type_code",
        "declaration__source",
        "hs_code",
        "origin_country",
        "import_duty_rate",
        "quantity",
        "unit",
        "customs_value",
        "preference_code",
        "description",
    )
    records = []
    for row in rows.iterator(chunk_size=5000):
        (
            declaration_id,
            number,
            registered_on,
            office,
            importer,
            declarant,
            seller,
            declaration_origin,
            departure,
            transport,
            type_code,
            source,
            hs_code,
            origin,
            rate,
            quantity,
            unit,
            value,
            preference,
            description,
        ) = row
        record = {
            "declaration_id": declaration_id,
            "number": number,
            "date": registered_on,
            "office": office,
            "importer": importer,
            "declarant": declarant,
            "seller": seller,
            "hs6": (hs_code or "")[:6],
            "origin": origin or declaration_origin,
            "departure": departure,
            "transport_mode": transport,
            "import_type": type_code,
            "tax_type": preference,
            "tax_rate": float(rate) if rate is not None else np.nan,
            "mass_kg": float(quantity) if unit == "KGM" else np.nan,
            "value": float(value or 0),
            "process_type": "",
            "import_use": "",
            "payment_type": "",
            "origin_indicator": "",
            "courier": "",
        }
        if source == "kcs":
            record.update(_kcs_notes(description))
        records.append(record)
    return pd.DataFrame.from_records(records)


def declaration_labels(numbers, *, decided_until: dt.date | None = None) -> pd.DataFrame:
    """Per declaration number: label (a violation found) and revenue, from outcomes
    dated up to ``decided_until`` (all outcomes when None)."""
    outcomes = Outcome.objects.filter(source__in=LEARNING_SOURCES, declaration_number__in=numbers)
    if decided_until is not None:
        outcomes = outcomes.filter(decided_on__lte=decided_until)
    frame = pd.DataFrame.from_records(
        outcomes.values_list("declaration_number", "violation_found", "additional_tax", "fine"),
        columns=["number", "found", "tax", "fine"],
    )
    if frame.empty:
        return pd.DataFrame(columns=["label", "revenue"])
    frame["revenue"] = frame["tax"].astype(float) + frame["fine"].astype(float)
    frame["found"] = frame["found"].astype(int)
    grouped = frame.groupby("number").agg(label=("found", "max"), revenue=("revenue", "sum"))
    return grouped


def _batched_numbers(queryset, size=20000):
    numbers = list(queryset.values_list("number", flat=True))
    for start in range(0, len(numbers), size):
        yield numbers[start : start + size]


def labelled_declarations(
    *, registered_from: dt.date | None, registered_until: dt.date, decided_until: dt.date | None
) -> pd.DataFrame:
    """Goods lines of the current declarations registered in the period, with the
    label and revenue of their declaration from outcomes decided up to
    ``decided_until``; declarations without such an outcome get label NaN."""
    declarations = Declaration.objects.filter(
        is_current=True, direction=Declaration.Direction.IMPORT, registered_on__lte=registered_until
    )
    if registered_from:
        declarations = declarations.filter(registered_on__gte=registered_from)
    frame = declaration_frame(declarations)
    if frame.empty:
        return frame
    labels = pd.concat(
        [
            declaration_labels(batch, decided_until=decided_until)
            for batch in _batched_numbers(declarations)
        ]
    )
    frame = frame.join(labels, on="number")
    return frame


# -- enterprises -------------------------------------------------------------------
def enterprise_features(*, as_of: dt.date) -> pd.DataFrame:
    """The features of every enterprise as of a date (index: enterprise id)."""
    features.ensure_norms(as_of=as_of)
    ids = Enterprise.objects.order_by("pk").values_list("pk", flat=True)
    if not ids.exists():
        return pd.DataFrame(columns=features.FEATURE_NAMES)
    computed = features.compute(as_of=as_of, first_id=ids.first(), last_id=ids.last())
    frame = pd.DataFrame.from_dict(computed, orient="index")
    return frame.reindex(columns=features.FEATURE_NAMES).astype(float)


def enterprise_labels(*, decided_from: dt.date, decided_until: dt.date) -> pd.DataFrame:
    """Per enterprise id: a violation found by an outcome decided in the period, and
    the revenue (additional tax + fines) of those outcomes."""
    rows = (
        Outcome.objects.filter(
            source__in=LEARNING_SOURCES,
            decided_on__gte=decided_from,
            decided_on__lte=decided_until,
            declaration__isnull=False,
        )
        .values("declaration__enterprise_id")
        .annotate(
            found=Count("pk", filter=Q(violation_found=True)),
            tax=Sum("additional_tax"),
            fine=Sum("fine"),
        )
        .values_list("declaration__enterprise_id", "found", "tax", "fine")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["enterprise_id", "found", "tax", "fine"])
    if frame.empty:
        return pd.DataFrame(columns=["label", "revenue"])
    frame = frame.set_index("enterprise_id")
    frame["label"] = (frame["found"].astype(float) > 0).astype(int)
    frame["revenue"] = frame["tax"].astype(float) + frame["fine"].astype(float)
    return frame[["label", "revenue"]]

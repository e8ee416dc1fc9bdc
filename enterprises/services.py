"""Writing enterprises and the facts other systems report about them."""

from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils import timezone

from enterprises.models import Enterprise, RegistryChange, TaxDebt, Violation
from stq02 import bulk
from stq02.models import Province


class EnterpriseDirectory:
    """tax code -> enterprise id, creating a minimal enterprise for a code not yet
    known (name from the file if it gives one, else the code). Bounded cache, so
    memory does not grow with the size of a file."""

    def __init__(self, *, limit: int = 200_000):
        self.ids: dict[str, int] = {}
        self.limit = limit

    def resolve(self, wanted: dict[str, tuple[str, int | None]]) -> dict[str, int]:
        """``wanted``: tax code -> (name, managing unit id for a new enterprise)."""
        missing = [code for code in wanted if code not in self.ids]
        if missing:
            if len(self.ids) + len(missing) > self.limit:
                self.ids.clear()
                missing = list(wanted)
            found = dict(
                Enterprise.objects.filter(tax_code__in=missing).values_list("tax_code", "pk")
            )
            to_create = [code for code in missing if code not in found]
            heads = [code for code in to_create if "-" not in code]
            branches = [code for code in to_create if "-" in code]
            if heads:
                _create_minimal(
                    [(code, wanted[code][0] or code, wanted[code][1], None) for code in heads]
                )
            if branches:  # after the heads, so that a head new in the same file is found
                head_ids = dict(
                    Enterprise.objects.filter(
                        tax_code__in={code[:10] for code in branches}
                    ).values_list("tax_code", "pk")
                )
                _create_minimal(
                    [
                        (code, wanted[code][0] or code, wanted[code][1], head_ids.get(code[:10]))
                        for code in branches
                    ]
                )
            if to_create:
                found.update(
                    Enterprise.objects.filter(tax_code__in=to_create).values_list("tax_code", "pk")
                )
            self.ids.update(found)
        return {code: self.ids[code] for code in wanted}


_GIVEN = ("tax_code", "name", "managing_unit_id", "head_id")


def _create_minimal(rows: list[tuple]) -> None:
    """Enterprises known only by a tax code, a name, a managing unit and a head
    (``_GIVEN``, in that order); a tax code another writer created meanwhile keeps
    its enterprise. Like bulk_create, no history row is written for them."""
    rows = [(code, name[:300], unit_id, head_id) for code, name, unit_id, head_id in rows]
    if connection.vendor != "postgresql":
        Enterprise.objects.bulk_create(
            [Enterprise(**dict(zip(_GIVEN, row, strict=True))) for row in rows],
            ignore_conflicts=True,
            batch_size=1000,
        )
        return
    # One INSERT from arrays: for the 5,000 new enterprises of a first import,
    # bulk_create spent 0.5 s of Python building instances and their SQL (the
    # ingest's first chunk waits for it), the database 0.03 s.
    quote = connection.ops.quote_name
    now = timezone.now()
    defaults = bulk.field_defaults(Enterprise)
    columns, values, params = [], [], []
    for f in bulk.columns_but_key(Enterprise):
        columns.append(quote(f.column))
        if f.attname in _GIVEN:
            values.append(f"given.{f.attname}")
            continue
        auto_now = isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)
        value = now if auto_now else defaults[f.attname]
        values.append(f"%s::{f.db_type(connection)}")
        params.append(f.get_db_prep_save(value, connection))
    arrays = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(  # names from the model, every value a parameter
            f"INSERT INTO {quote(Enterprise._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM unnest(%s::text[], %s::text[], %s::bigint[], "
            f"%s::bigint[]) AS given({', '.join(_GIVEN)}) ON CONFLICT (tax_code) DO NOTHING",
            [*params, *arrays],
        )


@dataclass
class WriteResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    conflicts: list = field(default_factory=list)


REGISTRY_TRACKED = ("name", "address", "legal_representative", "status", "business_lines")
REGISTRY_OTHER = ("name_en", "founded_on", "is_aeo", "compliance_level", "risk_level")


def _province_ids(codes) -> dict[str, int]:
    return dict(Province.objects.filter(code__in=set(codes)).values_list("code", "pk"))


def apply_registry_entries(*, entries: list[dict], default_unit_id: int | None) -> WriteResult:
    """Create or update enterprises from registry entries (typed dicts with
    tax_code, name, address, province, legal_representative, status,
    business_lines, founded_on, changed_on…). A change of a tracked field is
    also kept as a RegistryChange dated ``changed_on``."""
    result = WriteResult()
    codes = [e["tax_code"] for e in entries]
    current = {e.tax_code: e for e in Enterprise.objects.filter(tax_code__in=codes)}
    provinces = _province_ids(e.get("province") for e in entries if e.get("province"))
    for entry in entries:
        values = {k: entry[k] for k in (*REGISTRY_TRACKED, *REGISTRY_OTHER) if entry.get(k)}
        if entry.get("province"):
            values["province_id"] = provinces.get(entry["province"])
        if "is_aeo" in values:
            values["is_aeo"] = values["is_aeo"] == "1"
        enterprise = current.get(entry["tax_code"])
        if enterprise is None:
            head = None
            if "-" in entry["tax_code"]:
                head = Enterprise.objects.filter(tax_code=entry["tax_code"][:10]).first()
            enterprise = Enterprise(
                tax_code=entry["tax_code"],
                head=head,
                managing_unit_id=entry.get("managing_unit_id") or default_unit_id,
            )
            for key, value in values.items():
                setattr(enterprise, key, value)
            enterprise.save()
            current[enterprise.tax_code] = enterprise
            result.new += 1
            continue
        changes = []
        dirty = False
        for key, value in values.items():
            old = getattr(enterprise, key)
            old_text = "" if old is None else str(old)
            new_text = str(value)
            if key in ("founded_on",) and old is not None:
                old_text = old.isoformat()
            if key in ("compliance_level", "risk_level") and value is not None:
                value = int(value)
                new_text = str(value)
            if old_text == new_text:
                continue
            if key in REGISTRY_TRACKED and (old_text or key != "name"):
                changes.append(
                    RegistryChange(
                        enterprise=enterprise,
                        field=key,
                        old_value=old_text,
                        new_value=new_text,
                        changed_on=entry.get("changed_on") or entry["as_of"],
                    )
                )
            setattr(enterprise, key, value)
            dirty = True
        if dirty:
            enterprise.save()
            RegistryChange.objects.bulk_create(changes, ignore_conflicts=True)
            result.changed += 1
        else:
            result.unchanged += 1
    return result


def record_tax_debts(
    *, entries: list[dict], directory: EnterpriseDirectory, default_unit_id: int | None = None
) -> WriteResult:
    """Tax debt statements: one per enterprise and day (``as_of``)."""
    result = WriteResult()
    ids = directory.resolve({e["tax_code"]: (e.get("name", ""), default_unit_id) for e in entries})
    keys = [(ids[e["tax_code"]], e["as_of"]) for e in entries]
    stored = {
        (d.enterprise_id, d.as_of.isoformat()): d
        for d in TaxDebt.objects.filter(
            enterprise_id__in={k[0] for k in keys}, as_of__in={k[1] for k in keys}
        )
    }
    for entry, key in zip(entries, keys, strict=True):
        values = {
            "amount": int(entry["amount"]),
            "overdue_amount": int(entry.get("overdue_amount") or 0),
            "oldest_due_on": entry.get("oldest_due_on") or None,
        }
        debt = stored.get(key)
        if debt is None:
            stored[key] = TaxDebt.objects.create(enterprise_id=key[0], as_of=key[1], **values)
            result.new += 1
            continue
        same = (
            int(debt.amount) == values["amount"]
            and int(debt.overdue_amount) == values["overdue_amount"]
            and (debt.oldest_due_on.isoformat() if debt.oldest_due_on else None)
            == values["oldest_due_on"]
        )
        if same:
            result.unchanged += 1
            continue
        TaxDebt.objects.filter(pk=debt.pk).update(**values)
        result.changed += 1
    return result


VIOLATION_FIELDS = ("kind", "decided_on", "description", "fine", "is_grave", "declaration_number")


def record_violations(
    *, entries: list[dict], directory: EnterpriseDirectory, default_unit_id: int | None = None
) -> WriteResult:
    """VCIS records, one per ``reference``; a record sent again with other values
    updates the stored one."""
    result = WriteResult()
    ids = directory.resolve({e["tax_code"]: (e.get("name", ""), default_unit_id) for e in entries})
    stored = {
        v.reference: v
        for v in Violation.objects.filter(reference__in=[e["reference"] for e in entries])
    }
    for entry in entries:
        values = {
            "enterprise_id": ids[entry["tax_code"]],
            "kind": entry["kind"],
            "decided_on": entry["decided_on"],
            "description": entry.get("description", ""),
            "fine": int(entry.get("fine") or 0),
            "is_grave": entry.get("is_grave") == "1",
            "declaration_number": entry.get("declaration_number", ""),
        }
        violation = stored.get(entry["reference"])
        if violation is None:
            stored[entry["reference"]] = Violation.objects.create(
                reference=entry["reference"], **values
            )
            result.new += 1
            continue
        now = {
            "enterprise_id": violation.enterprise_id,
            "kind": violation.kind,
            "decided_on": violation.decided_on.isoformat(),
            "description": violation.description,
            "fine": int(violation.fine),
            "is_grave": violation.is_grave,
            "declaration_number": violation.declaration_number,
        }
        if now == values:
            result.unchanged += 1
            continue
        with transaction.atomic():
            Violation.objects.filter(pk=violation.pk).update(**values)
        result.changed += 1
    return result

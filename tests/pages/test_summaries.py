"""The enterprise summaries against fresh aggregates of the base tables, after
imports through the real pipeline (new, changed and unchanged declarations), and
the enterprise page's figures read from them."""

import datetime as dt
import io
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from declarations import selectors, summaries
from declarations.models import (
    Declaration,
    DeclarationLine,
    EnterpriseGoodsMonth,
    EnterpriseMonth,
    EnterprisePartnerMonth,
    Outcome,
    SummarisedEnterprise,
)
from declarations.services import record_outcomes
from enterprises.models import Enterprise
from integrations import pipeline
from stq02.money import group_digits
from tests import waiting
from tests.factories import DeclarationLineFactory, EnterpriseFactory
from tests.integrations.samples import TAX_A, TAX_B, line, write_csv


@pytest.fixture(autouse=True)
def _every_enterprise_summarised(settings):
    """Here every enterprise is "big": summarised from its first row (an enterprise
    saved one at a time) or from the end of the import that created it (the
    pipeline creates enterprises in bulk and promotes at the end of a batch)."""
    settings.ENTERPRISE_SUMMARY_THRESHOLD = 0

    def summarise(sender, instance, created, **kwargs):
        if created:
            SummarisedEnterprise.objects.get_or_create(enterprise=instance)

    post_save.connect(summarise, sender=Enterprise, dispatch_uid="test-summarise")
    yield
    post_save.disconnect(sender=Enterprise, dispatch_uid="test-summarise")


def _day(days_ago: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()


def _rows() -> list[dict]:
    """Four declarations of two enterprises over two months, with two channels,
    partners and HS codes, one of them related-party trade."""
    return [
        line("105000000001", 1, registered_on=_day(10)),
        line("105000000001", 2, registered_on=_day(10), hs_code="84713020", line_vat="1000"),
        line(
            "105000000002",
            1,
            registered_on=_day(70),
            channel="3",
            partner_name="Busan Steel Ltd",
            partner_country="KR",
            related_party="1",
            line_customs_value="90000000",
            line_import_duty="4500000",
        ),
        line("105000000003", 1, registered_on=_day(70), channel="2", direction="export"),
        line("305000000004", 1, tax_code=TAX_B, office_code="KV-B", registered_on=_day(10)),
    ]


def _import(tmp_path, name: str, rows: list[dict], **kwargs):
    batch = pipeline.import_file(
        source="vnaccs-csv", path=write_csv(tmp_path / name, rows), **kwargs
    )
    assert batch.rejected_count == 0, batch.error
    return batch


def _fresh() -> dict:
    """What the summaries must hold, added up in Python from the current versions."""
    months = defaultdict(lambda: [0, 0, 0])
    partners = defaultdict(lambda: [0, 0, 0])
    goods = defaultdict(lambda: [0, 0, 0])
    for d in Declaration.objects.filter(is_current=True):
        month = d.registered_on.replace(day=1)
        cell = months[(d.enterprise_id, month, d.direction, d.channel or 0, d.partner_country)]
        cell[0] += 1
        cell[1] += int(d.customs_value)
        cell[2] += int(d.total_tax)
        cell = partners[(d.enterprise_id, month, d.partner_name, d.partner_country)]
        cell[0] += 1
        cell[1] += int(d.customs_value)
        cell[2] += int(d.related_party)
    for g in DeclarationLine.objects.filter(declaration__is_current=True).select_related(
        "declaration"
    ):
        d = g.declaration
        cell = goods[(d.enterprise_id, d.registered_on.replace(day=1), d.direction, g.hs_code)]
        cell[0] += 1
        cell[1] += int(g.customs_value)
        cell[2] += int(g.import_duty + g.vat + g.special_consumption_tax + g.environmental_tax)
    return {
        "months": {key: tuple(values) for key, values in months.items()},
        "partners": {key: tuple(values) for key, values in partners.items()},
        "goods": {key: tuple(values) for key, values in goods.items()},
    }


def _stored() -> dict:
    def table(model, summary):
        return {
            tuple(row[: len(summary.keys)]): tuple(int(v) for v in row[len(summary.keys) :])
            for row in model.objects.values_list(
                *(key.removesuffix("_id") for key in summary.keys), *summary.values
            )
        }

    return {
        "months": table(EnterpriseMonth, summaries.MONTHS),
        "partners": table(EnterprisePartnerMonth, summaries.PARTNERS),
        "goods": table(EnterpriseGoodsMonth, summaries.GOODS),
    }


def test_a_new_file_enters_the_summaries(world, tmp_path):
    _import(tmp_path, "tk.csv", _rows())

    stored = _stored()
    assert stored == _fresh()
    assert len(stored["months"]) == 4  # two months, two channels, two enterprises
    assert sum(n for n, _value, _tax in stored["goods"].values()) == 5


def test_an_amendment_takes_the_old_version_out_and_puts_the_new_one_in(world, tmp_path):
    _import(tmp_path, "v0.csv", _rows())
    amended = _rows()
    # Declaration 2 moves month, channel, partner and HS code; declaration 1 changes value.
    amended[1]["line_customs_value"] = "31000000"
    amended[2].update(
        version="1",
        registered_on=_day(10),
        channel="1",
        partner_name="Shenzhen Trading Co.",
        partner_country="CN",
        related_party="0",
        hs_code="85287292",
    )

    batch = _import(tmp_path, "v1.csv", amended, chunk_rows=2)

    assert (batch.new_count, batch.changed_count, batch.unchanged_count) == (0, 2, 2)
    stored = _stored()
    assert stored == _fresh()
    enterprise = Enterprise.objects.get(tax_code=TAX_A)
    assert not any(key[2] == "Busan Steel Ltd" for key in stored["partners"])
    before = timezone.localdate() - dt.timedelta(days=70)
    assert (enterprise.pk, before.replace(day=1), "import", "85171300") not in stored["goods"]
    assert not EnterpriseMonth.objects.filter(declarations=0).exists()
    assert not EnterprisePartnerMonth.objects.filter(declarations=0).exists()
    assert not EnterpriseGoodsMonth.objects.filter(lines=0).exists()


def test_resending_a_file_leaves_the_summaries_as_they_are(world, tmp_path):
    _import(tmp_path, "tk.csv", _rows())
    before = _stored()

    batch = _import(tmp_path, "again.csv", _rows())

    assert batch.unchanged_count == 4
    assert _stored() == before == _fresh()


def test_the_page_shows_the_aggregates_of_the_current_versions(world, tmp_path):
    _import(tmp_path, "v0.csv", _rows())
    amended = _rows()
    amended[0]["line_customs_value"] = "77700000"
    _import(tmp_path, "v1.csv", amended)
    enterprise = Enterprise.objects.get(tax_code=TAX_A)
    current = Declaration.objects.filter(enterprise=enterprise, is_current=True)

    trade = selectors.enterprise_trade(enterprise=enterprise)
    goods = selectors.enterprise_goods(enterprise=enterprise)

    imports = current.filter(direction="import").aggregate(
        n=Count("pk"), value=Sum("customs_value")
    )
    assert trade["totals"]["import"]["count"] == imports["n"] == 2
    assert trade["totals"]["import"]["value"] == imports["value"]
    assert {row["channel"]: row["count"] for row in trade["channels"]} == {1: 1, 2: 1, 3: 1}
    assert [(row["partner_name"], row["n"], row["related"]) for row in trade["partners"]] == [
        ("Shenzhen Trading Co.", 2, 0),
        ("Busan Steel Ltd", 1, 1),
    ]
    expected_goods = list(
        DeclarationLine.objects.filter(declaration__in=current)
        .values("hs_code", "declaration__direction")
        .annotate(lines=Count("*"), value=Sum("customs_value"))
        .order_by("-value")
    )
    assert [
        {k: row[k] for k in ("hs_code", "declaration__direction", "lines", "value")}
        for row in goods
    ] == expected_goods
    page = (
        world.client("central_officer")
        .get(reverse("enterprises:detail", args=[TAX_A]))
        .content.decode()
    )
    trade_panel = page.split('id="trade"')[1].split("</section>")[0]
    assert '<p class="kpi">2</p>' in trade_panel
    assert group_digits(imports["value"]) in trade_panel
    assert "Busan Steel Ltd" in page
    assert "84713020" in page


def test_outcomes_carry_their_declarations_enterprise(world, tmp_path):
    _import(tmp_path, "tk.csv", _rows())
    declaration = Declaration.objects.get(number="105000000002", is_current=True)

    record_outcomes(
        entries=[
            {
                "source": Outcome.Source.VCIS,
                "reference": "VCIS-1",
                "declaration_number": "105000000002",
                "decided_on": timezone.localdate(),
                "violation_found": True,
                "critical": 1,
                "additional_tax": 5_000_000,
                "fine": 1_000_000,
                "note": "",
            },
            {
                "source": Outcome.Source.VCIS,
                "reference": "VCIS-2",
                "declaration_number": "199999999999",  # not stored (yet)
                "decided_on": timezone.localdate(),
                "violation_found": True,
                "critical": 1,
                "additional_tax": 0,
                "fine": 0,
                "note": "",
            },
        ]
    )
    audit = Outcome.objects.create(
        declaration=Declaration.objects.get(number="305000000004"),
        declaration_number="305000000004",
        source=Outcome.Source.AUDIT,
        reference="KV-B-1/305000000004",
        decided_on=timezone.localdate(),
        violation_found=False,
    )

    assert Outcome.objects.get(reference="VCIS-1").enterprise_id == declaration.enterprise_id
    assert Outcome.objects.get(reference="VCIS-2").enterprise_id is None
    assert audit.enterprise == Enterprise.objects.get(tax_code=TAX_B)
    # An amendment keeps the outcome on the version it was decided on, and on the page.
    amended = _rows()
    amended[2]["line_customs_value"] = "91000000"
    _import(tmp_path, "v1.csv", amended)
    outcomes = selectors.enterprise_outcomes(enterprise=declaration.enterprise)
    assert outcomes["summary"]["count"] == 1
    assert outcomes["summary"]["additional_tax"] == Decimal("5000000")
    assert [o.reference for o in outcomes["latest"]] == ["VCIS-1"]
    audit.declaration = None
    audit.save(update_fields=["declaration"])
    audit.refresh_from_db()
    assert audit.enterprise_id is None


def test_taking_figures_out_drops_the_rows_brought_to_zero(world, tmp_path):
    _import(tmp_path, "tk.csv", _rows())
    expected = _stored()
    removed = Declaration.objects.get(number="105000000003")
    # The only declaration of its month, partner and goods: its rows go, none stay at 0.
    Declaration.objects.filter(pk=removed.pk).update(is_current=False)  # no summaries
    summaries.add([removed.pk], sign=-1)
    assert _stored() == _fresh()
    assert all(len(_stored()[name]) < len(expected[name]) for name in expected)
    assert all(values[0] for table in _stored().values() for values in table.values())
    Declaration.objects.filter(pk=removed.pk).update(is_current=True)
    summaries.add([removed.pk])
    assert _stored() == expected


def test_rebuild_summaries_repairs_summaries_and_outcome_enterprises(world, tmp_path):
    _import(tmp_path, "tk.csv", _rows())
    expected = _stored()
    declaration = Declaration.objects.get(number="105000000001")
    outcome = Outcome.objects.create(
        declaration=declaration,
        declaration_number=declaration.number,
        source=Outcome.Source.CLEARANCE,
        reference="KTTT-1",
        decided_on=timezone.localdate(),
        violation_found=False,
    )
    EnterpriseMonth.objects.all().delete()
    EnterpriseGoodsMonth.objects.update(lines=99)
    Outcome.objects.filter(pk=outcome.pk).update(enterprise=None)

    out = io.StringIO()
    call_command("rebuild_summaries", TAX_A, stdout=out)

    stored = _stored()
    b = Enterprise.objects.get(tax_code=TAX_B).pk
    assert {k: v for k, v in stored["months"].items() if k[0] != b} == {
        k: v for k, v in expected["months"].items() if k[0] != b
    }
    assert not any(k[0] == b for k in stored["months"])  # B was not asked for
    assert out.getvalue().strip() == "summaries rebuilt (enterprises: 1); newly summarised: 0"
    call_command("rebuild_summaries", stdout=out)
    assert _stored() == expected == _fresh()
    outcome.refresh_from_db()
    assert outcome.enterprise_id == declaration.enterprise_id


def test_rows_saved_or_deleted_one_at_a_time_keep_the_summaries(world, trade):
    # The page tests' factories write through save(), as the admin does.
    assert EnterpriseMonth.objects.filter(enterprise=trade.enterprise_a).exists()
    assert _stored() == _fresh()
    declaration = trade.declaration_a
    declaration.customs_value = Decimal("999000000")
    declaration.registered_on -= dt.timedelta(days=40)
    declaration.channel = None
    declaration.save()
    assert _stored() == _fresh()

    goods_line = declaration.lines.get()
    goods_line.hs_code = "85423100"
    goods_line.vat = Decimal("1234")
    goods_line.save()
    extra = DeclarationLineFactory(declaration=declaration, line_no=2, hs_code="85044090")
    assert _stored() == _fresh()
    extra.delete()
    assert _stored() == _fresh()

    trade.amended_a.is_current = False
    trade.amended_a.save(update_fields=["is_current"])
    assert _stored() == _fresh()
    trade.declaration_b.delete()
    assert _stored() == _fresh()
    assert not Outcome.objects.filter(enterprise=trade.enterprise_b).exists()


# --- only big enterprises are summarised ---------------------------------------------


def test_small_enterprises_keep_no_summary_rows_and_show_the_same_figures(
    world, tmp_path, settings
):
    post_save.disconnect(sender=Enterprise, dispatch_uid="test-summarise")
    settings.ENTERPRISE_SUMMARY_THRESHOLD = 3
    _import(tmp_path, "tk.csv", _rows())
    a = Enterprise.objects.get(tax_code=TAX_A)  # 3 declarations: summarised
    b = Enterprise.objects.get(tax_code=TAX_B)  # 1 declaration: not
    assert set(SummarisedEnterprise.objects.values_list("enterprise_id", flat=True)) == {a.pk}
    assert not EnterpriseMonth.objects.filter(enterprise=b).exists()
    assert _stored() == {
        name: {key: value for key, value in rows.items() if key[0] == a.pk}
        for name, rows in _fresh().items()
    }

    # The page's figures are the same read either way.
    read_from_summaries = (
        selectors.enterprise_trade(enterprise=a),
        selectors.enterprise_goods(enterprise=a),
    )
    SummarisedEnterprise.objects.filter(enterprise=a).delete()
    a = Enterprise.objects.get(pk=a.pk)  # the instance remembers it was summarised
    aggregated = (
        selectors.enterprise_trade(enterprise=a),
        selectors.enterprise_goods(enterprise=a),
    )
    assert aggregated == read_from_summaries
    assert read_from_summaries[0]["totals"]["import"]["count"] == 2

    # An enterprise that grows past the threshold is summarised by the next batch.
    more = [line(f"30500000001{n}", 1, tax_code=TAX_B, registered_on=_day(5)) for n in range(3)]
    _import(tmp_path, "more.csv", more)
    assert SummarisedEnterprise.objects.filter(enterprise=b).exists()
    assert {key: value for key, value in _stored()["months"].items() if key[0] == b.pk} == {
        key: value for key, value in _fresh()["months"].items() if key[0] == b.pk
    }


def test_the_nightly_task_summarises_enterprises_that_grew(world, tmp_path, settings):
    from declarations.tasks import promote_summaries

    post_save.disconnect(sender=Enterprise, dispatch_uid="test-summarise")
    settings.ENTERPRISE_SUMMARY_THRESHOLD = 100
    _import(tmp_path, "tk.csv", _rows())
    assert not SummarisedEnterprise.objects.exists()
    settings.ENTERPRISE_SUMMARY_THRESHOLD = 1
    assert promote_summaries.delay().get() == 2
    assert _stored() == _fresh()
    assert promote_summaries.delay().get() == 0  # once summarised, always


@pytest.mark.django_db(transaction=True)
def test_a_promotion_waits_for_a_writer_that_has_not_committed(world):
    """A writer has stored a declaration of an enterprise that is not summarised
    (and so added it to no summary) and has not committed; a promotion of that
    enterprise at that moment must wait for the commit and count the declaration,
    or it would be in neither."""
    enterprise = EnterpriseFactory(managing_unit=world.branch_a)
    SummarisedEnterprise.objects.filter(enterprise=enterprise).delete()
    DeclarationLineFactory(declaration__enterprise=enterprise)  # committed: 1 declaration
    postgresql = connection.vendor == "postgresql"
    written = threading.Event()

    def write():
        try:
            with transaction.atomic():
                # save() applies the declaration to the summaries, as every writer does
                DeclarationLineFactory(declaration__enterprise=enterprise)
                if postgresql:
                    written.set()
                    waiting.until_a_transaction_waits_for_a_lock()
            written.set()  # SQLite runs one writing transaction at a time
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    written.wait(timeout=30)
    promoted = summaries.promote(enterprise_ids=[enterprise.pk], threshold=1)
    writer.join(timeout=60)

    assert promoted == [enterprise.pk]
    assert _stored() == _fresh()
    assert EnterpriseMonth.objects.get(enterprise=enterprise).declarations == 2

"""The demo generator: deterministic, valid tax codes, exact taxes, planted risks."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from declarations.models import Declaration, DeclarationLine, Outcome
from enterprises.models import Enterprise, PlantedRisk, RegistryChange, TaxDebt, Violation
from enterprises.validators import normalise_tax_code


def _generate(seed=11, enterprises=60, lines=1500):
    call_command(
        "generate_data",
        seed=seed,
        enterprises=enterprises,
        lines=lines,
        no_users=True,
        stdout=io.StringIO(),
    )


def _fingerprint():
    return {
        "tax_codes": list(
            Enterprise.objects.order_by("tax_code").values_list("tax_code", flat=True)
        ),
        "numbers": list(
            Declaration.objects.order_by("number", "version").values_list(
                "number", "version", "customs_value"
            )
        ),
        "lines": DeclarationLine.objects.aggregate(
            n=Count("pk"), value=Sum("customs_value"), vat=Sum("vat")
        ),
        "outcomes": Outcome.objects.count(),
        "planted": list(
            PlantedRisk.objects.order_by("enterprise__tax_code", "behaviour").values_list(
                "enterprise__tax_code", "behaviour"
            )
        ),
    }


def _wipe():
    Outcome.objects.all().delete()
    DeclarationLine.objects.all().delete()
    Declaration.objects.all().delete()
    for model in (Violation, PlantedRisk, RegistryChange, TaxDebt):
        model.objects.all().delete()
    Enterprise.objects.filter(head__isnull=False).delete()
    Enterprise.objects.all().delete()


@pytest.mark.django_db
def test_same_seed_gives_the_same_data():
    _generate()
    first = _fingerprint()
    _wipe()
    _generate()

    assert _fingerprint() == first
    assert first["lines"]["n"] == 1500
    assert len(first["tax_codes"]) == 60


@pytest.mark.django_db
def test_another_seed_gives_other_enterprises():
    _generate(seed=11, enterprises=20, lines=100)
    first = _fingerprint()["tax_codes"]
    _wipe()
    _generate(seed=12, enterprises=20, lines=100)

    assert _fingerprint()["tax_codes"] != first


@pytest.mark.django_db
def test_tax_codes_are_valid_and_branches_carry_their_heads_code():
    _generate()

    for enterprise in Enterprise.objects.select_related("head"):
        assert normalise_tax_code(enterprise.tax_code) == enterprise.tax_code
        if enterprise.head_id:
            assert enterprise.tax_code.startswith(enterprise.head.tax_code + "-")
    assert Enterprise.objects.filter(head__isnull=False).exists()


@pytest.mark.django_db
def test_managing_unit_is_the_branch_whose_area_holds_the_province():
    _generate()

    for enterprise in Enterprise.objects.select_related("managing_unit", "province"):
        assert enterprise.province in enterprise.managing_unit.provinces.all()


@pytest.mark.django_db
def test_taxes_are_exact_dong_and_headers_sum_their_lines():
    _generate()

    for line in DeclarationLine.objects.filter(declaration__direction="import")[:300]:
        base = (
            line.customs_value
            + line.import_duty
            + line.special_consumption_tax
            + line.environmental_tax
        )
        assert line.vat == (base * line.vat_rate + 50) // 100
        assert line.customs_value == int(line.customs_value)
    mismatched = (
        Declaration.objects.annotate(lines_value=Sum("lines__customs_value"))
        .exclude(customs_value=F("lines_value"))
        .count()
    )
    assert mismatched == 0


@pytest.mark.django_db
def test_declarations_spread_over_three_years_up_to_today():
    _generate()
    today = timezone.localdate()

    first = Declaration.objects.order_by("registered_on").first().registered_on
    last = Declaration.objects.order_by("-registered_on").first().registered_on
    assert today - dt.timedelta(days=3 * 365) <= first < today - dt.timedelta(days=600)
    assert today - dt.timedelta(days=60) <= last <= today
    assert Declaration.objects.filter(is_current=False).exists()  # amendments keep old versions
    assert not (
        Declaration.objects.filter(is_current=True)
        .values("number")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )


@pytest.mark.django_db
def test_planted_risks_are_recorded_and_show_in_outcomes():
    _generate(enterprises=200, lines=8000)

    heads = Enterprise.objects.filter(head__isnull=True).count()
    planted = Enterprise.objects.filter(planted_risks__isnull=False).distinct()
    assert 0.06 * heads <= planted.count() <= 0.10 * heads
    assert PlantedRisk.objects.values("behaviour").distinct().count() == 4

    def violation_rate(enterprises):
        outcomes = Outcome.objects.filter(declaration__enterprise__in=enterprises).aggregate(
            n=Count("pk"), bad=Count("pk", filter=Q(violation_found=True))
        )
        return outcomes["bad"] / max(outcomes["n"], 1)

    others = Enterprise.objects.exclude(pk__in=planted.values("pk"))
    assert violation_rate(planted) > 3 * violation_rate(others)


@pytest.mark.django_db
def test_undervaluing_enterprises_declare_below_the_norm():
    from declarations.demo import CATALOGUE

    _generate(enterprises=200, lines=8000)
    norms = {item[0]: item[3] for items in CATALOGUE.values() for item in items}

    def mean_ratio(lines):
        ratios = [
            float(line.unit_price)
            * float(line.declaration.exchange_rate)
            / 25_400
            / norms[line.hs_code]
            for line in lines.select_related("declaration")[:400]
        ]
        return sum(ratios) / len(ratios)

    undervaluing = PlantedRisk.objects.filter(behaviour=PlantedRisk.Behaviour.UNDERVALUATION)
    imports = DeclarationLine.objects.filter(declaration__direction="import")
    low = mean_ratio(imports.filter(declaration__enterprise__in=undervaluing.values("enterprise")))
    normal = mean_ratio(
        imports.exclude(declaration__enterprise__in=PlantedRisk.objects.values("enterprise"))
    )
    assert low < 0.65
    assert 0.85 < normal < 1.15


@pytest.mark.django_db
def test_origin_switchers_declare_chinese_goods_with_a_preferential_origin():
    _generate(enterprises=200, lines=8000)

    switchers = PlantedRisk.objects.filter(behaviour=PlantedRisk.Behaviour.ORIGIN_SWITCHING)
    switched = DeclarationLine.objects.filter(
        declaration__enterprise__in=switchers.values("enterprise"),
        declaration__partner_country="CN",
        declaration__direction="import",
    ).exclude(origin_country="CN")
    elsewhere = DeclarationLine.objects.filter(
        declaration__partner_country="CN", declaration__direction="import"
    ).exclude(declaration__enterprise__in=switchers.values("enterprise"))

    assert switched.exists()
    assert all(line.preference_code for line in switched[:50])
    assert not elsewhere.exclude(origin_country="CN").exists()

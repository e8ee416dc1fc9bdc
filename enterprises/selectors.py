"""Reads of enterprises and the facts held about them, for pages and the API.

The declarations side of an enterprise's picture (trade, goods, outcomes) is
read by ``declarations.selectors`` and shown through ``enterprises.panels``.
"""

from django.db.models import Count, Q, Sum

from enterprises.models import Enterprise, RegistryChange, TaxDebt, Violation


def enterprise_list(*, user):
    """The enterprises ``user`` may see, with what a list row shows."""
    return Enterprise.objects.visible_to(user).select_related("province", "managing_unit", "head")


def enterprise_for(*, user, tax_code: str) -> Enterprise:
    """The enterprise with ``tax_code`` if ``user`` may see it; Enterprise.DoesNotExist if not."""
    return (
        Enterprise.objects.visible_to(user)
        .select_related("province", "managing_unit", "head", "head__managing_unit")
        .get(tax_code=tax_code)
    )


def enterprise_facts(*, user, enterprise: Enterprise, limit: int = 10) -> dict:
    """Branches, VCIS records, tax debt and registry changes of one enterprise."""
    branches = list(
        Enterprise.objects.filter(head=enterprise)
        .select_related("province", "managing_unit")
        .order_by("tax_code")[:50]
    )
    visible = set(
        Enterprise.objects.visible_to(user)
        .filter(pk__in=[branch.pk for branch in branches])
        .values_list("pk", flat=True)
    )
    for branch in branches:
        branch.visible = branch.pk in visible

    violations = Violation.objects.filter(enterprise=enterprise)
    violation_summary = violations.aggregate(
        count=Count("pk"),
        grave=Count("pk", filter=Q(is_grave=True)),
        fines=Sum("fine"),
    )
    debts = list(TaxDebt.objects.filter(enterprise=enterprise).order_by("-as_of")[:12])
    return {
        "branches": branches,
        "branch_count": Enterprise.objects.filter(head=enterprise).count()
        if len(branches) == 50
        else len(branches),
        "violations": list(violations.order_by("-decided_on")[:limit]),
        "violation_summary": violation_summary,
        "tax_debts": debts,
        "latest_debt": debts[0] if debts else None,
        "registry_changes": list(
            RegistryChange.objects.filter(enterprise=enterprise).order_by("-changed_on")[:limit]
        ),
    }


def enterprise_summary(*, enterprise: Enterprise) -> dict:
    """The figures the API gives with one enterprise (facts this app holds)."""
    latest_debt = TaxDebt.objects.filter(enterprise=enterprise).order_by("-as_of").first()
    violations = Violation.objects.filter(enterprise=enterprise).aggregate(
        count=Count("pk"), fines=Sum("fine")
    )
    return {
        "branch_count": Enterprise.objects.filter(head=enterprise).count(),
        "violation_count": violations["count"],
        "violation_fines": violations["fines"] or 0,
        "tax_debt": latest_debt.amount if latest_debt else 0,
        "tax_debt_overdue": latest_debt.overdue_amount if latest_debt else 0,
        "tax_debt_as_of": latest_debt.as_of if latest_debt else None,
        "registry_changes": RegistryChange.objects.filter(enterprise=enterprise).count(),
    }

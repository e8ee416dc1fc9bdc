"""The "audits" panel of the enterprise page (registered in AuditsConfig.ready)."""

from django.urls import reverse

from audits.models import AuditCase


def audit_panel(request, enterprise) -> dict | None:
    cases = (
        AuditCase.objects.visible_to(request.user)
        .filter(enterprise=enterprise)
        .select_related("unit", "lead")
        .order_by("-created_at")[:20]
    )
    open_elsewhere = (
        AuditCase.objects.filter(enterprise=enterprise, is_open=True)
        .exclude(pk__in=[case.pk for case in cases])
        .select_related("unit")
    )
    return {
        "cases": list(cases),
        # Another unit's open audit is named (not shown): it blocks an overlapping one.
        "open_elsewhere": [case.unit.code for case in open_elsewhere],
        "propose_url": reverse("audits:case-propose") + f"?enterprise={enterprise.pk}",
    }


def register() -> None:
    try:
        from enterprises.panels import register_panel
    except ImportError:  # the enterprise page does not take panels
        return
    register_panel(50, "audits/enterprise_panel.html", audit_panel, key="audits.cases")

"""The risk panel of the enterprise page (registered in ``RiskConfig.ready``)."""

from risk.models import EnterpriseScore


def risk_panel(request, enterprise) -> dict | None:
    scores = list(
        EnterpriseScore.objects.visible_to(request.user)
        .filter(enterprise=enterprise)
        .order_by("-as_of")
        .only("pk", "as_of", "score", "klass", "is_random", "fired_codes", "run_id")[:5]
    )
    return {"risk_scores": scores}

"""Reads of the risk app: frozen scores, risk lists, feedback from later outcomes."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from declarations.models import Outcome
from risk.models import Criterion, EnterpriseScore, RiskModel, ScoringRun

# Outcomes that tell whether a selection was right.
FEEDBACK_SOURCES = (Outcome.Source.AUDIT, Outcome.Source.CLEARANCE, Outcome.Source.VCIS)
# A criterion version whose selected enterprises were checked this many times
# without a single finding is flagged for review.
REVIEW_MIN_CHECKED = 5


def score_snapshot(*, score_id: int) -> dict:
    """The score of an enterprise exactly as it was frozen at selection time.

    Raises ``EnterpriseScore.DoesNotExist`` for an unknown id. The caller (audits)
    checks that the user may see the enterprise. Every value is plain JSON (dates
    as ISO strings), so the result can be stored as it is.
    """
    score = EnterpriseScore.objects.select_related("enterprise", "run").get(pk=score_id)
    reasons = score.reasons or {}
    return {
        "score_id": score.pk,
        "run_id": score.run_id,
        "enterprise_id": score.enterprise_id,
        "tax_code": score.enterprise.tax_code,
        "as_of": score.as_of.isoformat(),
        "score": score.score,
        "criteria_score": score.criteria_score,
        "model_score": score.model_score,
        "class": score.klass,
        "class_label": str(score.get_klass_display()),
        "is_random": score.is_random,
        "criteria": reasons.get("criteria", []),
        "criteria_versions": reasons.get("criteria_versions", {}),
        "model": reasons.get("model"),
        "features": dict(score.features or {}),
        "reasons": reasons,
    }


def latest_run() -> ScoringRun | None:
    return ScoringRun.objects.filter(status=ScoringRun.Status.DONE).order_by("-as_of").first()


def risk_list(*, user, run: ScoringRun | None = None, filters: dict | None = None):
    """The scores of a run the user may see (their units), highest first."""
    run = run or latest_run()
    if run is None:
        return EnterpriseScore.objects.none()
    filters = filters or {}
    scores = (
        EnterpriseScore.objects.visible_to(user)
        .filter(run=run)
        .select_related("enterprise", "enterprise__province", "unit")
    )
    if filters.get("klass"):
        scores = scores.filter(klass=filters["klass"])
    if filters.get("risk_level"):
        scores = scores.filter(enterprise__risk_level=filters["risk_level"])
    if filters.get("criterion"):
        scores = scores.filter(fired_codes__contains=f" {filters['criterion']} ")
    if filters.get("province"):
        scores = scores.filter(enterprise__province=filters["province"])
    if filters.get("hs_chapter"):
        scores = scores.filter(hs_chapters__contains=f" {filters['hs_chapter']} ")
    if filters.get("random"):
        scores = scores.filter(is_random=True)
    return scores.order_by("-score", "enterprise_id")


def score_history(*, user, enterprise_id: int):
    return (
        EnterpriseScore.objects.visible_to(user)
        .filter(enterprise_id=enterprise_id)
        .select_related("run")
        .order_by("-as_of")
    )


# -- feedback ----------------------------------------------------------------------
def _checked(scores):
    """Annotate each score with what later outcomes of its enterprise found."""
    later = Outcome.objects.filter(
        source__in=FEEDBACK_SOURCES,
        declaration__enterprise_id=OuterRef("enterprise_id"),
        decided_on__gt=OuterRef("as_of"),
    )
    revenue = (
        later.filter(violation_found=True)
        .values("declaration__enterprise_id")
        .annotate(total=Sum("additional_tax") + Sum("fine"))
        .values("total")
    )
    return scores.annotate(
        checked=Exists(later),
        found=Exists(later.filter(violation_found=True)),
        revenue=Coalesce(
            Subquery(revenue), 0, output_field=EnterpriseScore._meta.get_field("score")
        ),
    ).values_list("checked", "found", "revenue", "is_random")


def _summary(rows) -> dict:
    selected = checked = found = 0
    revenue = 0.0
    for was_checked, was_found, amount, _random in rows:
        selected += 1
        if was_checked:
            checked += 1
            if was_found:
                found += 1
                revenue += float(amount or 0)
    return {
        "selected": selected,
        "checked": checked,
        "found": found,
        "hit_rate": found / checked if checked else None,
        "revenue": revenue,
        "revenue_per_check": revenue / checked if checked else None,
    }


def criterion_feedback(*, user=None) -> list[dict]:
    """Hit rate and revenue yield of every criterion version, from the outcomes
    decided after the runs in which it selected an enterprise for audit."""
    audit = EnterpriseScore.objects.filter(klass=EnterpriseScore.Klass.AUDIT)
    if user is not None:
        audit = EnterpriseScore.objects.visible_to(user).filter(klass=EnterpriseScore.Klass.AUDIT)
    result = []
    for criterion in Criterion.objects.order_by("code", "version"):
        in_force = Q(run__as_of__gte=criterion.effective_from)
        if criterion.effective_until:
            in_force &= Q(run__as_of__lt=criterion.effective_until)
        scores = audit.filter(in_force, fired_codes__contains=f" {criterion.code} ")
        summary = _summary(_checked(scores))
        summary["criterion"] = criterion
        summary["needs_review"] = summary["checked"] >= REVIEW_MIN_CHECKED and not summary["found"]
        result.append(summary)
    return result


def model_feedback(*, user=None) -> list[dict]:
    audit = EnterpriseScore.objects.filter(klass=EnterpriseScore.Klass.AUDIT)
    if user is not None:
        audit = EnterpriseScore.objects.visible_to(user).filter(klass=EnterpriseScore.Klass.AUDIT)
    result = []
    for model in RiskModel.objects.filter(kind=RiskModel.Kind.ENTERPRISE).order_by("-version"):
        summary = _summary(_checked(audit.filter(run__enterprise_model=model)))
        summary["model"] = model
        result.append(summary)
    random_rows = _summary(_checked(audit.filter(is_random=True)))
    result.append({**random_rows, "model": None})
    return result

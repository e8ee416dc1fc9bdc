"""The approved declaration model scores the new declarations in the nightly run,
and the risk list links each selection to the audit proposal."""

from django.urls import reverse

from risk import scoring, services
from risk.models import DeclarationScore, RiskModel
from tests.risk.factories import AS_OF, outcome


def test_an_approved_declaration_model_scores_the_last_months_declarations(world, market):
    for enterprise in market["a"][:3] + market["b"][:2]:
        for declaration in enterprise.declarations.all():
            outcome(declaration, found=True)
    for enterprise in market["a"][3:] + market["b"][2:]:
        for declaration in enterprise.declarations.all():
            outcome(declaration, found=False)
    model = services.train_declaration_model(train_until=AS_OF, test_from=AS_OF, test_until=AS_OF)
    assert model.status == RiskModel.Status.DRAFT
    first = scoring.execute(run_id=scoring.run_for(as_of=AS_OF).pk)
    assert first.declaration_model is None
    assert DeclarationScore.objects.count() == 0

    services.model_approve(user=world.department_head, model=model)
    run = scoring.execute(run_id=scoring.run_for(as_of=AS_OF, restart=True).pk)

    recent = market["a"][0].declarations.filter(registered_on__gt=AS_OF.replace(day=1))
    assert run.declarations_done == DeclarationScore.objects.filter(run=run).count() > 0
    risky = DeclarationScore.objects.get(declaration=recent.first())
    ordinary = DeclarationScore.objects.filter(declaration__enterprise__in=market["a"][3:]).first()
    assert risky.score > ordinary.score
    assert risky.reasons["version"] == model.version

    again = scoring.execute(run_id=scoring.run_for(as_of=AS_OF, restart=True).pk)
    assert again.declarations_done == run.declarations_done


def test_each_selection_links_to_the_audit_proposal(world, market):
    run = scoring.execute(run_id=scoring.run_for(as_of=AS_OF).pk)
    score = run.scores.get(enterprise=market["a"][0])
    page = world.client("officer_a").get(reverse("risk:list"))
    link = (
        reverse("audits:case-propose") + f"?enterprise={score.enterprise_id}&amp;score={score.pk}"
    )
    assert link in page.content.decode()

    proposal = world.client("officer_a").get(
        reverse("audits:case-propose"), {"enterprise": score.enterprise_id, "score": score.pk}
    )
    assert proposal.status_code == 200

"""Pages and API: unit scoping and roles."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from risk import learning, scoring, services
from risk.models import Criterion, EnterpriseScore, RiskModel, ScoringRun
from stq02.errors import ConflictError
from tests.risk.factories import AS_OF


@pytest.fixture
def scored(market):
    run = scoring.execute(run_id=scoring.run_for(as_of=AS_OF).pk)
    a = EnterpriseScore.objects.get(run=run, enterprise=market["a"][0])
    b = EnterpriseScore.objects.get(run=run, enterprise=market["b"][0])
    return {"run": run, "a": a, "b": b}


def test_the_risk_list_shows_only_the_units_own_enterprises(world, scored):
    page = world.client("officer_a").get(reverse("risk:list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert scored["a"].enterprise.tax_code in text
    assert scored["b"].enterprise.tax_code not in text

    central = world.client("department_head").get(reverse("risk:list"))
    assert scored["b"].enterprise.tax_code in central.content.decode()


def test_the_risk_list_filters_by_class_and_criterion(world, scored):
    client = world.client("department_head")
    page = client.get(reverse("risk:list"), {"klass": "audit", "criterion": "UNDERVAL"})
    text = page.content.decode()
    assert scored["a"].enterprise.tax_code in text
    assert scored["b"].enterprise.tax_code not in text
    chapter = client.get(reverse("risk:list"), {"hs_chapter": "85"}).content.decode()
    assert scored["b"].enterprise.tax_code in chapter
    other = client.get(reverse("risk:list"), {"hs_chapter": "61"}).content.decode()
    assert scored["b"].enterprise.tax_code not in other


def test_score_and_history_pages_of_another_unit_are_not_found(world, scored):
    officer_b = world.client("officer_b")
    a = scored["a"]
    assert officer_b.get(reverse("risk:score-detail", args=[a.pk])).status_code == 404
    history = reverse("risk:enterprise", args=[a.enterprise.tax_code])
    assert officer_b.get(history).status_code == 404

    officer_a = world.client("officer_a")
    page = officer_a.get(reverse("risk:score-detail", args=[a.pk]))
    assert page.status_code == 200
    assert "UNDERVAL" in page.content.decode()
    assert officer_a.get(history).status_code == 200


def test_the_enterprise_page_shows_the_risk_panel(world, scored):
    tax_code = scored["a"].enterprise.tax_code
    page = world.client("officer_a").get(reverse("enterprises:detail", args=[tax_code]))
    assert page.status_code == 200
    assert reverse("risk:enterprise", args=[tax_code]) in page.content.decode()


def test_api_scores_are_scoped_to_the_callers_unit(world, scored):
    api = world.api("api_a")
    listed = api.get(reverse("api:risk-score-list")).json()
    ids = {row["id"] for row in listed["results"]}
    assert scored["a"].pk in ids
    assert scored["b"].pk not in ids
    detail = api.get(reverse("api:risk-score-detail", args=[scored["a"].pk]))
    assert detail.status_code == 200
    assert detail.json()["reasons"]["criteria_versions"]["UNDERVAL"]["version"] == 1
    missing = api.get(reverse("api:risk-score-detail", args=[scored["b"].pk]))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_api_runs_and_criteria_are_readable_and_not_writable(world, scored):
    api = world.api("api_a")
    assert api.get(reverse("api:risk-run-list")).json()["results"][0]["status"] == "done"
    criteria = api.get(reverse("api:risk-criterion-list"), {"code": "UNDERVAL"}).json()
    assert criteria["results"][0]["version"] == 1
    assert api.post(reverse("api:risk-criterion-list"), {}).status_code in (403, 405)
    assert world.api(None).get(reverse("api:risk-score-list")).status_code in (401, 403)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer_a", 403), ("head_a", 200), ("department_head", 200), (None, 302)],
)
def test_only_heads_open_the_criteria_editor(world, persona, status):
    assert world.client(persona).get(reverse("risk:criterion-create")).status_code == status


def test_a_unit_head_cannot_change_a_whole_force_criterion(world):
    criterion = Criterion.objects.get(code="DEBT", version=1)
    page = world.client("head_a").post(
        reverse("risk:criterion-revise", args=[criterion.pk]),
        {
            "name": criterion.name,
            "indicator": criterion.indicator,
            "operator": "gt",
            "threshold": "5",
            "weight": "1",
            "effective_from": AS_OF.isoformat(),
        },
    )
    assert page.status_code == 200
    assert (
        gettext("Criteria for the whole force are changed by the central department only.")
        in page.content.decode()
    )
    assert Criterion.objects.filter(code="DEBT").count() == 1


def test_a_department_head_revises_a_criterion_in_the_browser(world):
    criterion = Criterion.objects.get(code="DEBT", version=1)
    page = world.client("department_head").post(
        reverse("risk:criterion-revise", args=[criterion.pk]),
        {
            "name": "Overdue tax debt above 5 million",
            "indicator": "overdue_debt",
            "operator": "gt",
            "threshold": "5000000",
            "weight": "1.5",
            "effective_from": AS_OF.isoformat(),
            "is_active": "on",
        },
    )
    assert page.status_code == 302
    revised = Criterion.objects.get(code="DEBT", version=2)
    assert revised.threshold == 5_000_000
    assert revised.created_by == world.department_head
    assert Criterion.objects.get(pk=criterion.pk).effective_until == AS_OF


def _draft_model():
    import pandas as pd

    # Learns that four or more declarations a year go with a violation.
    frame = pd.DataFrame({"declarations_12m": [0, 0, 0, 4] * 50, "overdue_debt": [0] * 200})
    trained = learning.train(
        featurizer=learning.IdentityFeaturizer(frame.columns),
        frame=frame,
        target=[0, 0, 0, 1] * 50,
    )
    return services.model_register(
        kind=RiskModel.Kind.ENTERPRISE,
        trained=trained,
        estimator="hgb",
        train_until=AS_OF,
        training_rows=200,
    )


@pytest.mark.parametrize("persona", ["officer_a", "head_a", "central_officer"])
def test_who_is_not_a_central_head_cannot_approve_a_model(world, persona):
    model = _draft_model()
    response = world.client(persona).post(reverse("risk:model-approve", args=[model.pk]))
    assert response.status_code == 403
    model.refresh_from_db()
    assert model.status == RiskModel.Status.DRAFT


def test_a_department_head_approves_a_model_and_only_then_it_scores(world, market):
    model = _draft_model()
    run = scoring.execute(run_id=scoring.run_for(as_of=AS_OF).pk)
    assert EnterpriseScore.objects.filter(run=run, model_score__isnull=False).count() == 0

    response = world.client("department_head").post(reverse("risk:model-approve", args=[model.pk]))
    assert response.status_code == 302
    model.refresh_from_db()
    assert model.status == RiskModel.Status.APPROVED
    assert model.approved_by == world.department_head

    later = scoring.execute(run_id=scoring.run_for(as_of=AS_OF, restart=True).pk)
    score = EnterpriseScore.objects.get(run=later, enterprise=market["a"][0])
    assert score.model_score is not None
    assert score.reasons["model"]["version"] == model.version
    page = world.client("officer_a").get(reverse("risk:model-list"))
    assert "Approve for scoring" not in page.content.decode()
    detail = world.client("officer_a").get(reverse("risk:score-detail", args=[score.pk]))
    contributions = score.reasons["model"]["contributions"]
    assert contributions[0]["feature"] == "declarations_12m"
    assert contributions[0]["value"] == 5
    assert contributions[0]["contribution"] > 0
    assert "declarations_12m" in detail.content.decode()


def test_run_feedback_and_backtest_pages_open(world, scored):
    client = world.client("officer_a")
    for name, args in [
        ("risk:run-list", []),
        ("risk:run-detail", [scored["run"].pk]),
        ("risk:feedback", []),
        ("risk:criterion-list", []),
        ("risk:backtest-list", []),
        ("risk:model-list", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_a_head_starts_a_run_from_the_runs_page_and_an_officer_cannot(
    world, market, django_capture_on_commit_callbacks
):
    url = reverse("risk:run-start")
    assert world.client("officer_a").post(url, {"as_of": AS_OF.isoformat()}).status_code == 403

    with_commit = world.client("head_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = with_commit.post(url, {"as_of": AS_OF.isoformat()})

    run = ScoringRun.objects.get(as_of=AS_OF)
    assert response.status_code == 302
    assert response["Location"] == reverse("risk:run-detail", args=[run.pk])
    page = with_commit.get(response["Location"])
    assert "100 %" in page.content.decode()


def test_a_model_approved_by_the_system_has_no_approver_and_says_why(world):
    first = services.model_approve(user=world.department_head, model=_draft_model())
    second = services.model_approve_by_system(model=_draft_model(), reason="No administrator.")

    first.refresh_from_db()
    assert first.status == RiskModel.Status.RETIRED
    assert second.status == RiskModel.Status.APPROVED
    assert second.approved_by is None
    assert second.note.endswith("No administrator.")
    with pytest.raises(ConflictError):
        services.model_approve_by_system(model=second, reason="again")

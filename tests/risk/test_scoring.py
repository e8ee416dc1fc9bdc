"""Scoring runs: classes, frozen reasons, the random share, reruns and resuming."""

import datetime as dt

import pytest
from django.core.management import call_command

from risk import scoring, selectors, services
from risk.models import ClassPolicy, Criterion, EnterpriseScore, ScoringRun
from tests.risk.factories import AS_OF, enterprises, ordinary_trade


def _run(as_of=AS_OF, restart=False) -> ScoringRun:
    run = scoring.run_for(as_of=as_of, restart=restart)
    return scoring.execute(run_id=run.pk)


def _result(run):
    return sorted(
        EnterpriseScore.objects.filter(run=run).values_list(
            "enterprise_id", "score", "klass", "is_random", "fired_codes"
        )
    )


def test_risky_enterprises_become_audit_subjects_with_their_reasons(market):
    run = _run()

    assert run.status == ScoringRun.Status.DONE
    assert run.enterprises_done == 20
    audit = EnterpriseScore.objects.filter(run=run, klass=EnterpriseScore.Klass.AUDIT)
    assert set(market["a"][:3]) <= {score.enterprise for score in audit}
    assert set(market["b"][:2]) <= {score.enterprise for score in audit}
    score = audit.get(enterprise=market["a"][0])
    fired = {item["code"]: item for item in score.reasons["criteria"]}
    assert fired["UNDERVAL"]["value"] == score.features["undervalued_share"]
    assert fired["RELATED"]["version"] == 1
    assert score.reasons["criteria_versions"]["UNDERVAL"]["version"] == 1


def test_editing_a_criterion_makes_a_new_version_and_old_scores_keep_the_old_one(market, world):
    first = _run()
    old = Criterion.objects.get(code="RELATED", version=1)
    new = services.criterion_revise(
        user=world.department_head,
        criterion=old,
        effective_from=AS_OF + dt.timedelta(days=1),
        threshold=0.9,
        weight=3.0,
    )

    old.refresh_from_db()
    assert (new.version, new.threshold, new.effective_from) == (2, 0.9, AS_OF + dt.timedelta(1))
    assert old.threshold == 0.5
    assert old.effective_until == new.effective_from
    score = EnterpriseScore.objects.get(run=first, enterprise=market["a"][0])
    snapshot = selectors.score_snapshot(score_id=score.pk)
    assert snapshot["criteria_versions"]["RELATED"] == {"id": old.pk, "version": 1}
    assert "RELATED" in {item["code"] for item in snapshot["criteria"]}

    # The next day's run applies version 2 (its related share, 0.6, is no longer enough)…
    later = _run(AS_OF + dt.timedelta(days=1))
    later_score = EnterpriseScore.objects.get(run=later, enterprise=market["a"][0])
    assert later_score.reasons["criteria_versions"]["RELATED"]["version"] == 2
    assert "RELATED" not in later_score.fired_codes.split()
    # …and recomputing the first date still applies version 1.
    again = _run(AS_OF, restart=True)
    rebuilt = EnterpriseScore.objects.get(run=again, enterprise=market["a"][0])
    assert rebuilt.reasons["criteria_versions"]["RELATED"]["version"] == 1


def test_frozen_reasons_do_not_follow_later_changes(market, world):
    run = _run()
    score = EnterpriseScore.objects.get(run=run, enterprise=market["a"][0])
    before = selectors.score_snapshot(score_id=score.pk)

    Criterion.objects.filter(code="UNDERVAL").update(name="renamed")
    ordinary_trade(market["a"][0], declarations=20)
    after = selectors.score_snapshot(score_id=score.pk)

    assert after == before
    assert before["class"] == "audit"
    assert before["as_of"] == AS_OF.isoformat()
    assert before["tax_code"] == market["a"][0].tax_code


def test_a_reserved_random_share_is_drawn_and_marked_the_same_way_every_time(world, settings):
    settings.RISK_RANDOM_SHARE = 0.25
    ClassPolicy.objects.create(unit=None, audit_share=0.4, monitoring_share=0.1)
    for enterprise in enterprises(world.team_a, 20):
        ordinary_trade(enterprise)

    run = _run()
    audit = EnterpriseScore.objects.filter(run=run, klass=EnterpriseScore.Klass.AUDIT)
    drawn = sorted(audit.filter(is_random=True).values_list("enterprise_id", flat=True))

    # 40 % of 20 = 8 audit places, a quarter of them (2) drawn at random.
    assert audit.count() == 8
    assert len(drawn) == 2
    assert run.random_count == 2
    by_score = list(EnterpriseScore.objects.filter(run=run).order_by("-score", "enterprise_id")[:6])
    assert all(score.klass == "audit" and not score.is_random for score in by_score)
    assert not set(drawn) & {score.enterprise_id for score in by_score}
    expected = sorted(
        sorted(
            EnterpriseScore.objects.filter(run=run)
            .exclude(pk__in=[score.pk for score in by_score])
            .values_list("enterprise_id", flat=True),
            key=lambda pk: scoring.lottery_key(run.seed, pk),
        )[:2]
    )
    assert drawn == expected

    again = _run(restart=True)
    assert (
        sorted(
            EnterpriseScore.objects.filter(run=again, is_random=True).values_list(
                "enterprise_id", flat=True
            )
        )
        == drawn
    )


def test_a_rerun_for_the_same_date_gives_the_same_result(market):
    first = _result(_run())
    call_command("score_all", "--as-of", AS_OF.isoformat())
    assert ScoringRun.objects.count() == 1
    assert _result(ScoringRun.objects.get()) == first


def test_a_worker_that_dies_mid_run_leaves_a_consistent_state_and_the_run_resumes(
    market, monkeypatch
):
    clean = _result(_run())
    ScoringRun.objects.all().delete()

    monkeypatch.setattr(scoring, "CHUNK_SIZE", 6)
    real = scoring.score_chunk
    calls = {"n": 0}

    def dying(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(scoring, "score_chunk", dying)
    run = scoring.run_for(as_of=AS_OF)
    with pytest.raises(RuntimeError):
        scoring.execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED
    assert run.enterprises_done == 6
    assert EnterpriseScore.objects.filter(run=run).count() == 6
    first_six = sorted(EnterpriseScore.objects.values_list("enterprise_id", flat=True))
    assert run.last_enterprise_id == first_six[-1]

    # Resumed (here by the nightly task), it carries on from the seventh enterprise.
    monkeypatch.setattr(scoring, "score_chunk", real)
    from risk import tasks

    tasks.score_all.delay(AS_OF.isoformat())
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.DONE
    assert run.attempts == 2
    assert _result(run) == clean


def test_a_running_run_is_taken_over_only_when_its_worker_is_silent(market):
    run = scoring.run_for(as_of=AS_OF)
    assert scoring.claim(run_id=run.pk, worker="first")
    assert not scoring.claim(run_id=run.pk, worker="second")

    stale = run.created_at - scoring.STALE_AFTER - dt.timedelta(minutes=1)
    ScoringRun.objects.filter(pk=run.pk).update(heartbeat_at=stale)
    finished = scoring.execute(run_id=run.pk, worker="second")

    assert finished.status == ScoringRun.Status.DONE
    assert finished.claimed_by == "second"
    assert finished.enterprises_done == 20


def test_the_task_waits_and_retries_while_another_worker_holds_the_run(market):
    from celery.exceptions import Retry

    from risk import tasks

    run = scoring.run_for(as_of=AS_OF)
    assert scoring.claim(run_id=run.pk, worker="alive")

    with pytest.raises(Retry) as retry:
        tasks.score_run.apply(args=[run.pk])

    assert retry.value.when == scoring.STALE_AFTER.total_seconds() + 60
    run.refresh_from_db()
    assert (run.status, run.claimed_by, run.enterprises_done) == ("running", "alive", 0)


def test_written_scores_read_back_as_given_with_tabs_newlines_and_backslashes(world):
    """COPY on PostgreSQL, bulk_create elsewhere: the same rows come back."""
    run = scoring.run_for(as_of=AS_OF)
    (enterprise,) = enterprises(world.team_a, 1)
    text = 'tab\there, line\nbreak, back\\slash, "quoted", thuế nhập khẩu'
    scoring.write_scores(
        [
            EnterpriseScore(
                run=run,
                enterprise=enterprise,
                as_of=AS_OF,
                unit=world.team_a,
                features={"note": text, "ratio": 0.25, "missing": None},
                criteria_score=0.5,
                model_score=None,
                score=0.5,
                is_random=True,
                fired_codes="UNDERVAL RELATED",
                hs_chapters=text,
                reasons={"criteria": [{"code": "UNDERVAL", "label": text}]},
            )
        ]
    )

    score = EnterpriseScore.objects.get(run=run)
    assert score.features == {"note": text, "ratio": 0.25, "missing": None}
    assert score.reasons == {"criteria": [{"code": "UNDERVAL", "label": text}]}
    assert score.hs_chapters == text
    assert score.model_score is None
    assert score.is_random is True
    assert score.rank_in_unit is None
    assert score.klass == EnterpriseScore.Klass.NOT_AUDITED

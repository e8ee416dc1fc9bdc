"""The demo generator leaves the risk pages populated."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext

from risk.models import Backtest, EnterpriseScore, RiskModel, ScoringRun


@pytest.mark.django_db
def test_the_demo_scores_every_enterprise_and_the_risk_list_shows_classes():
    call_command("generate_data", enterprises=40, lines=1500, password="demo-pass-1")

    run = ScoringRun.objects.get()
    assert run.status == ScoringRun.Status.DONE
    assert EnterpriseScore.objects.filter(run=run).count() == 40
    approved = RiskModel.objects.filter(status=RiskModel.Status.APPROVED)
    assert approved.filter(kind=RiskModel.Kind.ENTERPRISE, approved_by__username="admin").exists()
    assert Backtest.objects.exists()

    client = Client()
    assert client.login(username="admin", password="demo-pass-1")
    page = client.get(reverse("risk:list"))
    assert page.status_code == 200
    text = page.content.decode()
    audit = EnterpriseScore.objects.filter(run=run, klass=EnterpriseScore.Klass.AUDIT).first()
    assert audit is not None
    assert audit.enterprise.tax_code in text
    assert str(EnterpriseScore.Klass.AUDIT.label) in text
    assert reverse("risk:score-detail", args=[audit.pk]) in text
    assert gettext("Propose audit") in text

    # A rerun without enterprises changes nothing.
    call_command("generate_data", enterprises=0, no_users=True)
    assert ScoringRun.objects.count() == 1
    assert RiskModel.objects.filter(status=RiskModel.Status.APPROVED).count() == approved.count()

"""The demo generator leaves audit cases at every step, and those past the result
notice with their results."""

import pytest
from django.core.management import call_command

from audits.models import AuditCase, Finding


@pytest.mark.django_db
def test_the_demo_has_cases_at_each_step_and_results_on_concluded_ones():
    call_command("generate_data", enterprises=120, lines=6000, password="demo-pass-1")

    states = set(AuditCase.objects.values_list("state", flat=True))
    assert {"proposed", "in_progress", "minutes", "concluded", "closed"} <= states
    concluded = AuditCase.objects.filter(state__in=["concluded", "closed"])
    # at least the first case of each branch to conclude has a finding, on a goods line
    assert Finding.objects.filter(case__in=concluded).values("case__unit").distinct().count() == 2
    for finding in Finding.objects.select_related("declaration"):
        assert finding.declaration.lines.filter(line_no=finding.line_no).exists()
        assert finding.tax_assessed > 0

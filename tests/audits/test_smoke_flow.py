import pytest

from audits.lifecycle import State
from audits.models import CaseDocument
from declarations.models import Outcome
from tests.audits.factories import drive, open_case


@pytest.mark.parametrize("kind", ["office", "premises"])
def test_a_case_goes_from_information_collection_to_closed(world, kind):
    case = open_case(world, kind=kind)
    case = drive(world, case)
    assert case.state == State.CLOSED
    assert not case.is_open
    kinds = set(case.documents.values_list("kind", flat=True))
    assert CaseDocument.Kind.DECISION in kinds
    assert Outcome.objects.filter(source="audit").count() == 2
    case.enterprise.refresh_from_db()
    assert case.enterprise.last_audit_on == case.closed_on

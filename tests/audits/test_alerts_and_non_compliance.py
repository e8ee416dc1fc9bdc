"""The daily task: deadline alerts once per deadline and kind, in the application
and by e-mail; declarants that did not answer in time are recorded as
non-compliant and the flag is queued for the clearance system."""

import datetime as dt

from django.core import mail
from django.urls import reverse

from audits import alerts, services
from audits.models import DeadlineAlert, Notification
from audits.tasks import daily_deadline_check
from integrations.models import OutboundMessage
from tests.audits.factories import drive, open_case

D = dt.date


def signed_case(world):
    world.officer_a.email = "officer-a@customs.example"
    world.officer_a.save()
    world.head_a.email = "head-a@customs.example"
    world.head_a.save()
    return drive(world, open_case(world), until="decision_signed")  # send by 8/10/2026


def test_an_alert_goes_out_2_working_days_before_a_deadline_and_only_once(world):
    case = signed_case(world)
    assert alerts.send_deadline_alerts(today=D(2026, 10, 5)) == 0  # 3 WD ahead: too early
    assert alerts.send_deadline_alerts(today=D(2026, 10, 6)) == 1
    assert alerts.send_deadline_alerts(today=D(2026, 10, 7)) == 0
    alert = DeadlineAlert.objects.get()
    assert (alert.deadline, alert.kind, alert.due_on) == ("decision_sent", "before", D(2026, 10, 8))
    notification = Notification.objects.get(user=world.officer_a)
    assert case.number in notification.message
    assert "08/10/2026" in notification.message
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["officer-a@customs.example"]
    assert case.number in mail.outbox[0].subject


def test_an_overdue_alert_also_reaches_the_unit_heads_once(world):
    case = signed_case(world)
    sent = alerts.send_deadline_alerts(today=D(2026, 10, 13))
    # Both open deadlines have passed by then: sending the decision (8/10) and the
    # notice 5 WD before the start (12/10).
    assert sent == 2
    assert alerts.send_deadline_alerts(today=D(2026, 10, 14)) == 0
    assert set(DeadlineAlert.objects.values_list("kind", flat=True)) == {"overdue"}
    assert Notification.objects.filter(user=world.head_a, case=case).count() == 2
    assert {tuple(sorted(m.to)) for m in mail.outbox} == {
        ("head-a@customs.example", "officer-a@customs.example")
    }


def test_met_deadlines_and_closed_cases_send_nothing(world):
    case = signed_case(world)
    services.perform(
        case=case, action="decision_sent", user=world.officer_a, data={"sent_on": D(2026, 10, 6)}
    )
    assert alerts.send_deadline_alerts(today=D(2026, 10, 7)) == 0
    drive(world, case)
    assert alerts.send_deadline_alerts(today=D(2027, 1, 4)) == 0


def test_the_header_link_counts_unread_notifications_and_the_page_lists_them(world):
    case = signed_case(world)
    alerts.send_deadline_alerts(today=D(2026, 10, 6))
    client = world.client("officer_a")
    html = client.get(reverse("audits:case-list")).content.decode()
    assert 'id="notifications-link"' in html
    assert '<span class="badge bad" aria-label' in html
    page = client.get(reverse("audits:notifications")).content.decode()
    assert case.number in page
    client.post(reverse("audits:notifications"))
    assert not Notification.objects.filter(user=world.officer_a, read_at__isnull=True).exists()
    assert (
        case.number
        not in world.client("officer_b").get(reverse("audits:notifications")).content.decode()
    )


def started_without_answer(world):
    return drive(world, open_case(world), until="started")  # scheduled 19/10/2026


def test_a_declarant_silent_3_working_days_after_the_scheduled_date_is_non_compliant(world):
    case = started_without_answer(world)
    assert alerts.record_non_compliance(today=D(2026, 10, 22)) == 0  # due 22/10
    result = daily_deadline_check.delay().get()
    assert result["non_compliant"] == 1
    case.refresh_from_db()
    assert case.non_compliant_on is not None
    event = case.events.get(action="audits.case.non_compliant")
    assert event.actor is None
    message = OutboundMessage.objects.get(key=f"case-{case.pk}-noncompliant")
    assert message.kind == "pca.non_compliant"
    assert message.payload["tax_code"] == case.enterprise.tax_code
    assert message.payload["case"] == case.number
    # A second run records nothing more and queues nothing more.
    assert daily_deadline_check.delay().get()["non_compliant"] == 0
    assert OutboundMessage.objects.filter(kind="pca.non_compliant").count() == 1


def test_an_officer_can_record_non_compliance_but_not_before_the_answer_is_due(world):
    case = started_without_answer(world)
    services.perform(case=case, action="non_compliant", user=world.officer_a, data={})
    assert OutboundMessage.objects.filter(key=f"case-{case.pk}-noncompliant").exists()
    answered = drive(
        world, open_case(world, content="origin", declarations=1), until="declarant_answered"
    )
    assert alerts.record_non_compliance(today=D(2026, 12, 1)) == 0
    assert not answered.non_compliant_on

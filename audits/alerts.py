"""The daily deadline check: alerts before and after each deadline of an open
case, once per deadline and kind (the unique constraint of DeadlineAlert makes a
second run, or two workers at once, send nothing twice), in the application
(Notification) and by e-mail; and the declarants that did not answer in time are
recorded as non-compliant."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import rules, services
from audits.lifecycle import State
from audits.models import AuditCase, DeadlineAlert, Notification
from stq02 import workdays
from stq02.errors import DomainError
from stq02.models import Role, User

logger = logging.getLogger(__name__)

WARN_WORKING_DAYS = 2  # the "before" alert: this many working days ahead of the deadline


def alert_kind(deadline: rules.Deadline, today: dt.date) -> str | None:
    if not deadline.is_open:
        return None
    if today > deadline.due_on:
        return DeadlineAlert.Kind.OVERDUE
    if today >= workdays.add_working_days(deadline.due_on, -WARN_WORKING_DAYS):
        return DeadlineAlert.Kind.BEFORE
    return None


def recipients(case: AuditCase, kind: str) -> list[User]:
    """The team (or whoever opened the case); once a deadline has passed, also the
    heads of the case's unit and of its parent unit."""
    people = {member.pk: member for member in case.members.all()}
    if case.lead_id:
        people[case.lead_id] = case.lead
    if not people and case.created_by_id:
        people[case.created_by_id] = case.created_by
    if kind == DeadlineAlert.Kind.OVERDUE:
        units = [case.unit_id] + ([case.unit.parent_id] if case.unit.parent_id else [])
        for head in User.objects.filter(unit_id__in=units, role=Role.UNIT_HEAD, is_active=True):
            people[head.pk] = head
    return [person for person in people.values() if person.is_active]


def _message(case: AuditCase, deadline: rules.Deadline, kind: str) -> str:
    values = {
        "case": case.number,
        "deadline": deadline.label,
        "due": f"{deadline.due_on:%d/%m/%Y}",
        "enterprise": case.enterprise.name,
    }
    if kind == DeadlineAlert.Kind.OVERDUE:
        return _("%(case)s (%(enterprise)s): deadline passed on %(due)s – %(deadline)s") % values
    return _("%(case)s (%(enterprise)s): deadline on %(due)s – %(deadline)s") % values


def send_deadline_alerts(*, today: dt.date | None = None) -> int:
    """Alerts for every open deadline of every open, running case; returns how many
    alerts were sent (0 on a second run the same day)."""
    today = today or timezone.localdate()
    sent = 0
    cases = (
        AuditCase.objects.filter(is_open=True)
        .exclude(state=State.SUSPENDED)
        .select_related("enterprise", "unit", "lead", "created_by")
        .prefetch_related("members")
    )
    for case in cases.iterator(chunk_size=200):
        for deadline in rules.deadlines(case):
            kind = alert_kind(deadline, today)
            if kind is None:
                continue
            try:
                with transaction.atomic():
                    alert = DeadlineAlert.objects.create(
                        case=case, deadline=deadline.code, kind=kind, due_on=deadline.due_on
                    )
                    people = recipients(case, kind)
                    text = _message(case, deadline, kind)
                    Notification.objects.bulk_create(
                        [
                            Notification(user=person, case=case, alert=alert, message=text[:400])
                            for person in people
                        ]
                    )
            except IntegrityError:
                continue  # already sent, by an earlier run or another worker
            sent += 1
            _email(people, text, case)
    if sent:
        logger.info("deadline alerts sent: %d", sent)
    return sent


def _email(people: list[User], text: str, case: AuditCase) -> None:
    addresses = [person.email for person in people if person.email]
    if not addresses:
        return
    try:
        send_mail(
            subject=f"[STQ02] {text[:120]}",
            message=text
            + "\n\n"
            + _("Case %(number)s, unit %(unit)s.")
            % {"number": case.number, "unit": case.unit.code},
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=addresses,
        )
    except OSError as exc:
        # The in-app notification is recorded; the mail is not retried (the alert
        # is once per deadline), and the operator sees why here.
        logger.warning("deadline alert e-mail for case %s failed: %s", case.number, exc)


def record_non_compliance(*, today: dt.date | None = None) -> int:
    """Declarants that have not answered 3 working days after the scheduled date are
    recorded as non-compliant (the step sends the flag to the clearance system)."""
    today = today or timezone.localdate()
    recorded = 0
    candidates = AuditCase.objects.filter(
        state__in=[State.DECISION_SENT, State.IN_PROGRESS],
        answered_on__isnull=True,
        non_compliant_on__isnull=True,
        start_on__isnull=False,
    )
    for case in candidates:
        due = rules.BY_CODE["declarant_answer"].due(case)
        if due is None or today <= due:
            continue
        try:
            services.perform(
                case=case,
                action="non_compliant",
                user=None,
                data={"note": _("No answer by %(date)s.") % {"date": f"{due:%d/%m/%Y}"}},
            )
        except DomainError as exc:
            logger.warning("case %s not recorded as non-compliant: %s", case.number, exc)
            continue
        recorded += 1
    return recorded

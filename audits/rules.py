"""Legal deadlines of an audit case, as a table of rules.

Each rule says from which date of the case it counts (``anchor``), how far
(``count``) and in which days: working days (``WD``, counted with the Vietnamese
holiday calendar plus the administrator's corrections, see ``stq02.workdays``)
or calendar days (``DAYS``, an end on a day off rolled to the next working day,
Civil Code art. 148). ``applies`` and ``done`` read the case. Changing a number
when the law changes is an edit of this table only.

Duration rules ("an office audit lasts at most 5 WD") count the start day as the
first working day of the audit, so their deadline is ``count - 1`` working days
after the start.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from stq02 import workdays

WD = "wd"
DAYS = "days"
WD_BEFORE = "wd_before"  # a latest date counted back from the anchor
DURATION_WD = "duration_wd"  # the anchor is the first of the working days

OFFICE = "office"
PREMISES = "premises"
SIGNS_OF_VIOLATION = "signs_of_violation"

EXPERT_DAYS = 30
EXTENSION_MAX_WD = 10


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    legal: str
    anchor: Callable  # case -> date | None
    count: Callable | int  # an int, or case -> int
    unit: str
    applies: Callable = lambda case: True
    done: Callable = lambda case: None  # case -> the date it was met, or None

    def due(self, case) -> dt.date | None:
        start = self.anchor(case)
        if start is None or not self.applies(case):
            return None
        count = self.count(case) if callable(self.count) else self.count
        if self.unit == WD:
            return workdays.add_working_days(start, count)
        if self.unit == WD_BEFORE:
            # The latest working day that still leaves ``count`` working days before.
            return workdays.add_working_days(start, -count)
        if self.unit == DURATION_WD:
            return workdays.add_working_days(workdays.next_working_day(start), count - 1)
        return workdays.add_days(start, count)


def _premises(case) -> bool:
    return case.kind == PREMISES


def _office(case) -> bool:
    return case.kind == OFFICE


def _expert_base(case) -> dt.date | None:
    """The opinion's arrival, or the end of the expert's 30 days if it is late."""
    if not case.expert_requested_on:
        return None
    limit = workdays.add_days(case.expert_requested_on, EXPERT_DAYS)
    if case.expert_received_on and case.expert_received_on <= limit:
        return case.expert_received_on
    return limit


def _conclusion_anchor(case) -> dt.date | None:
    return _expert_base(case) if case.expert_requested_on else case.ended_on


RULES: tuple[Rule, ...] = (
    Rule(
        "decision_sent",
        _("Decision sent to the declarant (3 WD after signing)"),
        "Customs Law art. 78(1); Circular 38 art. 143",
        anchor=lambda case: case.decision_signed_on,
        count=3,
        unit=WD,
        applies=lambda case: case.legal_basis != SIGNS_OF_VIOLATION,
        done=lambda case: case.decision_sent_on,
    ),
    Rule(
        "notice_before_start",
        _("Decision / notice at least 5 WD before the start"),
        "Customs Law art. 78(1)",
        anchor=lambda case: case.start_on,
        count=5,
        unit=WD_BEFORE,
        applies=lambda case: case.legal_basis != SIGNS_OF_VIOLATION,
        done=lambda case: case.decision_sent_on,
    ),
    Rule(
        "declarant_answer",
        _("Declarant answers (3 WD after the scheduled date)"),
        "Circular 38 art. 143; DOMAIN rule 8",
        anchor=lambda case: case.start_on if case.decision_sent_on or case.started_on else None,
        count=3,
        unit=WD,
        done=lambda case: case.answered_on or case.non_compliant_on,
    ),
    Rule(
        "office_audit_end",
        _("Office audit ends (at most 5 WD)"),
        "Customs Law art. 79; Circular 38 art. 142",
        anchor=lambda case: case.started_on,
        count=5,
        unit=DURATION_WD,
        applies=_office,
        done=lambda case: case.ended_on,
    ),
    Rule(
        "premises_audit_end",
        _("Premises audit ends (at most 10 WD, plus one extension of at most 10 WD)"),
        "Customs Law art. 80",
        anchor=lambda case: case.started_on,
        count=lambda case: 10 + (case.extension_days or 0),
        unit=DURATION_WD,
        applies=_premises,
        done=lambda case: case.ended_on,
    ),
    Rule(
        "minutes",
        _("Minutes within 5 WD after the end"),
        "Circular 38 art. 143",
        anchor=lambda case: case.ended_on,
        count=5,
        unit=WD,
        done=lambda case: case.minutes_on,
    ),
    Rule(
        "result_notice",
        _("Result notice within 5 WD after the end of an office audit"),
        "Circular 38 art. 142",
        anchor=lambda case: case.ended_on,
        count=5,
        unit=WD,
        applies=_office,
        done=lambda case: case.concluded_on,
    ),
    Rule(
        "draft_conclusion",
        _("Draft conclusion within 5 days of the last minutes"),
        "Decree 08 art. 98 (Decree 59/2018)",
        anchor=lambda case: case.minutes_on,
        count=5,
        unit=DAYS,
        applies=_premises,
        done=lambda case: case.draft_on,
    ),
    Rule(
        "explanation",
        _("Declarant's explanation within 10 days of the end"),
        "Decree 08 art. 98 (Decree 59/2018)",
        anchor=lambda case: case.ended_on,
        count=10,
        unit=DAYS,
        applies=_premises,
        done=lambda case: case.explanation_on,
    ),
    Rule(
        "expert_opinion",
        _("Expert opinion within 30 days of the request"),
        "Decree 08 art. 98 (Decree 59/2018)",
        anchor=lambda case: case.expert_requested_on,
        count=EXPERT_DAYS,
        unit=DAYS,
        applies=_premises,
        done=lambda case: case.expert_received_on,
    ),
    Rule(
        "conclusion",
        _("Conclusion within 15 days of the end (or of the expert opinion)"),
        "Customs Law art. 81; Decree 08 art. 98 (Decree 59/2018)",
        anchor=_conclusion_anchor,
        count=15,
        unit=DAYS,
        applies=_premises,
        done=lambda case: case.concluded_on,
    ),
)

BY_CODE = {rule.code: rule for rule in RULES}


@dataclass(frozen=True)
class Deadline:
    code: str
    label: str
    legal: str
    due_on: dt.date
    done_on: dt.date | None

    @property
    def is_open(self) -> bool:
        return self.done_on is None

    def status(self, today: dt.date) -> str:
        if self.done_on:
            return "met" if self.done_on <= self.due_on else "late"
        return "overdue" if today > self.due_on else "open"


def deadlines(case) -> list[Deadline]:
    """Every deadline that applies to the case now, in date order."""
    found = []
    for rule in RULES:
        due = rule.due(case)
        if due is None:
            continue
        found.append(Deadline(rule.code, rule.label, rule.legal, due, rule.done(case)))
    return sorted(found, key=lambda deadline: deadline.due_on)


def next_deadline(case) -> Deadline | None:
    if case.is_final:
        return None
    return next((deadline for deadline in deadlines(case) if deadline.is_open), None)

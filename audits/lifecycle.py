"""The audit lifecycle as data: states, and the one table of transitions.

Every action an officer, a head or the daily task may take on a case is one row of
``TRANSITIONS``: from which states, to which state, who may take it, at which unit
(the case's own unit, the central level, or "whoever has authority" for the
enterprise), what must exist before (``requires``, checked by
``audits.services.REQUIREMENTS``), which data the step records (``fields``, the
guided form of the step) and which document it produces (``document``).
``audits.services.perform`` is the only code that applies a row; pages and the
API list the actions a user may take from this table.

Sources: Customs Law 54/2014/QH13 arts. 77–82; Decree 08/2015/NĐ-CP art. 98 as
amended by Decree 59/2018/NĐ-CP; Circular 38/2015/TT-BTC arts. 141–145 as amended
by Circular 39/2018/TT-BTC.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from stq02.models import Role


class State(models.TextChoices):
    INFORMATION = "information", _("Information collection")
    PROPOSED = "proposed", _("Analysis and proposal")
    APPROVED = "approved", _("Approved into the plan")
    DECISION_SIGNED = "decision_signed", _("Decision signed")
    DECISION_SENT = "decision_sent", _("Decision sent")
    IN_PROGRESS = "in_progress", _("Audit in progress")
    MINUTES = "minutes", _("Minutes recorded")
    DRAFT_CONCLUSION = "draft_conclusion", _("Draft conclusion")
    EXPLANATION = "explanation", _("Declarant's explanation")
    EXPERT_OPINION = "expert_opinion", _("Expert opinion requested")
    CONCLUDED = "concluded", _("Conclusion / result notice issued")
    HANDLING = "handling", _("Handling (assessment, fines, collection)")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# A case in one of these states no longer blocks another audit of the enterprise.
FINAL_STATES = frozenset({State.CLOSED, State.CANCELLED})

# Before the decision is signed a case can be cancelled by its unit alone; after
# it, cancellation is itself a decision (form 07).
BEFORE_DECISION = (State.INFORMATION, State.PROPOSED, State.APPROVED)
RUNNING = (
    State.DECISION_SIGNED,
    State.DECISION_SENT,
    State.IN_PROGRESS,
    State.MINUTES,
    State.DRAFT_CONCLUSION,
    State.EXPLANATION,
    State.EXPERT_OPINION,
)

SAME = "same"  # the action records data and documents but keeps the state
PREVIOUS = "previous"  # back to the state the case was suspended in

# Which unit's people may take an action:
CASE_UNIT = "case"  # the case's unit or a unit above it (central included)
CENTRAL = "central"  # only the central PCA Department
AUTHORITY = (
    "authority"  # the case's unit if the enterprise is in its area and not AEO, else central
)

SYSTEM = "system"  # the daily task, acting without a user

OFFICERS = (Role.OFFICER, Role.UNIT_HEAD, Role.DEPARTMENT_HEAD, Role.ADMIN)
HEADS = (Role.UNIT_HEAD, Role.DEPARTMENT_HEAD, Role.ADMIN)
CENTRAL_HEADS = (Role.DEPARTMENT_HEAD, Role.ADMIN)
WITH_API = (Role.API_CLIENT,)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple
    target: str
    roles: tuple
    unit: str = CASE_UNIT
    requires: tuple = ()
    fields: tuple = ()
    document: str | None = None
    legal: str = ""

    @property
    def code(self) -> str:
        """The dotted action code written on the case's event row."""
        return f"audits.case.{self.action}"

    def leads_to(self, current: str, previous: str = "") -> str:
        if self.target == SAME:
            return current
        if self.target == PREVIOUS:
            return previous
        return self.target


S = State
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "proposed",
        _("Propose the audit"),
        (S.INFORMATION,),
        S.PROPOSED,
        OFFICERS,
        requires=("scope_declarations",),
        fields=("estimated_officer_days", "note"),
        legal="Customs Law art. 78(2)",
    ),
    Transition(
        "returned",
        _("Send back for more information"),
        (S.PROPOSED,),
        S.INFORMATION,
        HEADS,
        fields=("note",),
    ),
    Transition(
        "assigned",
        _("Assign to a unit (central)"),
        (S.INFORMATION, S.PROPOSED),
        SAME,
        CENTRAL_HEADS,
        unit=CENTRAL,
        fields=("unit", "note"),
        legal="Circular 38 art. 141; DOMAIN rule 6",
    ),
    Transition(
        "approved",
        _("Approve into the plan"),
        (S.PROPOSED,),
        S.APPROVED,
        HEADS,
        unit=AUTHORITY,
        requires=("authority", "second_audit_reason"),
        fields=("planned_year", "second_audit_reason", "note"),
        legal="Circular 38 art. 141; Directive 20/CT-TTg (once a year)",
    ),
    Transition(
        "team_assigned",
        _("Assign the team"),
        (S.INFORMATION, S.PROPOSED, S.APPROVED, S.DECISION_SIGNED, S.DECISION_SENT, S.IN_PROGRESS),
        SAME,
        HEADS,
        fields=("lead", "members", "note"),
    ),
    Transition(
        "decision_signed",
        _("Sign the audit decision (form 01)"),
        (S.APPROVED,),
        S.DECISION_SIGNED,
        HEADS,
        unit=AUTHORITY,
        requires=(
            "authority",
            "lead",
            "start_on",
            "scope_declarations",
            "five_year_window",
            "office_own_dossiers",
        ),
        fields=("signed_on", "start_on", "note"),
        document="decision",
        legal="Customs Law arts. 77–78; Circular 38 art. 143",
    ),
    Transition(
        "decision_sent",
        _("Send the decision to the declarant"),
        (S.DECISION_SIGNED,),
        S.DECISION_SENT,
        OFFICERS + WITH_API,
        requires=("decision_document", "sent_before_start"),
        fields=("sent_on", "note"),
        document="notice",
        legal="Customs Law art. 78(1): sent within 3 WD of signing, 5 WD before the start",
    ),
    Transition(
        "amended",
        _("Amend the decision (form 03)"),
        (S.DECISION_SIGNED, S.DECISION_SENT, S.IN_PROGRESS),
        SAME,
        HEADS,
        requires=("decision_document",),
        fields=("start_on", "note"),
        document="amendment",
        legal="Circular 38 art. 143",
    ),
    Transition(
        "started",
        _("Start the audit (announcement, form 09)"),
        (S.DECISION_SENT, S.DECISION_SIGNED),
        S.IN_PROGRESS,
        OFFICERS + WITH_API,
        requires=("decision_document", "decision_sent_or_violation"),
        fields=("started_on", "note"),
        document="announcement",
        legal="Customs Law art. 78(1): for signs of violation the decision is handed over here",
    ),
    Transition(
        "declarant_answered",
        _("Record the declarant's answer"),
        (S.DECISION_SENT, S.IN_PROGRESS),
        SAME,
        OFFICERS + WITH_API,
        fields=("answered_on", "note"),
    ),
    Transition(
        "non_compliant",
        _("Record the declarant as non-compliant"),
        (S.DECISION_SENT, S.IN_PROGRESS),
        SAME,
        (*OFFICERS, SYSTEM),
        requires=("answer_overdue",),
        fields=("note",),
        legal="Circular 38 art. 143: no answer 3 WD after the scheduled date",
    ),
    Transition(
        "extended",
        _("Extend the premises audit (form 04)"),
        (S.IN_PROGRESS,),
        SAME,
        HEADS,
        requires=("premises", "not_extended"),
        fields=("extension_days", "note"),
        document="extension",
        legal="Customs Law art. 80: once, at most 10 WD, by the signer of the decision",
    ),
    Transition(
        "minutes_recorded",
        _("Record the minutes (form 08)"),
        (S.IN_PROGRESS, S.MINUTES),
        S.MINUTES,
        OFFICERS + WITH_API,
        requires=("started",),
        fields=("ended_on", "minutes_on", "note"),
        document="minutes",
        legal="Circular 38 art. 143: minutes within 5 WD after the end",
    ),
    Transition(
        "draft_conclusion",
        _("Send the draft conclusion"),
        (S.MINUTES,),
        S.DRAFT_CONCLUSION,
        OFFICERS,
        requires=("premises",),
        fields=("draft_on", "note"),
        legal="Decree 08 art. 98: draft within 5 days of the last minutes",
    ),
    Transition(
        "explanation_recorded",
        _("Record the declarant's explanation"),
        (S.DRAFT_CONCLUSION,),
        S.EXPLANATION,
        OFFICERS + WITH_API,
        fields=("explanation_on", "note"),
        legal="Decree 08 art. 98: explanation within 10 days of the end",
    ),
    Transition(
        "expert_requested",
        _("Request an expert opinion"),
        (S.MINUTES, S.DRAFT_CONCLUSION, S.EXPLANATION),
        S.EXPERT_OPINION,
        HEADS,
        requires=("premises",),
        fields=("expert_requested_on", "note"),
        legal="Decree 08 art. 98: the expert has 30 days",
    ),
    Transition(
        "expert_received",
        _("Record the expert opinion"),
        (S.EXPERT_OPINION,),
        S.EXPLANATION,
        OFFICERS,
        fields=("expert_received_on", "note"),
        legal="Decree 08 art. 98: conclusion 15 days after the opinion",
    ),
    Transition(
        "concluded",
        _("Sign the conclusion (form 05)"),
        (S.EXPLANATION,),
        S.CONCLUDED,
        HEADS,
        requires=("premises", "results_recorded"),
        fields=("concluded_on", "no_violation", "note"),
        document="conclusion",
        legal="Customs Law art. 81; Decree 08 art. 98: within 15 days of the end",
    ),
    Transition(
        "result_notice_issued",
        _("Issue the result notice (form 06)"),
        (S.MINUTES, S.EXPLANATION),
        S.CONCLUDED,
        HEADS,
        requires=("office", "results_recorded"),
        fields=("concluded_on", "no_violation", "note"),
        document="result_notice",
        legal="Circular 38 art. 142: within 5 WD after the end of an office audit",
    ),
    Transition(
        "handling_started",
        _("Start handling (assessment, fines, collection)"),
        (S.CONCLUDED,),
        S.HANDLING,
        OFFICERS + WITH_API,
        fields=("note",),
        legal="Customs Law art. 82",
    ),
    Transition(
        "closed",
        _("Close the case"),
        (S.HANDLING,),
        S.CLOSED,
        HEADS,
        requires=("conclusion_document",),
        fields=("closed_on", "note"),
    ),
    Transition(
        "suspended",
        _("Suspend"),
        RUNNING,
        S.SUSPENDED,
        HEADS,
        fields=("note",),
    ),
    Transition(
        "resumed",
        _("Resume"),
        (S.SUSPENDED,),
        PREVIOUS,
        HEADS,
        fields=("note",),
    ),
    Transition(
        "cancelled",
        _("Cancel the case"),
        BEFORE_DECISION,
        S.CANCELLED,
        HEADS,
        requires=("note",),
        fields=("note",),
    ),
    Transition(
        "decision_cancelled",
        _("Cancel the audit decision (form 07)"),
        (*RUNNING, S.SUSPENDED),
        S.CANCELLED,
        HEADS,
        unit=AUTHORITY,
        requires=("note",),
        fields=("note",),
        document="cancellation",
        legal="Circular 38 art. 143",
    ),
)

BY_ACTION = {transition.action: transition for transition in TRANSITIONS}


def transition(action: str) -> Transition:
    return BY_ACTION[action]


def actions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if state in t.sources]

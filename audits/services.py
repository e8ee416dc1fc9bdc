"""Writes of the audit lifecycle: opening a case, taking a step of the transition
table, scope, findings, attachments, feeding results back, alerts.

Every change of state goes through :func:`perform`, which applies one row of
``audits.lifecycle.TRANSITIONS`` and nothing else.
"""

import copy
import datetime as dt
import hashlib
import logging
import time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import lifecycle, rules
from audits.lifecycle import AUTHORITY, CENTRAL, SYSTEM, State
from audits.models import (
    Attachment,
    AuditCase,
    CaseDocument,
    CaseEvent,
    DocumentCounter,
    Finding,
    ScopeDeclaration,
)
from declarations.models import Declaration, Outcome
from enterprises.models import Enterprise
from stq02.errors import ConflictError, DomainError
from stq02.models import Province, Unit
from stq02.scoping import can_see_unit

logger = logging.getLogger(__name__)

SCOPE_YEARS = 5  # Customs Law art. 77: 5 years from registration to the decision


class NotAllowed(DomainError):
    """The user's role or unit may not take this step."""

    status_code = 403


# ---------------------------------------------------------------------------
# Authority and the 5-year window


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def oldest_allowed_registration(decision_on: dt.date) -> dt.date:
    """Declarations registered before this date are out of the audit's reach."""
    return years_before(decision_on, SCOPE_YEARS)


def has_authority(*, unit: Unit, enterprise: Enterprise) -> bool:
    """A unit audits enterprises whose province lies in its area or its parent
    branch's area; the central level may audit any."""
    if unit.is_central:
        return True
    if enterprise.province_id is None:
        return False
    return Province.objects.filter(pk=enterprise.province_id, units__in=unit.ancestors()).exists()


def needs_central(*, unit: Unit, enterprise: Enterprise) -> bool:
    """AEO enterprises and enterprises outside the unit's area are decided centrally."""
    if unit.is_central:
        return False
    return enterprise.is_aeo or not has_authority(unit=unit, enterprise=enterprise)


# ---------------------------------------------------------------------------
# Numbers


SERIES = {
    "case": "HS",
    CaseDocument.Kind.DECISION: "QĐ",
    CaseDocument.Kind.AMENDMENT: "QĐ",
    CaseDocument.Kind.EXTENSION: "QĐ",
    CaseDocument.Kind.CANCELLATION: "QĐ",
    CaseDocument.Kind.CONCLUSION: "KL",
    CaseDocument.Kind.RESULT_NOTICE: "TB",
    CaseDocument.Kind.NOTICE: "TB",
    CaseDocument.Kind.MINUTES: "BB",
    CaseDocument.Kind.ANNOUNCEMENT: "BB",
}


def next_number(*, unit: Unit, year: int, series: str) -> int:
    """The next number of a series of ``unit`` in ``year``; the counter row is
    locked until the caller's transaction ends, so two steps never share a number."""
    DocumentCounter.objects.get_or_create(unit=unit, year=year, series=series)
    counter = DocumentCounter.objects.select_for_update().get(unit=unit, year=year, series=series)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def document_number(*, unit: Unit, year: int, kind: str) -> str:
    """ "12/QĐ-KV01": the decision number as Vietnamese administrative documents write it."""
    series = SERIES[kind]
    return f"{next_number(unit=unit, year=year, series=series)}/{series}-{unit.code}"


# ---------------------------------------------------------------------------
# Opening a case and the no-overlap rule


DEADLOCK_DETECTED = "40P01"


def _serialised(work):
    """Run ``work`` (which opens its own transaction) again when the database
    turned it away for a concurrent writer:

    - SQLite takes the database lock at BEGIN IMMEDIATE; its shared-cache test
      database answers "locked" at once instead of waiting, so the portable path
      waits here;
    - PostgreSQL may find two concurrent inserts that conflict under an exclusion
      constraint waiting for each other, and aborts one as a deadlock; run again,
      that one sees the other's committed row and gets the usual conflict."""
    for attempt in range(60):
        try:
            return work()
        except OperationalError as exc:
            locked = connection.vendor == "sqlite" and "locked" in str(exc)
            deadlock = getattr(exc.__cause__, "pgcode", None) == DEADLOCK_DETECTED
            if not (locked or (deadlock and attempt < 3)) or attempt == 59:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None  # not reached


def overlapping_cases(*, enterprise_id: int, content: str, period_from, period_to, exclude=None):
    found = AuditCase.objects.filter(
        enterprise_id=enterprise_id,
        content=content,
        is_open=True,
        period_from__lte=period_to,
        period_to__gte=period_from,
    ).select_related("unit")
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return found


def _conflict(case: AuditCase) -> ConflictError:
    return ConflictError(
        _(
            "The enterprise already has an open audit of this content for an overlapping "
            "period: case %(number)s held by %(unit)s (%(period_from)s–%(period_to)s)."
        )
        % {
            "number": case.number,
            "unit": f"{case.unit.code} – {case.unit.name}",
            "period_from": f"{case.period_from:%d/%m/%Y}",
            "period_to": f"{case.period_to:%d/%m/%Y}",
        },
        code="overlapping_audit",
        details={"case": case.number, "unit": case.unit.code},
    )


def open_case(
    *,
    enterprise: Enterprise,
    unit: Unit,
    user,
    kind: str,
    legal_basis: str,
    content: str,
    period_from: dt.date,
    period_to: dt.date,
    summary: str = "",
    estimated_officer_days: int = 0,
    risk_score_id: int | None = None,
    risk_snapshot: dict | None = None,
) -> AuditCase:
    """Open a case in information collection, with the enterprise's declarations
    of the audited period (within the 5-year window) in scope.

    No two open cases of an enterprise may share content and overlap in period,
    whatever their units. On PostgreSQL the exclusion constraint
    ``audit_case_no_overlap`` decides between concurrent requests; elsewhere the
    enterprise row is locked while the check and the insert run."""
    if user is not None and not can_see_unit(user, unit):
        raise NotAllowed(_("You may not open cases for unit %(unit)s.") % {"unit": unit.code})
    if period_from > period_to:
        raise DomainError(_("The audited period must start before it ends."), field="period_from")
    today = timezone.localdate()
    if period_to > today:
        raise DomainError(_("The audited period cannot end in the future."), field="period_to")

    def work():
        with transaction.atomic():
            if connection.vendor != "postgresql":
                Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
            existing = overlapping_cases(
                enterprise_id=enterprise.pk,
                content=content,
                period_from=period_from,
                period_to=period_to,
            ).first()
            if existing:
                raise _conflict(existing)
            year = today.year
            case = AuditCase(
                number=f"{unit.code}-{year}-{next_number(unit=unit, year=year, series='HS'):04d}",
                enterprise=enterprise,
                unit=unit,
                kind=kind,
                legal_basis=legal_basis,
                content=content,
                period_from=period_from,
                period_to=period_to,
                summary=summary,
                estimated_officer_days=estimated_officer_days,
                needs_central=needs_central(unit=unit, enterprise=enterprise),
                risk_score_id=risk_score_id,
                risk_snapshot=risk_snapshot or {},
                created_by=user,
            )
            try:
                with transaction.atomic():
                    case.save()
            except IntegrityError as exc:
                if "audit_case_no_overlap" not in str(exc):
                    raise
                raise _conflict(
                    overlapping_cases(
                        enterprise_id=enterprise.pk,
                        content=content,
                        period_from=period_from,
                        period_to=period_to,
                    ).first()
                ) from exc
            _record(case, user, "audits.case.opened", "", case.state, summary, {})
            in_period = Declaration.objects.filter(
                enterprise=enterprise,
                is_current=True,
                registered_on__gte=max(period_from, oldest_allowed_registration(today)),
                registered_on__lte=period_to,
            )
            ScopeDeclaration.objects.bulk_create(
                [ScopeDeclaration(case=case, declaration=d) for d in in_period]
            )
            refresh_deadline(case)
            return case

    case = _serialised(work)
    logger.info("audit case %s opened by %s for enterprise %s", case.number, user, enterprise.pk)
    return case


def propose_from_risk(
    *,
    enterprise: Enterprise,
    score_id: int | None,
    unit: Unit,
    user,
    kind: str,
    content: str,
    period_from: dt.date,
    period_to: dt.date,
    estimated_officer_days: int,
    note: str = "",
) -> AuditCase:
    """One step from a risk-list entry to a proposed case: the score and its reasons
    are frozen on the case as they were at the time of selection."""
    snapshot = risk_snapshot(score_id) if score_id else {}
    case = open_case(
        enterprise=enterprise,
        unit=unit,
        user=user,
        kind=kind,
        legal_basis=AuditCase.LegalBasis.RISK,
        content=content,
        period_from=period_from,
        period_to=period_to,
        summary=note,
        estimated_officer_days=estimated_officer_days,
        risk_score_id=score_id,
        risk_snapshot=snapshot,
    )
    perform(
        case=case,
        action="proposed",
        user=user,
        data={"estimated_officer_days": estimated_officer_days, "note": note},
    )
    case.refresh_from_db()
    return case


def risk_snapshot(score_id: int) -> dict:
    """The frozen score from the risk app, or a bare reference while it has none."""
    try:
        from risk.selectors import score_snapshot
    except ImportError:
        # The risk app does not provide score_snapshot yet: the case keeps the
        # score's id only, and the page says that no reasons were frozen.
        return {"score_id": score_id, "unavailable": True}
    try:
        snapshot = score_snapshot(score_id=score_id)
    except ObjectDoesNotExist:
        # A score deleted since the list was shown: the proposal keeps its id.
        logger.warning("risk score %s not found: nothing frozen", score_id)
        return {"score_id": score_id, "unavailable": True}
    return _json_safe(snapshot)


def _json_safe(value):
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, Decimal | dt.date | dt.datetime):
        return str(value)
    return value


# ---------------------------------------------------------------------------
# Scope


def add_to_scope(*, case: AuditCase, numbers: list[str], user) -> list[ScopeDeclaration]:
    """Put declarations of the case's enterprise in scope; each must be within 5
    years of the decision date (today while the decision is not signed)."""
    if case.state not in lifecycle.BEFORE_DECISION:
        raise DomainError(
            _("Declarations can be added only before the decision is signed; amend it instead.")
        )
    decision_on = case.decision_signed_on or timezone.localdate()
    oldest = oldest_allowed_registration(decision_on)
    added = []
    with transaction.atomic():
        for number in numbers:
            declaration = Declaration.objects.filter(
                number=number, is_current=True, enterprise=case.enterprise
            ).first()
            if declaration is None:
                raise DomainError(
                    _("Declaration %(number)s is not a declaration of %(enterprise)s.")
                    % {"number": number, "enterprise": case.enterprise.name},
                    field="numbers",
                )
            if declaration.registered_on < oldest:
                raise DomainError(
                    _(
                        "Declaration %(number)s was registered on %(date)s, more than 5 years "
                        "before %(decision)s: it needs a specialised inspection, not an audit."
                    )
                    % {
                        "number": number,
                        "date": f"{declaration.registered_on:%d/%m/%Y}",
                        "decision": f"{decision_on:%d/%m/%Y}",
                    },
                    field="numbers",
                    code="outside_five_years",
                )
            scope, created = ScopeDeclaration.objects.get_or_create(
                case=case, declaration=declaration
            )
            if created:
                added.append(scope)
        if added:
            _record(
                case,
                user,
                "audits.case.scope_added",
                case.state,
                case.state,
                "",
                {"declarations": [s.declaration.number for s in added]},
            )
    return added


# ---------------------------------------------------------------------------
# The transition table applied


# Form field of a step -> the case field it sets.
DATE_FIELDS = {
    "signed_on": "decision_signed_on",
    "start_on": "start_on",
    "sent_on": "decision_sent_on",
    "started_on": "started_on",
    "answered_on": "answered_on",
    "ended_on": "ended_on",
    "minutes_on": "minutes_on",
    "draft_on": "draft_on",
    "explanation_on": "explanation_on",
    "expert_requested_on": "expert_requested_on",
    "expert_received_on": "expert_received_on",
    "concluded_on": "concluded_on",
    "closed_on": "closed_on",
}
PLAIN_FIELDS = ("planned_year", "second_audit_reason", "estimated_officer_days", "extension_days")

# Dates that must not come before another: (later, earlier).
DATE_ORDER = (
    ("start_on", "decision_signed_on"),
    ("decision_sent_on", "decision_signed_on"),
    ("started_on", "decision_signed_on"),
    ("ended_on", "started_on"),
    ("minutes_on", "started_on"),
    ("draft_on", "minutes_on"),
    ("explanation_on", "draft_on"),
    ("expert_received_on", "expert_requested_on"),
    ("concluded_on", "ended_on"),
    ("closed_on", "concluded_on"),
)


def _require(condition, message, field=None, code="missing"):
    if not condition:
        raise DomainError(message, field=field, code=code)


def _req_scope(case, data, before):
    _require(
        case.scope.exists(),
        _("Put at least one declaration in scope first."),
        code="no_scope",
    )


def _req_authority(case, data, before):
    case.needs_central = needs_central(unit=case.unit, enterprise=case.enterprise)


def _req_second_audit(case, data, before):
    if not settings.AUDIT_ONCE_A_YEAR_RULE:
        return
    if case.legal_basis == AuditCase.LegalBasis.SIGNS_OF_VIOLATION:
        return
    year = case.planned_year
    _require(year, _("Give the plan year."), field="planned_year")
    other = (
        AuditCase.objects.filter(enterprise=case.enterprise)
        .exclude(pk=case.pk)
        .exclude(state=State.CANCELLED)
        .filter(Q(planned_year=year) | Q(decision_signed_on__year=year))
        .exclude(legal_basis=AuditCase.LegalBasis.SIGNS_OF_VIOLATION)
        .select_related("unit")
        .first()
    )
    if other is not None:
        _require(
            case.second_audit_reason.strip(),
            _(
                "Case %(number)s (%(unit)s) already audits this enterprise in %(year)s: record "
                "the reason for a second planned audit this year."
            )
            % {"number": other.number, "unit": other.unit.code, "year": year},
            field="second_audit_reason",
            code="second_audit",
        )


def _req_lead(case, data, before):
    _require(case.lead_id, _("Assign the team lead first."), code="no_lead")


def _req_start_on(case, data, before):
    _require(case.start_on, _("Give the scheduled start date."), field="start_on")


def _req_five_years(case, data, before):
    oldest = oldest_allowed_registration(case.decision_signed_on)
    too_old = case.declarations.filter(registered_on__lt=oldest).order_by("registered_on")
    if too_old.exists():
        raise DomainError(
            _(
                "Declarations registered before %(date)s are more than 5 years old on the "
                "decision date and must leave the scope: %(numbers)s."
            )
            % {
                "date": f"{oldest:%d/%m/%Y}",
                "numbers": ", ".join(d.number for d in too_old[:10]),
            },
            code="outside_five_years",
        )


OFFICE_AUDIT_DAYS_AFTER_CLEARANCE = 60  # Circular 38 art. 142


def _req_office_own_dossiers(case, data, before):
    """A customs office (sub-department) audits at its own premises only the
    dossiers it cleared, within 60 days of clearance (Circular 38 art. 142)."""
    if case.unit.kind != Unit.Kind.OFFICE or case.kind != AuditCase.Kind.OFFICE:
        return
    signed = case.decision_signed_on
    foreign = case.declarations.exclude(customs_office__path__startswith=case.unit.path)
    late = case.declarations.filter(
        Q(cleared_on__isnull=True)
        | Q(cleared_on__lt=signed - dt.timedelta(days=OFFICE_AUDIT_DAYS_AFTER_CLEARANCE))
    )
    for found, message in (
        (foreign, _("A customs office audits only the declarations it cleared: %(numbers)s.")),
        (
            late,
            _(
                "A customs office audits a declaration only within 60 days of its clearance: "
                "%(numbers)s."
            ),
        ),
    ):
        numbers = list(found.values_list("number", flat=True)[:10])
        if numbers:
            raise DomainError(message % {"numbers": ", ".join(numbers)}, code="office_dossiers")


def _req_document(kind):
    def check(case, data, before):
        _require(
            case.documents.filter(kind=kind).exists(),
            _("The %(document)s has not been produced.")
            % {"document": CaseDocument.Kind(kind).label},
            code="no_document",
        )

    return check


def _req_sent_before_start(case, data, before):
    if case.legal_basis == AuditCase.LegalBasis.SIGNS_OF_VIOLATION:
        return
    latest = rules.BY_CODE["notice_before_start"].due(case)
    if case.decision_sent_on > latest:
        raise DomainError(
            _(
                "The decision must reach the declarant at least 5 working days before the start "
                "(%(start)s), that is by %(latest)s: amend the start date first."
            )
            % {"start": f"{case.start_on:%d/%m/%Y}", "latest": f"{latest:%d/%m/%Y}"},
            field="sent_on",
            code="too_late",
        )


def _req_sent_or_violation(case, data, before):
    _require(
        case.state == State.DECISION_SENT
        or case.legal_basis == AuditCase.LegalBasis.SIGNS_OF_VIOLATION,
        _("Send the decision first (only an audit for signs of violation starts at hand-over)."),
        code="not_sent",
    )


def _req_answer_overdue(case, data, before):
    due = rules.BY_CODE["declarant_answer"].due(case)
    _require(
        due is not None and not case.answered_on and timezone.localdate() > due,
        _("The declarant still has until %(date)s to answer.")
        % {"date": f"{due:%d/%m/%Y}" if due else "–"},
        code="not_overdue",
    )


def _req_kind(kind):
    def check(case, data, before):
        _require(
            case.kind == kind,
            _("This step is for an audit %(kind)s only.")
            % {"kind": str(AuditCase.Kind(kind).label).lower()},
            code="wrong_kind",
        )

    return check


def _req_not_extended(case, data, before):
    _require(
        before.extension_days is None,
        _("A premises audit can be extended only once."),
        code="already_extended",
    )


def _req_started(case, data, before):
    _require(case.started_on, _("The audit has not started."), code="not_started")


def _req_results(case, data, before):
    _require(
        case.findings.exists() or data.get("no_violation"),
        _("Record the findings, or state that no violation was found."),
        field="no_violation",
        code="no_results",
    )


def _req_conclusion(case, data, before):
    _require(
        case.documents.filter(
            kind__in=[CaseDocument.Kind.CONCLUSION, CaseDocument.Kind.RESULT_NOTICE]
        ).exists(),
        _("The conclusion or result notice has not been issued."),
        code="no_document",
    )


def _req_note(case, data, before):
    _require((data.get("note") or "").strip(), _("Give the reason."), field="note")


REQUIREMENTS = {
    "scope_declarations": _req_scope,
    "authority": _req_authority,
    "second_audit_reason": _req_second_audit,
    "lead": _req_lead,
    "start_on": _req_start_on,
    "five_year_window": _req_five_years,
    "office_own_dossiers": _req_office_own_dossiers,
    "decision_document": _req_document(CaseDocument.Kind.DECISION),
    "sent_before_start": _req_sent_before_start,
    "decision_sent_or_violation": _req_sent_or_violation,
    "answer_overdue": _req_answer_overdue,
    "premises": _req_kind(AuditCase.Kind.PREMISES),
    "office": _req_kind(AuditCase.Kind.OFFICE),
    "not_extended": _req_not_extended,
    "started": _req_started,
    "results_recorded": _req_results,
    "conclusion_document": _req_conclusion,
    "note": _req_note,
}


def role_allows(transition: lifecycle.Transition, user) -> bool:
    if user is None:
        return SYSTEM in transition.roles
    return user.is_superuser or user.role in transition.roles


def unit_allows(transition: lifecycle.Transition, case: AuditCase, user) -> bool:
    if user is None:
        return True
    if transition.unit == CENTRAL or (transition.unit == AUTHORITY and case.needs_central):
        return user.sees_everything
    return can_see_unit(user, case.unit)


def allowed_actions(*, case: AuditCase, user) -> list[lifecycle.Transition]:
    """The steps ``user`` may try on ``case`` now (requirements are checked on submit)."""
    allowed = [
        t
        for t in lifecycle.actions_from(case.state)
        if role_allows(t, user) and unit_allows(t, case, user) and _kind_fits(t, case)
    ]
    # The step that moves the case forward first, then the steps that record data
    # on the way, then the side paths that stop it.
    side_paths = {"suspended", "cancelled", "decision_cancelled", "returned", "non_compliant"}

    def order(t):
        if t.action in side_paths:
            return 2
        return 1 if t.target == lifecycle.SAME else 0

    return sorted(allowed, key=order)


def _kind_fits(transition, case) -> bool:
    if "premises" in transition.requires:
        return case.kind == AuditCase.Kind.PREMISES
    if "office" in transition.requires:
        return case.kind == AuditCase.Kind.OFFICE
    return True


def _apply_data(case: AuditCase, transition, data: dict) -> None:
    for name in transition.fields:
        if name not in data or data[name] in (None, ""):
            continue
        value = data[name]
        if name in DATE_FIELDS:
            # Steps record what happened; only the scheduled start lies ahead.
            if name != "start_on" and value > timezone.localdate():
                raise DomainError(
                    _("%(field)s cannot be in the future.")
                    % {"field": AuditCase._meta.get_field(DATE_FIELDS[name]).verbose_name},
                    field=name,
                    code="future_date",
                )
            setattr(case, DATE_FIELDS[name], value)
        elif name in PLAIN_FIELDS:
            setattr(case, name, value)
        elif name == "unit":
            case.unit = value
            case.needs_central = needs_central(unit=value, enterprise=case.enterprise)
        elif name == "lead":
            case.lead = value
    if transition.action == "extended":
        days = data.get("extension_days")
        _require(
            days and 1 <= int(days) <= rules.EXTENSION_MAX_WD,
            _("An extension is 1 to %(max)d working days.") % {"max": rules.EXTENSION_MAX_WD},
            field="extension_days",
        )
    if transition.action == "non_compliant":
        case.non_compliant_on = timezone.localdate()
    if transition.action == "minutes_recorded" and not case.minutes_on:
        case.minutes_on = timezone.localdate()
    for later, earlier in DATE_ORDER:
        a, b = getattr(case, later), getattr(case, earlier)
        if a and b and a < b:
            raise DomainError(
                _("%(later)s (%(a)s) cannot be before %(earlier)s (%(b)s).")
                % {
                    "later": AuditCase._meta.get_field(later).verbose_name,
                    "a": f"{a:%d/%m/%Y}",
                    "earlier": AuditCase._meta.get_field(earlier).verbose_name,
                    "b": f"{b:%d/%m/%Y}",
                },
                field=next((k for k, v in DATE_FIELDS.items() if v == later), None),
                code="date_order",
            )


def perform(*, case: AuditCase, action: str, user, data: dict | None = None) -> CaseEvent:
    """Take one step of the lifecycle on ``case`` as ``user`` (None: the daily task).

    Checks, in order: the step exists, the case is in one of its source states,
    the user's role and unit may take it, its data and documents exist; then
    records the data, moves the state, writes the event row, produces the step's
    document and feeds results back when the case closes."""
    data = dict(data or {})
    if action not in lifecycle.BY_ACTION:
        raise DomainError(_("Unknown step %(action)s.") % {"action": action}, code="unknown")
    transition = lifecycle.transition(action)

    with transaction.atomic():
        case = (
            AuditCase.objects.select_for_update()
            .select_related("unit", "enterprise")
            .get(pk=case.pk)
        )
        if case.state not in transition.sources:
            raise DomainError(
                _("“%(step)s” is not possible while the case is “%(state)s”.")
                % {"step": transition.label, "state": case.get_state_display()},
                code="wrong_state",
            )
        if not role_allows(transition, user):
            raise NotAllowed(
                _("Your role may not take the step “%(step)s”.") % {"step": transition.label},
                code="forbidden",
            )
        if not unit_allows(transition, case, user):
            raise NotAllowed(
                _("The step “%(step)s” on this case is decided by the central level.")
                % {"step": transition.label}
                if transition.unit != lifecycle.CASE_UNIT
                else _("The case belongs to another unit."),
                code="forbidden",
            )

        before = case.state
        original = copy.copy(case)
        _apply_data(case, transition, data)
        for requirement in transition.requires:
            REQUIREMENTS[requirement](case, data, original)
        if transition.action == "suspended":
            case.suspended_from = before
        case.state = transition.leads_to(before, case.suspended_from)
        if transition.action == "resumed":
            case.suspended_from = ""
        case.is_open = case.state not in lifecycle.FINAL_STATES
        if transition.action == "closed" and not case.closed_on:
            case.closed_on = timezone.localdate()
        case.save()
        if "members" in transition.fields and data.get("members") is not None:
            case.members.set(data["members"])

        event = _record(
            case,
            user,
            transition.code,
            before,
            case.state,
            data.get("note", ""),
            _event_data(transition, data),
        )
        if transition.document:
            issue_document(case=case, kind=transition.document, user=user, event=event)
        if transition.action == "closed":
            feed_back_outcomes(case=case)
        if transition.action == "non_compliant":
            _queue_non_compliance(case)
        refresh_deadline(case)
    logger.info("audit case %s: %s (%s -> %s) by %s", case.number, action, before, case.state, user)
    return event


def _event_data(transition, data: dict) -> dict:
    recorded = {}
    for name in transition.fields:
        value = data.get(name)
        if name == "note" or value in (None, ""):
            continue
        if name == "members":
            recorded[name] = [str(member) for member in value]
        elif isinstance(value, dt.date):
            recorded[name] = value.isoformat()
        elif hasattr(value, "pk"):
            recorded[name] = str(value)
        else:
            recorded[name] = value
    return recorded


def _record(case, user, action, before, after, note, data) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        action=action,
        actor=user,
        from_state=before,
        to_state=after,
        note=note or "",
        data=data,
    )


def refresh_deadline(case: AuditCase) -> None:
    deadline = rules.next_deadline(case)
    AuditCase.objects.filter(pk=case.pk).update(
        next_deadline_on=deadline.due_on if deadline else None,
        next_deadline_code=deadline.code if deadline else "",
    )
    case.next_deadline_on = deadline.due_on if deadline else None
    case.next_deadline_code = deadline.code if deadline else ""


# ---------------------------------------------------------------------------
# Documents and attachments


def issue_document(*, case: AuditCase, kind: str, user, event=None) -> CaseDocument:
    """Number the step's document in its unit's series for the year, render it as a
    PDF and keep it with the case (private storage)."""
    from audits import documents

    issued_on = timezone.localdate()
    number = document_number(unit=case.unit, year=issued_on.year, kind=kind)
    pdf = documents.render_pdf(case=case, kind=kind, number=number, issued_on=issued_on)
    document = CaseDocument(
        case=case,
        kind=kind,
        number=number,
        issued_on=issued_on,
        sha256=hashlib.sha256(pdf).hexdigest(),
        event=event,
        created_by=user,
    )
    safe_number = number.replace("/", "-")
    document.file.save(f"{kind}-{safe_number}.pdf", ContentFile(pdf), save=False)
    document.save()
    return document


def attach_file(*, case: AuditCase, upload, kind: str, user, description: str = "", document=None):
    """Keep a scanned signed copy or an evidence file with the case, after checking
    its real type (magic bytes), its extension and its size."""
    from audits.uploads import check_upload

    content_type, digest = check_upload(upload)
    attachment = Attachment(
        case=case,
        kind=kind,
        document=document,
        original_name=upload.name[:255],
        content_type=content_type,
        size=upload.size,
        sha256=digest,
        description=description,
        uploaded_by=user,
    )
    with transaction.atomic():
        attachment.file.save(f"{digest[:16]}-{upload.name[-80:]}", upload, save=False)
        attachment.save()
        _record(
            case,
            user,
            "audits.case.attachment_added",
            case.state,
            case.state,
            description,
            {"file": attachment.original_name, "kind": kind},
        )
    return attachment


# ---------------------------------------------------------------------------
# Results


FINDING_FIELDS = (
    "issue",
    "description",
    "import_duty",
    "vat",
    "special_consumption_tax",
    "environmental_tax",
    "fine",
    "assessed_on",
    "collected",
    "collected_on",
    "appealed",
    "appealed_on",
    "written_off",
    "written_off_on",
)
RESULT_STATES = (
    State.IN_PROGRESS,
    State.MINUTES,
    State.DRAFT_CONCLUSION,
    State.EXPLANATION,
    State.EXPERT_OPINION,
    State.CONCLUDED,
    State.HANDLING,
)


def record_finding(
    *, case: AuditCase, user, declaration_number: str, line_no: int | None = None, **values
) -> Finding:
    """A finding on a declaration in scope (optionally one goods line)."""
    if case.state not in RESULT_STATES:
        raise DomainError(
            _("Findings are recorded from the start of the audit until the case closes."),
            code="wrong_state",
        )
    declaration = case.declarations.filter(number=declaration_number).first()
    if declaration is None:
        raise DomainError(
            _("Declaration %(number)s is not in the scope of this case.")
            % {"number": declaration_number},
            field="declaration_number",
        )
    if line_no and not declaration.lines.filter(line_no=line_no).exists():
        raise DomainError(
            _("Declaration %(number)s has no goods line %(line)s.")
            % {"number": declaration_number, "line": line_no},
            field="line_no",
        )
    unknown = set(values) - set(FINDING_FIELDS)
    if unknown:
        raise DomainError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    finding = Finding(case=case, declaration=declaration, line_no=line_no or None, **values)
    _check_amounts(finding)
    with transaction.atomic():
        finding.save()
        _record(
            case,
            user,
            "audits.case.finding_recorded",
            case.state,
            case.state,
            finding.description[:200],
            {"declaration": declaration.number, "total": str(finding.total_assessed)},
        )
    return finding


def update_collection(*, finding: Finding, user, **values) -> Finding:
    """Amounts collected, appealed and written off, with their dates."""
    allowed = {"collected", "collected_on", "appealed", "appealed_on", "written_off"}
    allowed |= {"written_off_on", "assessed_on"}
    for name, value in values.items():
        if name not in allowed:
            raise DomainError(_("Unknown fields: %(fields)s") % {"fields": name})
        setattr(finding, name, value)
    _check_amounts(finding)
    with transaction.atomic():
        finding.save()
        _record(
            finding.case,
            user,
            "audits.case.collection_updated",
            finding.case.state,
            finding.case.state,
            "",
            {"finding": finding.pk, "outstanding": str(finding.outstanding)},
        )
    return finding


def _check_amounts(finding: Finding) -> None:
    for name in ("import_duty", "vat", "special_consumption_tax", "environmental_tax", "fine"):
        _require(getattr(finding, name) >= 0, _("Amounts cannot be negative."), field=name)
    for amount, day in (
        ("collected", "collected_on"),
        ("appealed", "appealed_on"),
        ("written_off", "written_off_on"),
    ):
        _require(getattr(finding, amount) >= 0, _("Amounts cannot be negative."), field=amount)
        _require(
            not getattr(finding, amount) or getattr(finding, day),
            _("Give the date of the amount %(field)s.")
            % {"field": Finding._meta.get_field(amount).verbose_name},
            field=day,
        )
    _require(
        finding.collected + finding.appealed + finding.written_off <= finding.total_assessed,
        _("Collected, appealed and written off together exceed what was assessed."),
        field="collected",
    )


def feed_back_outcomes(*, case: AuditCase) -> int:
    """On closing: one declarations.Outcome (source "audit") per declaration in
    scope, with what was found, and the enterprise's last audit date. Risk models
    learn from these rows. Safe to run twice (update_or_create on the reference)."""
    decided_on = case.concluded_on or case.closed_on or timezone.localdate()
    count = 0
    for declaration in case.declarations.all():
        totals = case.findings.filter(declaration=declaration).aggregate(
            duty=Sum("import_duty"),
            vat=Sum("vat"),
            sct=Sum("special_consumption_tax"),
            env=Sum("environmental_tax"),
            fine=Sum("fine"),
        )
        tax = sum((totals[k] or 0) for k in ("duty", "vat", "sct", "env"))
        found = case.findings.filter(declaration=declaration).exists()
        Outcome.objects.update_or_create(
            source=Outcome.Source.AUDIT,
            reference=f"{case.number}/{declaration.number}"[:60],
            defaults={
                "declaration_number": declaration.number,
                "declaration": declaration,
                "decided_on": decided_on,
                "violation_found": found,
                "critical": 1 if found else 0,
                "additional_tax": tax,
                "fine": totals["fine"] or 0,
                "note": f"{case.get_kind_display()} · {case.get_content_display()}",
            },
        )
        count += 1
    Enterprise.objects.filter(pk=case.enterprise_id).update(last_audit_on=case.closed_on)
    return count


def _queue_non_compliance(case: AuditCase) -> None:
    from integrations.outbound import queue_message

    queue_message(
        kind="pca.non_compliant",
        key=f"case-{case.pk}-noncompliant",
        payload={
            "case": case.number,
            "tax_code": case.enterprise.tax_code,
            "enterprise": case.enterprise.name,
            "unit": case.unit.code,
            "scheduled_on": case.start_on.isoformat() if case.start_on else None,
            "recorded_on": case.non_compliant_on.isoformat(),
            "reason": "no answer 3 working days after the scheduled date",
        },
    )

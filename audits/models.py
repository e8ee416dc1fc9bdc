"""Audit cases, their events, documents, attachments, scope, findings and alerts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audits.lifecycle import FINAL_STATES, State
from declarations.models import Declaration
from enterprises.models import Enterprise
from stq02.models import Unit
from stq02.scoping import ScopedManager

VND = {"max_digits": 20, "decimal_places": 0}


class AuditCase(models.Model):
    class Kind(models.TextChoices):
        OFFICE = "office", _("At the customs office")
        PREMISES = "premises", _("At the declarant's premises")

    class LegalBasis(models.TextChoices):
        SIGNS_OF_VIOLATION = "signs_of_violation", _("Signs of violation")
        RISK = "risk", _("Risk-based selection")
        COMPLIANCE = "compliance", _("Compliance assessment")
        ANNUAL_PLAN = "annual_plan", _("Annual plan")

    class Content(models.TextChoices):
        """What the audit examines. Two open audits of one enterprise conflict when
        their periods overlap and their content is the same."""

        GENERAL = "general", _("Compliance with customs and tax law (general)")
        VALUATION = "valuation", _("Customs value")
        CLASSIFICATION = "classification", _("HS classification and tariff rates")
        ORIGIN = "origin", _("Origin and preferential tariffs")
        PROCESSING = "processing", _("Processing, export production, duty exemption")

    number = models.CharField(_("case number"), max_length=40, unique=True, editable=False)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="audit_cases",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="audit_cases"
    )
    kind = models.CharField(_("kind of audit"), max_length=10, choices=Kind.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices)
    content = models.CharField(
        _("content"), max_length=20, choices=Content.choices, default=Content.GENERAL
    )
    period_from = models.DateField(_("audited period from"))
    period_to = models.DateField(_("audited period to"))
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.INFORMATION
    )
    is_open = models.BooleanField(
        _("open"), default=True, editable=False, help_text=_("not closed and not cancelled")
    )
    suspended_from = models.CharField(
        _("suspended in state"), max_length=20, choices=State.choices, blank=True
    )
    summary = models.TextField(_("grounds and information collected"), blank=True)
    planned_year = models.PositiveSmallIntegerField(_("plan year"), null=True, blank=True)
    estimated_officer_days = models.PositiveIntegerField(_("estimated officer-days"), default=0)
    second_audit_reason = models.TextField(_("reason for a second audit this year"), blank=True)
    needs_central = models.BooleanField(
        _("decided centrally"),
        default=False,
        help_text=_("AEO enterprise, or an enterprise outside the unit's area"),
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_audit_cases",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team members"),
        blank=True,
        related_name="audit_cases",
    )
    declarations = models.ManyToManyField(
        Declaration,
        verbose_name=_("declarations in scope"),
        through="ScopeDeclaration",
        related_name="audit_cases",
    )
    # The dates of the steps. The deadline rules (audits.rules) read these.
    decision_signed_on = models.DateField(_("decision signed on"), null=True, blank=True)
    start_on = models.DateField(_("scheduled start"), null=True, blank=True)
    decision_sent_on = models.DateField(_("decision sent on"), null=True, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    answered_on = models.DateField(_("declarant answered on"), null=True, blank=True)
    non_compliant_on = models.DateField(_("recorded non-compliant on"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(
        _("extension (working days)"), null=True, blank=True
    )
    ended_on = models.DateField(_("audit ended on"), null=True, blank=True)
    minutes_on = models.DateField(_("last minutes on"), null=True, blank=True)
    draft_on = models.DateField(_("draft conclusion sent on"), null=True, blank=True)
    explanation_on = models.DateField(_("explanation received on"), null=True, blank=True)
    expert_requested_on = models.DateField(_("expert opinion requested on"), null=True, blank=True)
    expert_received_on = models.DateField(_("expert opinion received on"), null=True, blank=True)
    concluded_on = models.DateField(_("conclusion / result notice on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    next_deadline_on = models.DateField(_("next deadline"), null=True, blank=True, db_index=True)
    next_deadline_code = models.CharField(_("next deadline rule"), max_length=30, blank=True)
    # What justified the proposal, frozen as it was (risk.selectors.score_snapshot).
    risk_score_id = models.BigIntegerField(_("risk score"), null=True, blank=True)
    risk_snapshot = models.JSONField(_("risk score at proposal"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    scope_fields = ("unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("audit case")
        verbose_name_plural = _("audit cases")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_from__lte=models.F("period_to")),
                name="audit_case_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(extension_days__isnull=True)
                | models.Q(extension_days__gte=1, extension_days__lte=10),
                name="audit_case_extension_1_10",
            ),
        ]
        # On PostgreSQL migration 0002 adds the exclusion constraint
        # audit_case_no_overlap (btree_gist): one open case per enterprise, content
        # and overlapping period.
        indexes = [models.Index(fields=["enterprise", "is_open"])]

    def __str__(self):
        return f"{self.number} {self.enterprise.name}"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def is_office(self) -> bool:
        return self.kind == self.Kind.OFFICE


class CaseEvent(models.Model):
    """One step taken on a case: the evidence trail (who, when, from, to, why)."""

    case = models.ForeignKey(
        AuditCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data recorded"), default=dict, blank=True)

    scope_fields = ("case__unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self):
        return f"{self.case_id} {self.action}"


class DocumentCounter(models.Model):
    """The last number given in a series (decisions, minutes…) of a unit in a year."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    series = models.CharField(max_length=10)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "series"], name="document_counter_once")
        ]

    def __str__(self):
        return f"{self.unit_id} {self.year} {self.series}: {self.last}"


def _document_path(instance, filename):
    return f"audits/{instance.case_id}/documents/{filename}"


def _attachment_path(instance, filename):
    return f"audits/{instance.case_id}/attachments/{filename}"


class CaseDocument(models.Model):
    class Kind(models.TextChoices):
        DECISION = "decision", _("Audit decision (form 01)")
        AMENDMENT = "amendment", _("Amendment decision (form 03)")
        EXTENSION = "extension", _("Extension decision (form 04)")
        CONCLUSION = "conclusion", _("Conclusion (form 05)")
        RESULT_NOTICE = "result_notice", _("Result notice (form 06)")
        CANCELLATION = "cancellation", _("Cancellation decision (form 07)")
        MINUTES = "minutes", _("Minutes (form 08)")
        ANNOUNCEMENT = "announcement", _("Announcement minutes (form 09)")
        NOTICE = "notice", _("Notice to the declarant")

    case = models.ForeignKey(
        AuditCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=60)
    issued_on = models.DateField(_("issued on"))
    file = models.FileField(_("file"), upload_to=_document_path, max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    event = models.ForeignKey(
        CaseEvent,
        verbose_name=_("step"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_fields = ("case__unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")

    def __str__(self):
        return self.number


class Attachment(models.Model):
    class Kind(models.TextChoices):
        SIGNED_COPY = "signed_copy", _("Scanned signed copy")
        EVIDENCE = "evidence", _("Evidence")

    case = models.ForeignKey(
        AuditCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    document = models.ForeignKey(
        CaseDocument,
        verbose_name=_("signed copy of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_copies",
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    scope_fields = ("case__unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class ScopeDeclaration(models.Model):
    case = models.ForeignKey(AuditCase, on_delete=models.CASCADE, related_name="scope")
    declaration = models.ForeignKey(
        Declaration,
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="audit_scope",
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["declaration__registered_on", "pk"]
        verbose_name = _("declaration in scope")
        verbose_name_plural = _("declarations in scope")
        constraints = [
            models.UniqueConstraint(fields=["case", "declaration"], name="scope_declaration_once")
        ]

    def __str__(self):
        return f"{self.case_id} {self.declaration_id}"


class Finding(models.Model):
    """What the audit found on one declaration (and goods line), what was assessed,
    and what became of the money: collected, appealed, written off, with dates so
    that revenue ageing can be reported."""

    class Issue(models.TextChoices):
        VALUATION = "valuation", _("Customs value")
        CLASSIFICATION = "classification", _("HS classification")
        ORIGIN = "origin", _("Origin / preference")
        EXEMPTION = "exemption", _("Exemption / processing")
        OTHER = "other", _("Other")

    case = models.ForeignKey(
        AuditCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="findings"
    )
    declaration = models.ForeignKey(
        Declaration, verbose_name=_("declaration"), on_delete=models.PROTECT, related_name="+"
    )
    # The goods line's number on that declaration (a line is known by the pair:
    # declarations.DeclarationLine), or empty for the declaration as a whole.
    line_no = models.PositiveSmallIntegerField(_("goods line"), null=True, blank=True)
    issue = models.CharField(_("issue"), max_length=20, choices=Issue.choices)
    description = models.TextField(_("description"))
    import_duty = models.DecimalField(_("import duty assessed (VND)"), default=0, **VND)
    vat = models.DecimalField(_("VAT assessed (VND)"), default=0, **VND)
    special_consumption_tax = models.DecimalField(
        _("special consumption tax assessed (VND)"), default=0, **VND
    )
    environmental_tax = models.DecimalField(
        _("environmental protection tax assessed (VND)"), default=0, **VND
    )
    fine = models.DecimalField(_("fine (VND)"), default=0, **VND)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    collected = models.DecimalField(_("collected (VND)"), default=0, **VND)
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    appealed = models.DecimalField(_("under appeal (VND)"), default=0, **VND)
    appealed_on = models.DateField(_("appealed on"), null=True, blank=True)
    written_off = models.DecimalField(_("written off (VND)"), default=0, **VND)
    written_off_on = models.DateField(_("written off on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    scope_fields = ("case__unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["case", "declaration__number", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self):
        return f"{self.case_id} {self.declaration_id} {self.issue}"

    @property
    def tax_assessed(self):
        return self.import_duty + self.vat + self.special_consumption_tax + self.environmental_tax

    @property
    def total_assessed(self):
        return self.tax_assessed + self.fine

    @property
    def outstanding(self):
        return self.total_assessed - self.collected - self.appealed - self.written_off


class DeadlineAlert(models.Model):
    """An alert sent for one deadline of one case: once before, once after it passed."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Deadline approaching")
        OVERDUE = "overdue", _("Deadline passed")

    case = models.ForeignKey(
        AuditCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="alerts"
    )
    deadline = models.CharField(_("deadline"), max_length=30)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline alert")
        verbose_name_plural = _("deadline alerts")
        constraints = [
            models.UniqueConstraint(fields=["case", "deadline", "kind"], name="deadline_alert_once")
        ]

    def __str__(self):
        return f"{self.case_id} {self.deadline} {self.kind}"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="audit_notifications",
    )
    case = models.ForeignKey(
        AuditCase,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    alert = models.ForeignKey(
        DeadlineAlert,
        verbose_name=_("alert"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    message = models.CharField(_("message"), max_length=400)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.message

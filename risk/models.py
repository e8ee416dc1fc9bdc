"""Risk criteria, trained models, scoring runs and the frozen scores they produce."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from declarations.models import Declaration
from enterprises.models import Enterprise
from stq02.models import Unit
from stq02.scoping import ScopedManager


class Criterion(models.Model):
    """One version of a risk criterion: "indicator <operator> threshold" with a weight.

    Editing a criterion never changes this row: ``services.criterion_revise``
    closes it (``effective_until``) and adds the next version, so a score keeps
    pointing at the exact rule that produced it.
    """

    class Operator(models.TextChoices):
        GT = "gt", ">"
        GTE = "gte", "≥"
        LT = "lt", "<"
        LTE = "lte", "≤"
        EQ = "eq", "="

    code = models.CharField(_("code"), max_length=30, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    indicator = models.CharField(
        _("indicator"), max_length=40, help_text=_("a feature computed for every enterprise")
    )
    operator = models.CharField(_("operator"), max_length=3, choices=Operator.choices)
    threshold = models.FloatField(_("threshold"))
    weight = models.FloatField(_("weight"), default=1.0)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("applies to unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("empty: the whole force; otherwise the unit and the units below it"),
    )
    effective_from = models.DateField(_("effective from"))
    effective_until = models.DateField(
        _("effective until"), null=True, blank=True, help_text=_("exclusive; empty: open")
    )
    is_active = models.BooleanField(_("active"), default=True)
    legal_basis = models.CharField(_("legal basis / source"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("risk criterion")
        verbose_name_plural = _("risk criteria")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="criterion_version_once")
        ]

    def __str__(self):
        return f"{self.code} v{self.version}"

    def fires(self, value) -> bool:
        if value is None:
            return False
        return {
            "gt": value > self.threshold,
            "gte": value >= self.threshold,
            "lt": value < self.threshold,
            "lte": value <= self.threshold,
            "eq": value == self.threshold,
        }[self.operator]


class RiskModel(models.Model):
    """A trained, versioned estimator. Only an approved model scores."""

    class Kind(models.TextChoices):
        DECLARATION = "declaration", _("Declaration (documentary risk)")
        ENTERPRISE = "enterprise", _("Enterprise")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        RETIRED = "retired", _("Retired")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    estimator = models.CharField(_("estimator"), max_length=40)
    train_from = models.DateField(_("training from"), null=True, blank=True)
    train_until = models.DateField(_("training until (outcomes dated up to)"))
    test_from = models.DateField(_("measured from"), null=True, blank=True)
    test_until = models.DateField(_("measured until"), null=True, blank=True)
    training_rows = models.PositiveIntegerField(_("training rows"), default=0)
    features = models.JSONField(_("features"), default=list)
    metrics = models.JSONField(_("metrics on the later period"), default=dict)
    artefact = models.BinaryField(_("artefact (joblib)"))
    sha256 = models.CharField(_("SHA-256 of the artefact"), max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["artefact"])

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("risk model")
        verbose_name_plural = _("risk models")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="risk_model_version_once"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(status="approved"),
                name="risk_model_one_approved_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.version}"


class ClassPolicy(models.Model):
    """How many enterprises of a unit become audit subjects and monitoring subjects.

    A share of the unit's scored enterprises, and optionally a minimum score: the
    row of the nearest unit up the tree applies, the row without a unit is the
    default.
    """

    unit = models.OneToOneField(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    audit_share = models.FloatField(_("audit subjects (share of enterprises)"), default=0.05)
    monitoring_share = models.FloatField(_("monitoring subjects (share)"), default=0.15)
    min_audit_score = models.FloatField(_("minimum score for audit"), default=0.0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("classification policy")
        verbose_name_plural = _("classification policies")

    def __str__(self):
        return f"{self.unit or _('default')}: {self.audit_share:.0%} / {self.monitoring_share:.0%}"


class ScoringRun(models.Model):
    """One nightly (or hand-started) scoring of every enterprise as of a date."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        NORMS = "norms", _("HS norms")
        FEATURES = "features", _("Features")
        ENTERPRISES = "enterprises", _("Enterprises")
        CLASSES = "classes", _("Classes")
        DECLARATIONS = "declarations", _("Declarations")
        FINISHED = "finished", _("Finished")

    as_of = models.DateField(_("as of"), unique=True)
    seed = models.CharField(_("random seed"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    phase = models.CharField(_("phase"), max_length=12, choices=Phase.choices, default="norms")
    enterprise_model = models.ForeignKey(
        RiskModel,
        verbose_name=_("enterprise model"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    declaration_model = models.ForeignKey(
        RiskModel,
        verbose_name=_("declaration model"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprises_total = models.PositiveIntegerField(_("enterprises to score"), default=0)
    enterprises_done = models.PositiveIntegerField(_("enterprises scored"), default=0)
    last_enterprise_id = models.BigIntegerField(_("last enterprise processed"), default=0)
    declarations_done = models.PositiveIntegerField(_("declarations scored"), default=0)
    last_declaration_id = models.BigIntegerField(_("last declaration processed"), default=0)
    audit_count = models.PositiveIntegerField(_("audit subjects"), default=0)
    monitoring_count = models.PositiveIntegerField(_("monitoring subjects"), default=0)
    random_count = models.PositiveIntegerField(_("random selections"), default=0)
    claimed_by = models.CharField(_("claimed by"), max_length=80, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-as_of"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")

    def __str__(self):
        return f"{self.as_of:%d/%m/%Y} {self.get_status_display()}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.enterprises_total:
            return 0
        return min(99, int(100 * self.enterprises_done / self.enterprises_total))


class HsNorm(models.Model):
    """The value norm of an HS code and origin over the 12 months up to ``as_of``:
    the median customs value (VND) per unit of quantity over every enterprise's lines.
    Rebuilt for a date whenever features for that date are computed."""

    as_of = models.DateField(_("as of"), db_index=True)
    hs_code = models.CharField(_("HS code"), max_length=8)
    origin_country = models.CharField(
        _("origin"), max_length=2, blank=True, help_text=_("“*”: every origin")
    )
    median_unit_value = models.FloatField(_("median customs value per unit"))
    lines = models.PositiveIntegerField(_("lines"))
    reference_value = models.FloatField(
        _("norm lines are compared with"),
        null=True,
        help_text=_("this median with enough lines, else the HS code's over every origin"),
    )

    class Meta:
        verbose_name = _("HS value norm")
        verbose_name_plural = _("HS value norms")
        constraints = [
            models.UniqueConstraint(
                fields=["as_of", "hs_code", "origin_country"], name="hs_norm_once_per_day"
            )
        ]

    def __str__(self):
        return f"{self.hs_code}/{self.origin_country} {self.as_of}"


class HeadingRate(models.Model):
    """The highest and lowest duty rate declared inside an HS heading (4 digits)
    over the 12 months up to ``as_of``: the reference of the tariff-spread indicator."""

    as_of = models.DateField(_("as of"), db_index=True)
    heading = models.CharField(_("HS heading"), max_length=4)
    max_rate = models.FloatField(_("highest duty rate (%)"))
    min_rate = models.FloatField(_("lowest duty rate (%)"))

    class Meta:
        verbose_name = _("heading duty rates")
        verbose_name_plural = _("heading duty rates")
        constraints = [
            models.UniqueConstraint(fields=["as_of", "heading"], name="heading_rate_once_per_day")
        ]

    def __str__(self):
        return f"{self.heading} {self.as_of}"


class FeatureStage(models.Model):
    """The raw aggregates of one enterprise for one run (``risk.features.RAW``),
    written for every enterprise at once by ``features.stage`` and read back by the
    run's chunks. Deleted with the run; kept after it so a score can be re-derived."""

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="+")
    enterprise_id = models.BigIntegerField()
    raw = models.JSONField()

    class Meta:
        verbose_name = _("staged enterprise aggregates")
        verbose_name_plural = _("staged enterprise aggregates")
        constraints = [
            models.UniqueConstraint(fields=["run", "enterprise_id"], name="feature_stage_once")
        ]

    def __str__(self):
        return f"{self.run_id}:{self.enterprise_id}"


class EnterpriseScore(models.Model):
    """An enterprise's score in one run, with its reasons frozen as they were."""

    class Klass(models.TextChoices):
        AUDIT = "audit", _("Subject of post-clearance audit")
        MONITORING = "monitoring", _("Subject of monitoring")
        NOT_AUDITED = "not_audited", _("Not yet audited")

    run = models.ForeignKey(
        ScoringRun, verbose_name=_("scoring run"), on_delete=models.CASCADE, related_name="scores"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="risk_scores",
    )
    as_of = models.DateField(_("as of"))
    # The unit at scoring time: classes are ranked within it.
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    features = models.JSONField(_("features"), default=dict)
    criteria_score = models.FloatField(_("criteria score (0–1)"))
    model_score = models.FloatField(_("model score (0–1)"), null=True, blank=True)
    score = models.FloatField(_("score (0–1)"), db_index=True)
    klass = models.CharField(
        _("class"), max_length=12, choices=Klass.choices, default=Klass.NOT_AUDITED
    )
    is_random = models.BooleanField(_("random selection"), default=False)
    rank_in_unit = models.PositiveIntegerField(_("rank in unit"), null=True, blank=True)
    fired_codes = models.CharField(
        _("criteria fired"), max_length=500, blank=True, help_text="space-separated, for filtering"
    )
    hs_chapters = models.CharField(_("HS chapters traded"), max_length=300, blank=True)
    reasons = models.JSONField(_("reasons"), default=dict)

    scope_fields = ("enterprise__managing_unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["-as_of", "-score"]
        verbose_name = _("enterprise score")
        verbose_name_plural = _("enterprise scores")
        constraints = [
            models.UniqueConstraint(fields=["run", "enterprise"], name="score_once_per_run")
        ]
        indexes = [models.Index(fields=["run", "unit", "score"])]

    def __str__(self):
        return f"{self.enterprise_id} {self.as_of} {self.score:.3f}"


class DeclarationScore(models.Model):
    """The documentary risk of a declaration by the approved declaration model."""

    run = models.ForeignKey(
        ScoringRun,
        verbose_name=_("scoring run"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="declaration_scores",
    )
    declaration = models.ForeignKey(
        Declaration,
        verbose_name=_("declaration"),
        on_delete=models.CASCADE,
        related_name="risk_scores",
    )
    model = models.ForeignKey(
        RiskModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.FloatField(_("score (0–1)"))
    reasons = models.JSONField(_("reasons"), default=dict)

    scope_fields = ("declaration__enterprise__managing_unit", "declaration__customs_office")
    objects = ScopedManager()

    class Meta:
        ordering = ["-score"]
        verbose_name = _("declaration score")
        verbose_name_plural = _("declaration scores")
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "model"], name="declaration_score_once_per_model"
            )
        ]

    def __str__(self):
        return f"{self.declaration_id} {self.score:.3f}"


class Backtest(models.Model):
    """A stored back-test: what was trained on, what was scored, the metrics."""

    class Target(models.TextChoices):
        DECLARATIONS = "declarations", _("Declarations")
        ENTERPRISES = "enterprises", _("Enterprises")

    target = models.CharField(_("target"), max_length=12, choices=Target.choices)
    train_until = models.DateField(_("trained on outcomes up to"))
    test_from = models.DateField(_("test from"))
    test_until = models.DateField(_("test until"))
    training_rows = models.PositiveIntegerField(_("training rows"))
    test_rows = models.PositiveIntegerField(_("test rows"))
    base_rate = models.FloatField(_("base rate in the test period"))
    results = models.JSONField(_("metrics per estimator"), default=dict)
    output_file = models.CharField(_("scores written to"), max_length=300, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("back-test")
        verbose_name_plural = _("back-tests")

    def __str__(self):
        return f"{self.target} ≤{self.train_until}"

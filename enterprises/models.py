"""Import-export enterprises and the facts other systems hold about them."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from enterprises.validators import validate_tax_code
from stq02.models import Province, Unit
from stq02.scoping import ScopedManager

VND = {"max_digits": 20, "decimal_places": 0}


class Enterprise(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        DISSOLVED = "dissolved", _("Dissolved")

    class Compliance(models.IntegerChoices):
        PRIORITY = 1, _("1 – priority (AEO)")
        HIGH = 2, _("2 – high")
        MEDIUM = 3, _("3 – medium")
        LOW = 4, _("4 – low")
        NON_COMPLIANT = 5, _("5 – non-compliant")

    tax_code = models.CharField(
        _("tax code"), max_length=14, unique=True, validators=[validate_tax_code]
    )
    head = models.ForeignKey(
        "self",
        verbose_name=_("head enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
    )
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=400, blank=True)
    province = models.ForeignKey(
        Province,
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    business_lines = models.TextField(_("business lines"), blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=200, blank=True)
    founded_on = models.DateField(_("founding date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    is_aeo = models.BooleanField(_("AEO / priority enterprise"), default=False)
    compliance_level = models.PositiveSmallIntegerField(
        _("compliance level"), choices=Compliance.choices, null=True, blank=True
    )
    risk_level = models.PositiveSmallIntegerField(_("risk level (1–9)"), null=True, blank=True)
    last_audit_on = models.DateField(
        _("last post-clearance audit"),
        null=True,
        blank=True,
        help_text=_("written by the audit lifecycle when a case closes"),
    )
    managing_unit = models.ForeignKey(
        Unit,
        verbose_name=_("managing unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    scope_fields = ("managing_unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["tax_code"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(risk_level__isnull=True)
                | models.Q(risk_level__gte=1, risk_level__lte=9),
                name="enterprise_risk_level_1_9",
            ),
        ]

    def __str__(self):
        return f"{self.tax_code} {self.name}"


class RegistryChange(models.Model):
    """A change the enterprise registry reported (address, representative, name…).
    Frequent changes are a risk indicator, so they are kept as rows."""

    class Field(models.TextChoices):
        NAME = "name", _("name")
        ADDRESS = "address", _("address")
        REPRESENTATIVE = "legal_representative", _("legal representative")
        STATUS = "status", _("status")
        BUSINESS_LINES = "business_lines", _("business lines")

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="registry_changes",
    )
    field = models.CharField(_("field"), max_length=30, choices=Field.choices)
    old_value = models.TextField(_("before"), blank=True)
    new_value = models.TextField(_("after"), blank=True)
    changed_on = models.DateField(_("changed on"))

    scope_fields = ("enterprise__managing_unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["-changed_on"]
        verbose_name = _("registry change")
        verbose_name_plural = _("registry changes")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "field", "changed_on", "new_value"],
                name="registry_change_once",
            )
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.field} {self.changed_on}"


class TaxDebt(models.Model):
    """Tax debt of an enterprise as the tax-debt system reported it on a day."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="tax_debts"
    )
    as_of = models.DateField(_("as of"))
    amount = models.DecimalField(_("debt (VND)"), **VND)
    overdue_amount = models.DecimalField(_("overdue more than 90 days (VND)"), default=0, **VND)
    oldest_due_on = models.DateField(_("oldest due date"), null=True, blank=True)

    scope_fields = ("enterprise__managing_unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["-as_of"]
        verbose_name = _("tax debt")
        verbose_name_plural = _("tax debts")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "as_of"], name="tax_debt_once_a_day")
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.as_of}: {self.amount}"


class Violation(models.Model):
    """A VCIS record: violation, sanction decision, smuggling case or watch-list entry."""

    class Kind(models.TextChoices):
        VIOLATION = "violation", _("Violation record")
        SANCTION = "sanction", _("Sanction decision")
        SMUGGLING = "smuggling", _("Smuggling case")
        WATCHLIST = "watchlist", _("Watch list")

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="violations",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    decided_on = models.DateField(_("date"))
    description = models.TextField(_("description"), blank=True)
    fine = models.DecimalField(_("fine (VND)"), default=0, **VND)
    is_grave = models.BooleanField(_("grave violation"), default=False)
    declaration_number = models.CharField(_("declaration number"), max_length=12, blank=True)

    scope_fields = ("enterprise__managing_unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["-decided_on"]
        verbose_name = _("VCIS record")
        verbose_name_plural = _("VCIS records")
        indexes = [models.Index(fields=["enterprise", "decided_on"])]

    def __str__(self):
        return self.reference


class PlantedRisk(models.Model):
    """Demo data only: the risky behaviour ``generate_data`` planted on an
    enterprise, so that risk criteria and models can be checked against a known
    truth. Real imports never write here."""

    class Behaviour(models.TextChoices):
        UNDERVALUATION = "undervaluation", _("Undervaluation against the HS norm")
        ORIGIN_SWITCHING = "origin_switching", _("Origin switching")
        VOLUME_JUMP = "volume_jump", _("Sudden volume jump")
        RELATED_PARTY = "related_party", _("Related-party trade")

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="planted_risks"
    )
    behaviour = models.CharField(_("behaviour"), max_length=20, choices=Behaviour.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("planted risk (demo)")
        verbose_name_plural = _("planted risks (demo)")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "behaviour"], name="planted_risk_once")
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.behaviour}"

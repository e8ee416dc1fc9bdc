"""Customs declarations as VNACCS holds them, their goods lines and their outcomes."""

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from declarations import summaries
from enterprises.models import Enterprise
from stq02.models import Unit
from stq02.scoping import ScopedManager

VND = {"max_digits": 20, "decimal_places": 0}  # sums and outcomes; see vnd() below
FOREIGN = {"max_digits": 20, "decimal_places": 4}
RATE = {"max_digits": 7, "decimal_places": 3}


def vnd(label):
    """A declaration's or goods line's amount of đồng: a whole number (VND has no
    minor unit), exact as a 64-bit integer up to 9.2 × 10^18, which the checks
    bound (integrations.fields.vnd). PostgreSQL reads an integer in a quarter of
    the time a numeric takes: 0.6 of an import's 6.8-7.8 CPU-s per 1 M lines."""
    return models.BigIntegerField(label, default=0)


class Declaration(models.Model):
    """One version of a declaration. An amendment adds a version; the newest is
    ``is_current``. Money is VND unless the field says otherwise."""

    class Direction(models.TextChoices):
        IMPORT = "import", _("Import")
        EXPORT = "export", _("Export")

    class Channel(models.IntegerChoices):
        GREEN = 1, _("Green")
        YELLOW = 2, _("Yellow (documents)")
        RED = 3, _("Red (physical)")

    # Not indexed alone: the unique (number, version) index serves lookups by number.
    number = models.CharField(_("declaration number"), max_length=12)
    version = models.PositiveSmallIntegerField(_("amendment version"), default=0)
    is_current = models.BooleanField(_("current version"), default=True)
    type_code = models.CharField(_("type code"), max_length=3)
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    customs_office = models.ForeignKey(
        Unit,
        verbose_name=_("customs office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (customs_office, registered_on) below serves it
        db_constraint=False,  # checked per statement: stq02/references.py
    )
    office_code = models.CharField(_("customs office code"), max_length=10, blank=True)
    registered_on = models.DateField(_("registration date"), db_index=True)
    cleared_on = models.DateField(_("clearance date"), null=True, blank=True)
    channel = models.PositiveSmallIntegerField(
        _("channel"), choices=Channel.choices, null=True, blank=True
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("importer / exporter"),
        on_delete=models.PROTECT,
        related_name="declarations",
        db_index=False,  # (enterprise, registered_on) below serves it
        db_constraint=False,  # checked per statement: stq02/references.py
    )
    declarant_code = models.CharField(_("declarant"), max_length=20, blank=True)
    partner_name = models.CharField(_("trading partner"), max_length=300, blank=True)
    partner_country = models.CharField(_("partner country"), max_length=2, blank=True)
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    export_country = models.CharField(
        _("country of export / destination"), max_length=2, blank=True
    )
    transport_mode = models.CharField(_("transport mode"), max_length=4, blank=True)
    incoterms = models.CharField(_("Incoterms"), max_length=3, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    invoice_value = models.DecimalField(
        _("invoice value (currency)"), null=True, blank=True, **FOREIGN
    )
    customs_value = vnd(_("customs value (VND)"))
    import_duty = vnd(_("import/export duty (VND)"))
    vat = vnd(_("VAT (VND)"))
    special_consumption_tax = vnd(_("special consumption tax (VND)"))
    environmental_tax = vnd(_("environmental protection tax (VND)"))
    related_party = models.BooleanField(_("related-party trade"), default=False)
    content_hash = models.CharField(
        max_length=32,
        editable=False,
        help_text="digest of the source record; an identical re-send changes nothing",
    )
    source = models.CharField(_("source"), max_length=20, blank=True)
    source_batch_id = models.BigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="integrations.ImportBatch id (a plain id: integrations sits above this app)",
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    scope_fields = ("enterprise__managing_unit", "customs_office")
    objects = ScopedManager()

    class Meta:
        ordering = ["-registered_on", "number"]
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="declaration_version_once"),
            models.UniqueConstraint(
                fields=["number"],
                condition=models.Q(is_current=True),
                name="declaration_one_current_version",
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "registered_on"]),
            models.Index(fields=["customs_office", "registered_on"]),
        ]

    def __str__(self):
        return f"{self.number}/{self.version}"

    # One row saved or deleted through the ORM (the admin, tests) keeps the enterprise
    # summaries: the stored figures out, the saved ones in. The writers of many rows
    # (bulk_create, COPY) call summaries.apply themselves; queryset update() and
    # delete() do neither (rebuild_summaries repairs what they leave).

    def save(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            was_current = (
                self.pk is not None
                and Declaration.objects.filter(pk=self.pk, is_current=True).exists()
            )
            if was_current:
                summaries.add([self.pk], sign=-1)
            super().save(*args, **kwargs)
            if self.is_current:
                summaries.add([self.pk])

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            if Declaration.objects.filter(pk=self.pk, is_current=True).exists():
                summaries.add([self.pk], sign=-1)
            Outcome.objects.filter(declaration_id=self.pk).update(enterprise=None)
            return super().delete(*args, **kwargs)

    @property
    def total_tax(self):
        return self.import_duty + self.vat + self.special_consumption_tax + self.environmental_tax


class DeclarationLine(models.Model):
    # A goods line is known by its declaration and its number, as VNACCS and the
    # officers know it ("dòng hàng số 3 của tờ khai …"). No surrogate id: its
    # index and sequence cost an import of 1 M lines 1.0 CPU-s of PostgreSQL's
    # 7.4-7.8 (6.1-6.8 without), and nothing refers to a line but by that pair.
    pk = models.CompositePrimaryKey("declaration", "line_no")
    declaration = models.ForeignKey(
        Declaration,
        verbose_name=_("declaration"),
        on_delete=models.CASCADE,
        related_name="lines",
        db_index=False,  # the primary key (declaration, line_no) serves it
        db_constraint=False,  # checked per statement: stq02/references.py
    )
    line_no = models.PositiveSmallIntegerField(_("line"))
    hs_code = models.CharField(_("HS code"), max_length=8)
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=20, decimal_places=4, default=0)
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    unit_price = models.DecimalField(_("unit price (currency)"), default=0, **FOREIGN)
    customs_value = vnd(_("customs value (VND)"))
    import_duty_rate = models.DecimalField(_("duty rate (%)"), null=True, blank=True, **RATE)
    import_duty = vnd(_("duty (VND)"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), null=True, blank=True, **RATE)
    vat = vnd(_("VAT (VND)"))
    special_consumption_tax = vnd(_("special consumption tax (VND)"))
    environmental_tax = vnd(_("environmental protection tax (VND)"))
    origin_country = models.CharField(_("origin"), max_length=2, blank=True)
    preference_code = models.CharField(
        _("preferential tariff / C/O form"), max_length=10, blank=True
    )

    scope_fields = ("declaration__enterprise__managing_unit", "declaration__customs_office")
    objects = ScopedManager()

    class Meta:
        ordering = ["declaration", "line_no"]
        verbose_name = _("goods line")
        verbose_name_plural = _("goods lines")
        # One index for equality and prefix searches on the HS code (a chapter or
        # heading): the pattern operator class serves both, whatever the collation.
        indexes = [
            models.Index(fields=["hs_code"], name="line_hs_code", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self):
        return f"{self.declaration_id}:{self.line_no} {self.hs_code}"

    # As for Declaration: one line saved or deleted through the ORM takes its current
    # declaration's figures out and puts them back in with the line as it is now.

    def save(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            ids = {self.declaration_id}
            if self.pk is not None:
                ids |= set(
                    DeclarationLine.objects.filter(pk=self.pk).values_list(
                        "declaration_id", flat=True
                    )
                )
            current = list(
                Declaration.objects.filter(pk__in=ids, is_current=True).values_list("pk", flat=True)
            )
            summaries.add(current, sign=-1)
            super().save(*args, **kwargs)
            summaries.add(current)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            current = list(
                Declaration.objects.filter(pk=self.declaration_id, is_current=True).values_list(
                    "pk", flat=True
                )
            )
            summaries.add(current, sign=-1)
            deleted = super().delete(*args, **kwargs)
            summaries.add(current)
            return deleted


class Outcome(models.Model):
    """What an inspection, VCIS or an audit found on a declaration. Risk models
    learn from these rows, so each keeps its source and reference."""

    class Source(models.TextChoices):
        CLEARANCE = "clearance", _("Clearance inspection")
        VCIS = "vcis", _("VCIS")
        AUDIT = "audit", _("Post-clearance audit")
        KCS = "kcs", _("KCS public data set")

    declaration_number = models.CharField(_("declaration number"), max_length=12, db_index=True)
    declaration = models.ForeignKey(
        Declaration,
        verbose_name=_("declaration"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outcomes",
    )
    # The declaration's enterprise, written with the declaration link so that the
    # enterprise page reads its outcomes through one index instead of probing
    # every one of its declarations (declaration rows never change enterprise).
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    reference = models.CharField(_("reference"), max_length=60)
    decided_on = models.DateField(_("date"))
    violation_found = models.BooleanField(_("violation found"))
    critical = models.PositiveSmallIntegerField(_("severity (0–2)"), default=0)
    additional_tax = models.DecimalField(_("additional tax (VND)"), default=0, **VND)
    fine = models.DecimalField(_("fine (VND)"), default=0, **VND)
    note = models.TextField(_("note"), blank=True)

    scope_fields = ("declaration__enterprise__managing_unit", "declaration__customs_office")
    objects = ScopedManager()

    class Meta:
        ordering = ["-decided_on"]
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            models.UniqueConstraint(fields=["source", "reference"], name="outcome_once_per_source")
        ]
        indexes = [
            models.Index(fields=["enterprise", "decided_on"], name="outcome_enterprise_decided_on")
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.reference}"

    def save(self, *args, **kwargs):
        # The enterprise follows the declaration (bulk writers set it themselves).
        if self.declaration_id is None:
            self.enterprise_id = None
        elif self._state.fields_cache.get("declaration") is not None:
            self.enterprise_id = self.declaration.enterprise_id
        else:
            self.enterprise_id = (
                Declaration.objects.filter(pk=self.declaration_id)
                .values_list("enterprise_id", flat=True)
                .first()
            )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"declaration", "declaration_id"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "enterprise"}
        super().save(*args, **kwargs)


# --- Summaries of the enterprise page ---------------------------------------------------
#
# Figures of current declaration versions per enterprise and month, kept by the writers
# of declarations through ``declarations.summaries`` (a new version takes the old one's
# figures out and puts its own in) and rebuilt from the base tables by
# ``manage.py rebuild_summaries``. The enterprise page reads these instead of
# aggregating tens of thousands of declarations and their goods lines. A missing
# channel is kept as 0 so that every key column is NOT NULL (a unique key treats
# NULLs as distinct, and the upsert relies on the key).


class SummarisedEnterprise(models.Model):
    """An enterprise whose page figures are kept in the summaries below: one with at
    least ENTERPRISE_SUMMARY_THRESHOLD current declarations (declarations.summaries.promote).
    Other enterprises' figures are aggregated from their declarations when asked."""

    enterprise = models.OneToOneField(
        Enterprise, primary_key=True, on_delete=models.CASCADE, related_name="summarised"
    )
    since = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"summarised {self.enterprise_id}"


class EnterpriseMonth(models.Model):
    """Current declarations of an enterprise by month, direction, channel and partner
    country: the trade panel's months, channels and countries."""

    # The unique key starts with the enterprise: no index of its own.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField(help_text="first day of the registration month")
    direction = models.CharField(max_length=6)
    channel = models.PositiveSmallIntegerField(help_text="0: no channel")
    partner_country = models.CharField(max_length=2)
    declarations = models.IntegerField(default=0)
    customs_value = models.DecimalField(default=0, **VND)
    tax = models.DecimalField(default=0, **VND)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "month", "direction", "channel", "partner_country"],
                name="enterprise_month_once",
            )
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.month:%Y-%m} {self.direction} {self.partner_country}"


class EnterprisePartnerMonth(models.Model):
    """Current declarations of an enterprise by month and trading partner."""

    # The unique key starts with the enterprise: no index of its own.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField(help_text="first day of the registration month")
    partner_name = models.CharField(max_length=300)
    partner_country = models.CharField(max_length=2)
    declarations = models.IntegerField(default=0)
    customs_value = models.DecimalField(default=0, **VND)
    related = models.IntegerField(default=0, help_text="declarations marked related-party")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "month", "partner_name", "partner_country"],
                name="enterprise_partner_month_once",
            )
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.month:%Y-%m} {self.partner_name}"


class EnterpriseGoodsMonth(models.Model):
    """Goods lines of an enterprise's current declarations by month, direction and HS code."""

    # The unique key starts with the enterprise: no index of its own.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField(help_text="first day of the registration month")
    direction = models.CharField(max_length=6)
    hs_code = models.CharField(max_length=8)
    lines = models.IntegerField(default=0)
    customs_value = models.DecimalField(default=0, **VND)
    tax = models.DecimalField(default=0, **VND)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "month", "direction", "hs_code"],
                name="enterprise_goods_month_once",
            )
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.month:%Y-%m} {self.hs_code}"

"""Import batches, their rejected rows, pull cursors and outbound messages."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stq02.models import Unit
from stq02.scoping import ScopedManager


class ImportBatch(models.Model):
    """One run of one adapter over one file (or one HTTP pull).

    Counts are in records: a declaration for the VNACCS and KCS adapters (its goods
    lines are rows of the file), one VCIS record, one registry entry, one debt
    statement. ``rows_done`` is how far the committed chunks got, so a resumed run
    skips what is already stored."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=20)
    file_name = models.CharField(_("file name"), max_length=255)
    file_path = models.CharField(
        _("stored file"), max_length=500, blank=True, help_text=_("where the worker reads it")
    )
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    new_count = models.PositiveIntegerField(_("new"), default=0)
    changed_count = models.PositiveIntegerField(_("changed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    rows_done = models.PositiveBigIntegerField(_("rows processed"), default=0)
    rows_total = models.PositiveBigIntegerField(_("rows (estimate)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    columns = models.JSONField(
        _("columns of the file"), default=list, blank=True, help_text=_("in the file's order")
    )
    language = models.CharField(
        _("language of messages"), max_length=8, blank=True, help_text=_("for rejection reasons")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    scope_fields = ("unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        indexes = [models.Index(fields=["source", "sha256"])]

    def __str__(self):
        return f"#{self.pk} {self.source} {self.file_name}"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def duration_seconds(self) -> float | None:
        return self.duration.total_seconds() if self.duration else None

    @property
    def progress_percent(self) -> int:
        if self.status in (self.Status.DONE,):
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(self.rows_done * 100 / self.rows_total))

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


class RejectedRow(models.Model):
    """A row the adapter refused, with the field and the reason, and the row's raw
    values so that it can be corrected and sent again."""

    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="rejections"
    )
    row_number = models.PositiveBigIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=60, blank=True)
    reason = models.TextField(_("reason"))
    raw = models.JSONField(_("raw values"), default=dict)

    scope_fields = ("batch__unit",)
    objects = ScopedManager()

    class Meta:
        ordering = ["batch", "row_number", "pk"]
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")

    def __str__(self):
        return f"{self.batch_id}:{self.row_number} {self.field}"


class PullCursor(models.Model):
    """Where the last stored page of an HTTP pull ended. Saved in the same
    transaction as the page's records, never before."""

    source = models.CharField(_("source"), max_length=40, unique=True)
    cursor = models.CharField(_("cursor"), max_length=500, blank=True)
    pages = models.PositiveIntegerField(_("pages stored"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("pull cursor")
        verbose_name_plural = _("pull cursors")

    def __str__(self):
        return f"{self.source}: {self.cursor}"


class OutboundMessage(models.Model):
    """A message to the clearance system (an audit result, a re-classification).
    ``key`` makes queueing idempotent: queueing the same key twice sends once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60)
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.kind} {self.key} ({self.status})"

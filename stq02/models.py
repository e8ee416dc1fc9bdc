"""Organisation units, people and their roles, API tokens, the working-day calendar."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Province(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


class Unit(models.Model):
    """A node of the customs organisation: the central PCA Department, a regional
    branch, a customs office. The tree is data; nothing in the code names a unit.

    ``path`` is a materialised path ("0001/0007/") kept by ``save()`` so that a
    unit's subtree is one indexed prefix query.
    """

    class Kind(models.TextChoices):
        CENTRAL = "central", _("Central department")
        BRANCH = "branch", _("Regional customs branch")
        OFFICE = "office", _("Customs office")
        TEAM = "team", _("Audit team / sub-unit")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    provinces = models.ManyToManyField(
        Province, verbose_name=_("area (provinces)"), blank=True, related_name="units"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    capacity_officer_days = models.PositiveIntegerField(
        _("audit capacity per year (officer-days)"), default=0
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        return f"{self.code} – {self.name}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        new_path = (self.parent.path if self.parent_id else "") + f"{self.pk:05d}/"
        if new_path != self.path:
            old_path = self.path
            Unit.objects.filter(pk=self.pk).update(path=new_path)
            self.path = new_path
            if old_path:
                # Moving a unit moves its whole subtree.
                for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                    child.save()

    @property
    def is_central(self) -> bool:
        return self.kind == self.Kind.CENTRAL

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def subtree(self):
        return Unit.objects.filter(path__startswith=self.path)

    def ancestors(self):
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return Unit.objects.filter(pk__in=ids).order_by("path")


class Role(models.TextChoices):
    OFFICER = "officer", _("Audit officer")
    UNIT_HEAD = "unit_head", _("Unit head")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    ADMIN = "admin", _("Administrator")
    API_CLIENT = "api_client", _("API client (local system)")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OFFICER)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    title = models.CharField(_("job title"), max_length=120, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("vi", "Tiếng Việt"), ("en", "English")], default="vi"
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    def clean(self):
        super().clean()
        # Every person and API client works for a unit: scoping starts from it.
        if not self.is_superuser and self.unit_id is None:
            raise ValidationError({"unit": _("Choose the unit this account belongs to.")})

    @property
    def sees_everything(self) -> bool:
        """Central units and administrators see the whole force's data."""
        return (
            self.is_superuser
            or self.role == Role.ADMIN
            or bool(self.unit_id and self.unit.is_central)
        )

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or self.role in roles


class ApiToken(models.Model):
    """A bearer token of an API client account. Only a SHA-256 digest is stored:
    the token itself is shown once, when it is issued."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:8], digest=cls.hash(raw))
        return token, raw


class CalendarDay(models.Model):
    """An administrator's correction to the default Vietnamese calendar: a day off
    the ``holidays`` package does not know yet, or a weekend day the Government
    swapped into a working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off")
        WORKING = "working", _("Working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("reason"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar corrections")

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}: {self.name}"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task: the operations
    page shows whether the background machinery is alive."""

    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    seen_at = models.DateTimeField(_("last seen"))
    tasks_seen = models.PositiveIntegerField(_("heartbeats"), default=0)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.hostname} {self.seen_at:%Y-%m-%d %H:%M}"

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from stq02.models import ApiToken, CalendarDay, Province, Unit, User, WorkerHeartbeat

admin.site.site_header = _("STQ02 administration")
admin.site.site_title = "STQ02"


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_en"]
    filter_horizontal = ["provinces"]
    autocomplete_fields = ["parent"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "role", "unit", "is_active"]
    list_filter = ["role", "is_active", "unit__kind"]
    autocomplete_fields = ["unit"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("STQ02"), {"fields": ("role", "unit", "title", "language")}),
    )
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, (_("STQ02"), {"fields": ("role", "unit")}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with ``manage.py issue_api_token`` (the key is shown once);
    here they are listed and revoked."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        from django.utils import timezone

        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "kind", "name", "legal_basis"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at", "tasks_seen"]
    readonly_fields = ["hostname", "seen_at", "tasks_seen"]

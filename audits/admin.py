from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audits.models import (
    Attachment,
    AuditCase,
    CaseDocument,
    CaseEvent,
    DeadlineAlert,
    Finding,
    Notification,
)


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "actor", "at", "from_state", "to_state", "note", "data"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AuditCase)
class AuditCaseAdmin(SimpleHistoryAdmin):
    """Read mostly: states change only through the steps (audits.services.perform)."""

    list_display = ["number", "enterprise", "unit", "kind", "state", "next_deadline_on"]
    list_filter = ["state", "kind", "legal_basis", "content", "unit"]
    search_fields = ["number", "enterprise__tax_code", "enterprise__name"]
    raw_id_fields = ["enterprise", "lead", "created_by"]
    readonly_fields = ["state", "is_open", "suspended_from", "risk_snapshot", "risk_score_id"]
    filter_horizontal = ["members"]
    inlines = [EventInline]


@admin.register(Finding)
class FindingAdmin(SimpleHistoryAdmin):
    list_display = ["case", "declaration", "issue", "import_duty", "vat", "fine", "collected"]
    list_filter = ["issue"]
    raw_id_fields = ["case", "declaration"]


@admin.register(CaseDocument)
class CaseDocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "case", "issued_on"]
    list_filter = ["kind"]
    search_fields = ["number", "case__number"]
    readonly_fields = ["case", "kind", "number", "issued_on", "file", "sha256", "event"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "case", "content_type", "size", "uploaded_at"]
    readonly_fields = ["case", "file", "original_name", "content_type", "size", "sha256"]


@admin.register(DeadlineAlert)
class DeadlineAlertAdmin(admin.ModelAdmin):
    list_display = ["case", "deadline", "kind", "due_on", "sent_at"]
    list_filter = ["kind", "deadline"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "case", "message", "created_at", "read_at"]

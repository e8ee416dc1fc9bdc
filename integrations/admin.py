from django.contrib import admin

from integrations.models import ImportBatch, OutboundMessage, PullCursor, RejectedRow


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "source",
        "file_name",
        "status",
        "new_count",
        "changed_count",
        "unchanged_count",
        "rejected_count",
        "unit",
        "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["file_name", "sha256"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]


@admin.register(RejectedRow)
class RejectedRowAdmin(admin.ModelAdmin):
    list_display = ["batch", "row_number", "field", "reason"]
    list_select_related = ["batch"]
    raw_id_fields = ["batch"]


@admin.register(PullCursor)
class PullCursorAdmin(admin.ModelAdmin):
    list_display = ["source", "cursor", "pages", "updated_at"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["key", "last_error"]
    readonly_fields = ["created_at", "sent_at"]

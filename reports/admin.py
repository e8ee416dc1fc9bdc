from django.contrib import admin

from reports.models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "format", "unit", "requested_by", "status", "progress"]
    list_filter = ["kind", "format", "status"]
    readonly_fields = ["created_at", "started_at", "finished_at"]

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from risk.models import Backtest, ClassPolicy, Criterion, RiskModel, ScoringRun


@admin.register(Criterion)
class CriterionAdmin(SimpleHistoryAdmin):
    list_display = ["code", "version", "name", "indicator", "operator", "threshold", "weight"]
    list_filter = ["is_active", "unit"]
    search_fields = ["code", "name"]
    # Versions are added by the criteria editor (risk.services.criterion_revise).
    readonly_fields = ["code", "version", "created_by", "created_at"]


@admin.register(RiskModel)
class RiskModelAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "version", "estimator", "status", "train_until", "approved_by"]
    list_filter = ["kind", "status"]
    exclude = ["artefact"]
    readonly_fields = ["sha256", "approved_by", "approved_at", "metrics", "features"]


@admin.register(ClassPolicy)
class ClassPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["unit", "audit_share", "monitoring_share", "min_audit_score"]


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = [
        "as_of",
        "status",
        "phase",
        "enterprises_done",
        "audit_count",
        "duration_seconds",
    ]
    readonly_fields = [field.name for field in ScoringRun._meta.fields]


@admin.register(Backtest)
class BacktestAdmin(admin.ModelAdmin):
    list_display = ["target", "train_until", "test_from", "test_until", "created_at"]

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from enterprises.models import Enterprise, PlantedRisk, RegistryChange, TaxDebt, Violation


@admin.register(Enterprise)
class EnterpriseAdmin(SimpleHistoryAdmin):
    list_display = ["tax_code", "name", "province", "managing_unit", "status", "is_aeo"]
    list_filter = ["status", "is_aeo", "compliance_level", "managing_unit"]
    search_fields = ["tax_code", "name"]
    list_select_related = ["province", "managing_unit"]
    raw_id_fields = ["head"]
    show_full_result_count = False


@admin.register(RegistryChange)
class RegistryChangeAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "field", "changed_on"]
    list_filter = ["field"]
    search_fields = ["enterprise__tax_code"]
    raw_id_fields = ["enterprise"]


@admin.register(TaxDebt)
class TaxDebtAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "as_of", "amount", "overdue_amount"]
    search_fields = ["enterprise__tax_code"]
    raw_id_fields = ["enterprise"]


@admin.register(Violation)
class ViolationAdmin(admin.ModelAdmin):
    list_display = ["reference", "enterprise", "kind", "decided_on", "fine", "is_grave"]
    list_filter = ["kind", "is_grave"]
    search_fields = ["reference", "enterprise__tax_code", "declaration_number"]
    raw_id_fields = ["enterprise"]


@admin.register(PlantedRisk)
class PlantedRiskAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "behaviour", "detail"]
    list_filter = ["behaviour"]
    raw_id_fields = ["enterprise"]

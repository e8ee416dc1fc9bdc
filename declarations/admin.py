from django.contrib import admin

from declarations.models import Declaration, DeclarationLine, Outcome


class LineInline(admin.TabularInline):
    model = DeclarationLine
    extra = 0
    fields = ["line_no", "hs_code", "description", "quantity", "unit", "customs_value"]
    readonly_fields = fields
    can_delete = False


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    list_display = ["number", "version", "is_current", "type_code", "registered_on", "channel"]
    list_filter = ["direction", "channel", "is_current"]
    search_fields = ["number", "enterprise__tax_code"]
    raw_id_fields = ["enterprise", "customs_office"]
    inlines = [LineInline]
    show_full_result_count = False


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ["reference", "source", "declaration_number", "decided_on", "violation_found"]
    list_filter = ["source", "violation_found"]
    search_fields = ["reference", "declaration_number"]
    raw_id_fields = ["declaration"]

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from declarations.models import Declaration, DeclarationLine, Outcome

LINE_COLUMNS = ["line_no", "hs_code", "description", "quantity", "unit", "customs_value"]


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    list_display = ["number", "version", "is_current", "type_code", "registered_on", "channel"]
    list_filter = ["direction", "channel", "is_current"]
    search_fields = ["number", "enterprise__tax_code"]
    raw_id_fields = ["enterprise", "customs_office"]
    readonly_fields = ["goods_lines"]
    show_full_result_count = False

    # The goods lines are shown, not edited: they are the declaration as VNACCS
    # holds it (an amendment is a new version), and an inline form cannot carry
    # their key (declaration, line number), which Django's forms do not support.
    @admin.display(description=DeclarationLine._meta.verbose_name_plural)
    def goods_lines(self, declaration):
        fields = [DeclarationLine._meta.get_field(name) for name in LINE_COLUMNS]
        head = format_html_join("", "<th>{}</th>", ((f.verbose_name,) for f in fields))
        rows = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (format_html_join("", "<td>{}</td>", ((value,) for value in line)),)
                for line in declaration.lines.order_by("line_no").values_list(*LINE_COLUMNS)
            ),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, rows)


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ["reference", "source", "declaration_number", "decided_on", "violation_found"]
    list_filter = ["source", "violation_found"]
    search_fields = ["reference", "declaration_number"]
    raw_id_fields = ["declaration"]

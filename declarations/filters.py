"""Search and filters of the declaration list, shared by the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from declarations.models import Declaration, DeclarationLine
from stq02.models import Unit
from stq02.scoping import visible_units


class DeclarationFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(
        label=_("Declaration number"), field_name="number", lookup_expr="startswith"
    )
    registered_from = django_filters.DateFilter(
        label=_("Registered from"), field_name="registered_on", lookup_expr="gte"
    )
    registered_to = django_filters.DateFilter(
        label=_("Registered to"), field_name="registered_on", lookup_expr="lte"
    )
    direction = django_filters.ChoiceFilter(
        label=_("Direction"), choices=Declaration.Direction.choices
    )
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Declaration.Channel.choices)
    type_code = django_filters.CharFilter(label=_("Type code"), lookup_expr="iexact")
    hs_code = django_filters.CharFilter(
        label=_("HS code (prefix)"), method="filter_hs_code", help_text=_("2 to 8 digits")
    )
    customs_office = django_filters.ModelChoiceFilter(
        label=_("Customs office"), queryset=Unit.objects.filter(kind=Unit.Kind.OFFICE)
    )
    tax_code = django_filters.CharFilter(
        label=_("Enterprise tax code"), field_name="enterprise__tax_code", lookup_expr="startswith"
    )

    class Meta:
        model = Declaration
        fields = [
            "number",
            "registered_from",
            "registered_to",
            "direction",
            "channel",
            "type_code",
            "hs_code",
            "customs_office",
            "tax_code",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            self.filters["customs_office"].queryset = visible_units(user).filter(
                kind=Unit.Kind.OFFICE
            )

    def filter_hs_code(self, queryset, name, value):
        value = value.strip().replace(".", "")
        if not value:
            return queryset
        # A subquery rather than a join, so a declaration with several matching lines
        # is listed once. A whole 8-digit code is an equality, which the index serves.
        lines = (
            DeclarationLine.objects.filter(hs_code=value)
            if len(value) == 8
            else DeclarationLine.objects.filter(hs_code__startswith=value)
        )
        return queryset.filter(pk__in=lines.values("declaration_id"))

"""Search and filters of the enterprise list, shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise
from stq02.models import Province, Unit
from stq02.scoping import visible_units


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Tax code or name"),
        method="search",
        help_text=_("tax code prefix or part of the name"),
    )
    province = django_filters.ModelChoiceFilter(
        label=_("Province"), queryset=Province.objects.all(), field_name="province"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Enterprise.Status.choices)
    managing_unit = django_filters.ModelChoiceFilter(
        label=_("Managing unit"),
        queryset=Unit.objects.filter(kind__in=[Unit.Kind.BRANCH, Unit.Kind.CENTRAL]),
        field_name="managing_unit",
    )
    is_aeo = django_filters.BooleanFilter(label=_("AEO / priority"))
    compliance_level = django_filters.ChoiceFilter(
        label=_("Compliance level"), choices=Enterprise.Compliance.choices
    )
    is_branch = django_filters.BooleanFilter(
        label=_("Branch"), field_name="head", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Enterprise
        fields = ["q", "province", "status", "managing_unit", "is_aeo", "compliance_level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            self.filters["managing_unit"].queryset = visible_units(user).filter(
                kind__in=[Unit.Kind.BRANCH, Unit.Kind.CENTRAL]
            )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        digits = value.replace("-", "").replace(" ", "")
        if digits.isdigit():
            # A tax code, whole or its beginning: an index range scan on the unique code.
            return queryset.filter(tax_code__startswith=value.replace(" ", ""))
        # Case-insensitive on PostgreSQL; SQLite folds the case of ASCII letters only,
        # so there "điện tử" does not find "Điện tử" (the embedded demo accepts that).
        return queryset.filter(Q(name__icontains=value) | Q(name_en__icontains=value))

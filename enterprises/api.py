"""API for local customs systems: enterprises (query side).

GET /api/v1/enterprises/             list, filtered like the enterprise page
GET /api/v1/enterprises/{tax_code}/  one enterprise with its summary figures
Rows outside the caller's units are not listed and give 404.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema_field
from rest_framework import generics, serializers

from enterprises import selectors
from enterprises.filters import EnterpriseFilter
from enterprises.models import Enterprise
from stq02.api.fields import vnd
from stq02.scoping import READERS


class EnterpriseSerializer(serializers.ModelSerializer):
    province = serializers.SlugRelatedField(slug_field="code", read_only=True)
    managing_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    head = serializers.SlugRelatedField(slug_field="tax_code", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "tax_code",
            "name",
            "name_en",
            "head",
            "address",
            "province",
            "status",
            "is_aeo",
            "compliance_level",
            "risk_level",
            "managing_unit",
            "founded_on",
        ]


class EnterpriseSummarySerializer(serializers.Serializer):
    branch_count = serializers.IntegerField()
    violation_count = serializers.IntegerField()
    violation_fines = vnd()
    tax_debt = vnd()
    tax_debt_overdue = vnd()
    tax_debt_as_of = serializers.DateField(allow_null=True)
    registry_changes = serializers.IntegerField()


class EnterpriseDetailSerializer(EnterpriseSerializer):
    summary = serializers.SerializerMethodField()

    class Meta(EnterpriseSerializer.Meta):
        fields = [
            *EnterpriseSerializer.Meta.fields,
            "business_lines",
            "legal_representative",
            "last_audit_on",
            "summary",
        ]

    @extend_schema_field(EnterpriseSummarySerializer)
    def get_summary(self, enterprise):
        return EnterpriseSummarySerializer(selectors.enterprise_summary(enterprise=enterprise)).data


class EnterpriseListView(generics.ListAPIView):
    """Enterprises the caller's units manage (all, for central units)."""

    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    ordering_fields = ["tax_code", "name", "risk_level", "compliance_level"]
    read_roles = READERS

    def get_queryset(self):
        return selectors.enterprise_list(user=self.request.user)


class EnterpriseDetailView(generics.RetrieveAPIView):
    """One enterprise by tax code, with branch count, VCIS records, tax debt and
    registry changes; trade figures are at ``/enterprises/{tax_code}/trade/``."""

    serializer_class = EnterpriseDetailSerializer
    lookup_field = "tax_code"
    read_roles = READERS

    def get_queryset(self):
        return selectors.enterprise_list(user=self.request.user)


urlpatterns = [
    path("enterprises/", EnterpriseListView.as_view(), name="enterprise-list"),
    path("enterprises/<str:tax_code>/", EnterpriseDetailView.as_view(), name="enterprise-detail"),
]

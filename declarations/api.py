"""API for local customs systems: declarations (query side).

GET /api/v1/declarations/                    current versions, filtered like the page
GET /api/v1/declarations/{number}/           one declaration: versions, lines, outcomes
GET /api/v1/enterprises/{tax_code}/trade/    an enterprise's trade by month and outcomes
Rows outside the caller's units are not listed and give 404.
"""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from declarations import selectors
from declarations.filters import DeclarationFilter
from declarations.models import Declaration, DeclarationLine, Outcome
from declarations.views import CappedPaginator
from enterprises.models import Enterprise
from stq02.api.fields import vnd
from stq02.api.pagination import Pagination
from stq02.scoping import READERS


class _Amounts(serializers.ModelSerializer):
    customs_value = vnd(read_only=True)
    import_duty = vnd(read_only=True)
    vat = vnd(read_only=True)
    special_consumption_tax = vnd(read_only=True)
    environmental_tax = vnd(read_only=True)


class DeclarationSerializer(_Amounts):
    enterprise = serializers.SlugRelatedField(slug_field="tax_code", read_only=True)
    customs_office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    total_tax = vnd(read_only=True)

    class Meta:
        model = Declaration
        fields = [
            "number",
            "version",
            "is_current",
            "type_code",
            "direction",
            "customs_office",
            "office_code",
            "registered_on",
            "cleared_on",
            "channel",
            "enterprise",
            "declarant_code",
            "partner_name",
            "partner_country",
            "origin_country",
            "export_country",
            "transport_mode",
            "incoterms",
            "currency",
            "exchange_rate",
            "invoice_value",
            "customs_value",
            "import_duty",
            "vat",
            "special_consumption_tax",
            "environmental_tax",
            "total_tax",
            "related_party",
            "source",
        ]


class LineSerializer(_Amounts):
    class Meta:
        model = DeclarationLine
        fields = [
            "line_no",
            "hs_code",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "customs_value",
            "import_duty_rate",
            "import_duty",
            "vat_rate",
            "vat",
            "special_consumption_tax",
            "environmental_tax",
            "origin_country",
            "preference_code",
        ]


class OutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Outcome
        fields = [
            "declaration_number",
            "source",
            "reference",
            "decided_on",
            "violation_found",
            "critical",
            "additional_tax",
            "fine",
            "note",
        ]


class VersionSerializer(serializers.ModelSerializer):
    line_count = serializers.IntegerField(read_only=True)
    customs_value = vnd(read_only=True)

    class Meta:
        model = Declaration
        fields = ["version", "is_current", "created_at", "customs_value", "line_count"]


class DeclarationDetailSerializer(DeclarationSerializer):
    lines = LineSerializer(many=True, read_only=True)
    outcomes = OutcomeSerializer(many=True, read_only=True)
    versions = VersionSerializer(many=True, read_only=True)

    class Meta(DeclarationSerializer.Meta):
        fields = [*DeclarationSerializer.Meta.fields, "versions", "lines", "outcomes"]


class CappedPagination(Pagination):
    """``count`` stops at 10,001: beyond that the caller follows ``next`` links."""

    django_paginator_class = CappedPaginator


class DeclarationListView(generics.ListAPIView):
    """Current versions of the declarations of the caller's units, newest first.
    ``count`` is exact up to 10,000 and 10,001 beyond."""

    serializer_class = DeclarationSerializer
    filterset_class = DeclarationFilter
    pagination_class = CappedPagination
    ordering_fields = ["registered_on", "number", "customs_value"]
    read_roles = READERS

    def get_queryset(self):
        return selectors.declaration_list(user=self.request.user)


class DeclarationDetailView(APIView):
    """The current version of one declaration with every version, its goods lines
    and its outcomes."""

    read_roles = READERS
    serializer_class = DeclarationDetailSerializer

    @extend_schema(
        parameters=[OpenApiParameter("number", str, OpenApiParameter.PATH)],
        responses=DeclarationDetailSerializer,
    )
    def get(self, request, number: str):
        try:
            declaration = selectors.declaration_for(user=request.user, number=number)
        except Declaration.DoesNotExist as exc:
            raise Http404 from exc
        detail = selectors.declaration_detail(declaration=declaration)
        data = DeclarationSerializer(declaration).data
        data["versions"] = VersionSerializer(detail["versions"], many=True).data
        data["lines"] = LineSerializer(detail["lines"], many=True).data
        data["outcomes"] = OutcomeSerializer(detail["outcomes"], many=True).data
        return Response(data)


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    import_count = serializers.IntegerField()
    import_value = vnd()
    export_count = serializers.IntegerField()
    export_value = vnd()


class TradeSerializer(serializers.Serializer):
    tax_code = serializers.CharField()
    months = MonthSerializer(many=True)
    outcome_count = serializers.IntegerField()
    violation_count = serializers.IntegerField()
    additional_tax = vnd()


class EnterpriseTradeView(APIView):
    """An enterprise's import and export by month (last 36 months) and its outcomes."""

    read_roles = READERS
    serializer_class = TradeSerializer

    @extend_schema(
        parameters=[OpenApiParameter("tax_code", str, OpenApiParameter.PATH)],
        responses=TradeSerializer,
    )
    def get(self, request, tax_code: str):
        enterprise = Enterprise.objects.visible_to(request.user).filter(tax_code=tax_code).first()
        if enterprise is None:
            raise Http404
        trade = selectors.enterprise_trade(enterprise=enterprise)
        outcomes = selectors.enterprise_outcomes(enterprise=enterprise, limit=0)["summary"]
        data = {
            "tax_code": enterprise.tax_code,
            "months": [
                {
                    "month": month,
                    "import_count": values["import"][0],
                    "import_value": values["import"][1],
                    "export_count": values["export"][0],
                    "export_value": values["export"][1],
                }
                for month, values in trade["by_month"]
            ],
            "outcome_count": outcomes["count"],
            "violation_count": outcomes["violations"],
            "additional_tax": outcomes["additional_tax"] or 0,
        }
        return Response(TradeSerializer(data).data)


urlpatterns = [
    path("declarations/", DeclarationListView.as_view(), name="declaration-list"),
    path("declarations/<str:number>/", DeclarationDetailView.as_view(), name="declaration-detail"),
    path(
        "enterprises/<str:tax_code>/trade/",
        EnterpriseTradeView.as_view(),
        name="enterprise-trade",
    ),
]

"""GET /api/v1/reports/statistics/: the statistics page's figures as JSON."""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import selectors
from reports.forms import PeriodForm
from stq02.api.fields import vnd
from stq02.scoping import READERS


class StatisticsFiguresSerializer(serializers.Serializer):
    opened = serializers.IntegerField()
    office = serializers.IntegerField()
    premises = serializers.IntegerField()
    started = serializers.IntegerField()
    closed = serializers.IntegerField()
    import_duty = vnd()
    vat = vnd()
    special_consumption_tax = vnd()
    environmental_tax = vnd()
    tax = vnd()
    fine = vnd()
    assessed = vnd()
    collected = vnd()
    appealed = vnd()
    written_off = vnd()
    outstanding = vnd()


class StatisticsUnitSerializer(StatisticsFiguresSerializer):
    code = serializers.CharField()
    name = serializers.CharField()


class StatisticsStateSerializer(serializers.Serializer):
    state = serializers.CharField()
    office = serializers.IntegerField()
    premises = serializers.IntegerField()
    total = serializers.IntegerField()


class StatisticsAgeingSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="0_90 | 91_180 | 181_365 | over_365")
    amount = vnd()


class StatisticsMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    assessed = vnd()
    collected = vnd()


class StatisticsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    unit = serializers.CharField(allow_null=True)
    rows = StatisticsUnitSerializer(many=True)
    total = StatisticsFiguresSerializer(help_text="the sum of the unit rows")
    by_state = StatisticsStateSerializer(many=True)
    ageing_as_of = serializers.DateField()
    ageing = StatisticsAgeingSerializer(many=True)
    ageing_total = vnd()
    months = StatisticsMonthSerializer(many=True)


def statistics_payload(figures: dict) -> dict:
    months = figures["months"]
    return {
        "date_from": figures["period"].start,
        "date_to": figures["period"].end,
        "unit": figures["unit"].code if figures["unit"] else None,
        "rows": figures["rows"],
        "total": figures["total"],
        "by_state": figures["by_kind_state"],
        "ageing_as_of": figures["ageing"]["as_of"],
        "ageing": figures["ageing"]["rows"],
        "ageing_total": figures["ageing"]["total"],
        "months": [
            {"month": m, "assessed": months["assessed"][m], "collected": months["collected"][m]}
            for m in months["months"]
        ],
    }


class StatisticsView(APIView):
    read_roles = READERS
    serializer_class = StatisticsSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="calendar year (default: this year)"),
            OpenApiParameter("date_from", str, description="YYYY-MM-DD, with date_to"),
            OpenApiParameter("date_to", str, description="YYYY-MM-DD, with date_from"),
            OpenApiParameter("unit", str, description="unit code; its subtree"),
        ],
        responses={200: StatisticsSerializer},
    )
    def get(self, request):
        form = PeriodForm(request.query_params, units=selectors.units_for(user=request.user))
        if not form.is_valid():
            # The only error of the unit field: a code outside the caller's scope.
            if "unit" in form.errors:
                raise Http404
            raise serializers.ValidationError(form.errors)
        data = form.cleaned_data
        figures = selectors.statistics(
            user=request.user, period=data["period"], unit=data.get("unit")
        )
        return Response(StatisticsSerializer(statistics_payload(figures)).data)


urlpatterns = [
    path("reports/statistics/", StatisticsView.as_view(), name="report-statistics"),
]

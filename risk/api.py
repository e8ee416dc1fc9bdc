"""API for local customs departments: scores (scoped to the caller's units),
scoring runs and the criteria in force (read only)."""

from django.urls import path
from rest_framework import generics, serializers

from risk.models import Criterion, EnterpriseScore, ScoringRun
from stq02.scoping import READERS


class ScoreSerializer(serializers.ModelSerializer):
    tax_code = serializers.CharField(source="enterprise.tax_code", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    criteria_fired = serializers.SerializerMethodField()

    class Meta:
        model = EnterpriseScore
        fields = [
            "id",
            "run",
            "as_of",
            "enterprise",
            "tax_code",
            "enterprise_name",
            "unit",
            "score",
            "criteria_score",
            "model_score",
            "klass",
            "is_random",
            "rank_in_unit",
            "criteria_fired",
        ]

    def get_criteria_fired(self, score) -> list[str]:
        return score.fired_codes.split()


class ScoreDetailSerializer(ScoreSerializer):
    class Meta(ScoreSerializer.Meta):
        fields = [*ScoreSerializer.Meta.fields, "features", "reasons"]


class RunSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    # Plain strings: several models have a "status" with other choices, and the
    # schema generator would give their enums colliding names.
    status = serializers.CharField(read_only=True, help_text="pending, running, done, failed")
    phase = serializers.CharField(
        read_only=True, help_text="norms, features, enterprises, classes, declarations, finished"
    )

    class Meta:
        model = ScoringRun
        fields = [
            "id",
            "as_of",
            "status",
            "phase",
            "progress_percent",
            "enterprises_total",
            "enterprises_done",
            "declarations_done",
            "audit_count",
            "monitoring_count",
            "random_count",
            "enterprise_model",
            "declaration_model",
            "started_at",
            "finished_at",
            "duration_seconds",
        ]


class CriterionSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Criterion
        fields = [
            "id",
            "code",
            "version",
            "name",
            "description",
            "indicator",
            "operator",
            "threshold",
            "weight",
            "unit",
            "effective_from",
            "effective_until",
            "is_active",
            "legal_basis",
        ]


class ScoreList(generics.ListAPIView):
    """Scores of the enterprises the caller's units manage; filter by run, class,
    tax code (``?run=&klass=&tax_code=``)."""

    serializer_class = ScoreSerializer
    read_roles = READERS
    filterset_fields = {"run": ["exact"], "klass": ["exact"], "is_random": ["exact"]}
    ordering_fields = ["score", "as_of"]

    def get_queryset(self):
        scores = EnterpriseScore.objects.visible_to(self.request.user).select_related(
            "enterprise", "unit"
        )
        tax_code = self.request.query_params.get("tax_code")
        if tax_code:
            scores = scores.filter(enterprise__tax_code=tax_code)
        return scores.order_by("-as_of", "-score", "pk")


class ScoreDetail(generics.RetrieveAPIView):
    """One score with its frozen reasons and the features it was computed from."""

    serializer_class = ScoreDetailSerializer
    read_roles = READERS

    def get_queryset(self):
        return EnterpriseScore.objects.visible_to(self.request.user).select_related(
            "enterprise", "unit"
        )


class RunList(generics.ListAPIView):
    serializer_class = RunSerializer
    read_roles = READERS
    queryset = ScoringRun.objects.order_by("-as_of")


class RunDetail(generics.RetrieveAPIView):
    serializer_class = RunSerializer
    read_roles = READERS
    queryset = ScoringRun.objects.all()


class CriterionList(generics.ListAPIView):
    """Every version of every criterion (``?code=``)."""

    serializer_class = CriterionSerializer
    read_roles = READERS
    filterset_fields = ["code", "is_active"]
    queryset = Criterion.objects.select_related("unit").order_by("code", "-version")


urlpatterns = [
    path("risk/scores/", ScoreList.as_view(), name="risk-score-list"),
    path("risk/scores/<int:pk>/", ScoreDetail.as_view(), name="risk-score-detail"),
    path("risk/runs/", RunList.as_view(), name="risk-run-list"),
    path("risk/runs/<int:pk>/", RunDetail.as_view(), name="risk-run-detail"),
    path("risk/criteria/", CriterionList.as_view(), name="risk-criterion-list"),
]

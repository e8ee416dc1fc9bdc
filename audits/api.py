"""API for local customs departments: read their cases, post progress (the steps
of the transition table) and results. Cases of another unit are 404; which
steps a role may post is decided by the table, as on the pages."""

from django.http import Http404
from django.urls import path
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from audits import forms, lifecycle, selectors, services
from audits.models import AuditCase, CaseEvent, Finding
from stq02.api.fields import vnd
from stq02.models import Role, Unit
from stq02.scoping import READERS

WRITERS = {Role.OFFICER, Role.UNIT_HEAD, Role.DEPARTMENT_HEAD, Role.ADMIN, Role.API_CLIENT}


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()
    # Plain strings: the same choices as the case's ``state`` (one enum in the schema).
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["action", "actor", "at", "from_state", "to_state", "note", "data"]


class FindingSerializer(serializers.ModelSerializer):
    declaration_number = serializers.CharField(source="declaration.number", read_only=True)
    outstanding = vnd(read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "declaration_number",
            "line_no",
            *services.FINDING_FIELDS,
            "outstanding",
        ]


class FindingInputSerializer(serializers.ModelSerializer):
    declaration_number = serializers.CharField(max_length=12)
    line_no = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    class Meta:
        model = Finding
        fields = ["declaration_number", "line_no", *services.FINDING_FIELDS]


class CaseSerializer(serializers.ModelSerializer):
    enterprise = serializers.SlugRelatedField(slug_field="tax_code", read_only=True)
    # Named apart from the other apps' "kind" choice sets in the OpenAPI schema.
    kind = serializers.CharField(read_only=True, help_text="office | premises")
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lead = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AuditCase
        fields = [
            "id",
            "number",
            "enterprise",
            "unit",
            "kind",
            "legal_basis",
            "content",
            "period_from",
            "period_to",
            "state",
            "planned_year",
            "estimated_officer_days",
            "lead",
            "decision_signed_on",
            "start_on",
            "decision_sent_on",
            "started_on",
            "answered_on",
            "non_compliant_on",
            "extension_days",
            "ended_on",
            "minutes_on",
            "concluded_on",
            "closed_on",
            "next_deadline_on",
            "next_deadline_code",
        ]


class CaseDetailSerializer(CaseSerializer):
    deadlines = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    events = EventSerializer(many=True, read_only=True)
    findings = FindingSerializer(many=True, read_only=True)
    declarations = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "deadlines",
            "documents",
            "events",
            "findings",
            "declarations",
        ]

    def get_deadlines(self, case) -> list[dict]:
        return [
            {
                "code": row["deadline"].code,
                "due_on": row["deadline"].due_on,
                "done_on": row["deadline"].done_on,
                "status": row["status"],
                "legal": row["deadline"].legal,
            }
            for row in selectors.deadline_rows(case)
        ]

    def get_documents(self, case) -> list[dict]:
        return [
            {"kind": d.kind, "number": d.number, "issued_on": d.issued_on, "sha256": d.sha256}
            for d in case.documents.all()
        ]


def step_serializer(case: AuditCase, transition) -> serializers.Serializer:
    """The fields a step records, as the API takes them (dates ISO, people by user
    name, units by code)."""
    fields = {}
    for name in transition.fields:
        if name in services.DATE_FIELDS:
            fields[name] = serializers.DateField(required=name != "minutes_on")
        elif name == "note":
            fields[name] = serializers.CharField(required=False, allow_blank=True)
        elif name in ("estimated_officer_days", "planned_year", "extension_days"):
            fields[name] = serializers.IntegerField(min_value=0)
        elif name == "second_audit_reason":
            fields[name] = serializers.CharField(required=False, allow_blank=True)
        elif name == "no_violation":
            fields[name] = serializers.BooleanField(required=False)
        elif name == "lead":
            fields[name] = serializers.SlugRelatedField(
                slug_field="username", queryset=forms.team_candidates(case)
            )
        elif name == "members":
            fields[name] = serializers.SlugRelatedField(
                slug_field="username",
                queryset=forms.team_candidates(case),
                many=True,
                required=False,
            )
        elif name == "unit":
            fields[name] = serializers.SlugRelatedField(
                slug_field="code", queryset=Unit.objects.filter(is_active=True)
            )
    return type("StepSerializer", (serializers.Serializer,), fields)


class CaseMixin:
    def get_case(self) -> AuditCase:
        try:
            return selectors.case_for(user=self.request.user, pk=self.kwargs["pk"])
        except AuditCase.DoesNotExist as exc:
            raise Http404 from exc


class CaseListView(generics.ListAPIView):
    """Cases of the caller's unit and below (all for central users)."""

    serializer_class = CaseSerializer
    read_roles = READERS
    filterset_fields = ["state", "kind", "legal_basis", "unit__code", "is_open"]
    ordering_fields = ["next_deadline_on", "created_at", "number"]

    def get_queryset(self):
        return selectors.cases_for(user=self.request.user).order_by("-created_at")


class CaseDetailView(CaseMixin, generics.RetrieveAPIView):
    serializer_class = CaseDetailSerializer
    read_roles = READERS

    def get_object(self):
        return self.get_case()


class CaseStepView(CaseMixin, APIView):
    """POST the data of one step (e.g. ``started`` with ``started_on``); the answer is
    the case as it is after the step."""

    read_roles = READERS
    write_roles = WRITERS
    serializer_class = CaseDetailSerializer

    def post(self, request, pk, action):
        case = self.get_case()
        if action not in lifecycle.BY_ACTION:
            raise Http404
        serializer = step_serializer(case, lifecycle.transition(action))(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.perform(
            case=case, action=action, user=request.user, data=serializer.validated_data
        )
        case = self.get_case()
        return Response(CaseDetailSerializer(case).data, status=status.HTTP_200_OK)


class FindingListView(CaseMixin, generics.ListCreateAPIView):
    """The results of a case; POST records a finding on a declaration in scope."""

    read_roles = READERS
    write_roles = WRITERS
    pagination_class = None

    def get_serializer_class(self):
        return FindingInputSerializer if self.request.method == "POST" else FindingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Finding.objects.none()
        return self.get_case().findings.select_related("declaration")

    def create(self, request, *args, **kwargs):
        case = self.get_case()
        serializer = FindingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        finding = services.record_finding(
            case=case,
            user=request.user,
            declaration_number=data.pop("declaration_number"),
            line_no=data.pop("line_no", None),
            **data,
        )
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("audit-cases/", CaseListView.as_view(), name="audit-case-list"),
    path("audit-cases/<int:pk>/", CaseDetailView.as_view(), name="audit-case-detail"),
    path(
        "audit-cases/<int:pk>/steps/<slug:action>/",
        CaseStepView.as_view(),
        name="audit-case-step",
    ),
    path(
        "audit-cases/<int:pk>/findings/",
        FindingListView.as_view(),
        name="audit-case-findings",
    ),
]

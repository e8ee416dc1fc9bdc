"""API for local customs departments to push files and follow their batches.

POST /api/v1/imports/                    multipart ``source`` + ``file``: 202 and the batch
GET  /api/v1/imports/                    the caller's units' batches
GET  /api/v1/imports/{id}/               one batch: status, counts, progress
GET  /api/v1/imports/{id}/rejections/    its rejected rows (row, field, reason, raw values)
A batch of another unit gives 404.
"""

from django.db import transaction
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from integrations.adapters import ADAPTERS, FILE_SOURCES
from integrations.models import ImportBatch, RejectedRow
from integrations.selectors import batches_for
from integrations.views import UPLOAD_SUFFIXES, start_batch
from stq02.models import Role
from stq02.scoping import READERS, STAFF

WRITERS = STAFF | {Role.API_CLIENT}


class BatchSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "source",
            "file_name",
            "sha256",
            "status",
            "new_count",
            "changed_count",
            "unchanged_count",
            "rejected_count",
            "rows_done",
            "rows_total",
            "progress_percent",
            "error",
            "unit",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
        ]

    def get_duration_seconds(self, batch) -> float | None:
        return batch.duration.total_seconds() if batch.duration else None


class UploadSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=[s for s in FILE_SOURCES if s in ADAPTERS])
    file = serializers.FileField()

    def validate(self, data):
        wanted = UPLOAD_SUFFIXES.get(ADAPTERS[data["source"]].file_format)
        if wanted and not data["file"].name.lower().endswith(wanted):
            raise serializers.ValidationError(
                {
                    "file": _("The %(source)s format needs a %(suffix)s file.")
                    % {"source": data["source"], "suffix": wanted}
                }
            )
        return data


class RejectedRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = RejectedRow
        fields = ["row_number", "field", "reason", "raw"]


class BatchListView(generics.ListCreateAPIView):
    read_roles = READERS
    write_roles = WRITERS
    serializer_class = BatchSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["source", "status"]

    def get_queryset(self):
        return batches_for(self.request.user)

    def get_serializer_class(self):
        return UploadSerializer if self.request.method == "POST" else BatchSerializer

    @extend_schema(request=UploadSerializer, responses={202: BatchSerializer})
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        with transaction.atomic():
            batch = start_batch(
                source=upload.validated_data["source"],
                uploaded=upload.validated_data["file"],
                user=request.user,
            )
        batch.refresh_from_db()
        return Response(BatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class BatchDetailView(generics.RetrieveAPIView):
    read_roles = READERS
    serializer_class = BatchSerializer

    def get_queryset(self):
        return batches_for(self.request.user)


class BatchRejectionsView(generics.ListAPIView):
    read_roles = READERS
    serializer_class = RejectedRowSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return RejectedRow.objects.none()
        batch = generics.get_object_or_404(batches_for(self.request.user), pk=self.kwargs["pk"])
        return batch.rejections.order_by("row_number", "pk")


urlpatterns = [
    path("imports/", BatchListView.as_view(), name="import-list"),
    path("imports/<int:pk>/", BatchDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/rejections/", BatchRejectionsView.as_view(), name="import-rejections"),
]

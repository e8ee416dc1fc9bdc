"""Import batch pages: list, detail with live progress, rejected rows, upload."""

import csv
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from integrations import pipeline
from integrations.adapters import ADAPTERS, FILE_SOURCES
from integrations.models import ImportBatch
from integrations.selectors import batches_for, write_rejections_csv
from stq02.scoping import STAFF
from stq02.views import RoleRequiredMixin

UPLOAD_SUFFIXES = {"csv": ".csv", "xlsx": ".xlsx", "xml": ".xml"}


def store_upload(uploaded) -> Path:
    """Keep an uploaded file under PRIVATE_MEDIA_ROOT/imports/ for the worker."""
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}-{Path(uploaded.name).name}"
    with open(target, "wb") as handle:
        for piece in uploaded.chunks():
            handle.write(piece)
    return target


def start_batch(*, source: str, uploaded, user) -> ImportBatch:
    """Create the batch for an uploaded file; processing is queued on commit."""
    from integrations.tasks import process_batch

    path = store_upload(uploaded)
    batch = pipeline.create_batch(source=source, path=path, file_name=uploaded.name, user=user)
    transaction.on_commit(lambda: process_batch.delay(batch.pk))
    return batch


class UploadForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Format"),
        choices=[(name, ADAPTERS[name].label) for name in FILE_SOURCES if name in ADAPTERS],
    )
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8), XLSX or XML"))

    def clean(self):
        data = super().clean()
        source, uploaded = data.get("source"), data.get("file")
        if source and uploaded:
            wanted = UPLOAD_SUFFIXES.get(ADAPTERS[source].file_format)
            if wanted and not uploaded.name.lower().endswith(wanted):
                self.add_error(
                    "file",
                    _("The %(format)s format needs a %(suffix)s file.")
                    % {"format": ADAPTERS[source].label, "suffix": wanted},
                )
        return data


class BatchListView(RoleRequiredMixin, ListView):
    allowed_roles = STAFF
    template_name = "integrations/batch_list.html"
    context_object_name = "batches"
    paginate_by = 50

    def get_queryset(self):
        return batches_for(self.request.user)


class BatchDetailView(RoleRequiredMixin, DetailView):
    allowed_roles = STAFF
    template_name = "integrations/batch_detail.html"
    context_object_name = "batch"

    def get_queryset(self):
        return batches_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rejections"] = self.object.rejections.all()[:200]
        return context


class BatchProgressView(RoleRequiredMixin, View):
    allowed_roles = STAFF

    def get(self, request, pk):
        batch = get_object_or_404(batches_for(request.user), pk=pk)
        return JsonResponse(batch_status(batch))


def batch_status(batch: ImportBatch) -> dict:
    return {
        "id": batch.pk,
        "source": batch.source,
        "file_name": batch.file_name,
        "sha256": batch.sha256,
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "new": batch.new_count,
        "changed": batch.changed_count,
        "unchanged": batch.unchanged_count,
        "rejected": batch.rejected_count,
        "rows_done": batch.rows_done,
        "rows_total": batch.rows_total,
        "percent": batch.progress_percent,
        "error": batch.error,
        "started_at": batch.started_at.isoformat() if batch.started_at else None,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "duration_seconds": batch.duration.total_seconds() if batch.duration else None,
    }


class RejectionsCsvView(RoleRequiredMixin, View):
    allowed_roles = STAFF

    def get(self, request, pk):
        batch = get_object_or_404(batches_for(request.user), pk=pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-rejected.csv"'
        response.write("\ufeff")
        write_rejections_csv(batch, csv.writer(response))
        return response


class UploadView(RoleRequiredMixin, FormView):
    allowed_roles = STAFF
    template_name = "integrations/upload.html"
    form_class = UploadForm

    def form_valid(self, form):
        batch = start_batch(
            source=form.cleaned_data["source"],
            uploaded=form.cleaned_data["file"],
            user=self.request.user,
        )
        return redirect("integrations:batch-detail", pk=batch.pk)

"""Pages of the audit lifecycle: the case list, a case's page, one guided form
per step, scope, findings, files, notifications, the annual plan and workload.

Every page reads cases through ``selectors.case_for`` (scoped by unit): a case of
another unit is a 404. Which steps a user sees comes from the transition table.
"""

import mimetypes

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView, View

from audits import forms, lifecycle, selectors, services
from audits.models import Attachment, AuditCase, CaseDocument, Finding, Notification
from enterprises.models import Enterprise
from stq02.errors import DomainError
from stq02.models import Unit
from stq02.scoping import STAFF
from stq02.views import RoleRequiredMixin


def _form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


class CaseMixin(RoleRequiredMixin):
    """Loads ``self.case`` for the URL's pk, scoped to the user (404 otherwise)."""

    allowed_roles = STAFF

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.case = selectors.case_for(user=request.user, pk=kwargs["pk"])
            except AuditCase.DoesNotExist as exc:
                raise Http404 from exc
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["case"] = self.case
        return context

    def case_url(self, anchor: str = "") -> str:
        return reverse("audits:case-detail", args=[self.case.pk]) + (f"#{anchor}" if anchor else "")


class CaseListView(RoleRequiredMixin, ListView):
    template_name = "audits/case_list.html"
    context_object_name = "cases"
    paginate_by = 50

    def get_queryset(self):
        params = self.request.GET
        return selectors.case_list(
            user=self.request.user,
            state=params.get("state", ""),
            kind=params.get("kind", ""),
            unit=params.get("unit", ""),
            deadline=params.get("deadline", ""),
            query=params.get("q", "").strip(),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            query=query.urlencode(),
            params=self.request.GET,
            states=lifecycle.State.choices,
            kinds=AuditCase.Kind.choices,
            units=selectors.units_for(user=self.request.user),
            today=timezone.localdate(),
        )
        return context


class CaseCreateView(RoleRequiredMixin, FormView):
    """Open a case in information collection."""

    template_name = "audits/case_form.html"
    form_class = forms.CaseForm

    def form_valid(self, form):
        user = self.request.user
        enterprise = (
            Enterprise.objects.visible_to(user)
            .filter(tax_code=form.cleaned_data["tax_code"])
            .first()
        )
        if enterprise is None:
            form.add_error("tax_code", _("No enterprise with this tax code in your area."))
            return self.form_invalid(form)
        if user.unit is None:
            raise PermissionDenied
        data = form.cleaned_data
        try:
            case = services.open_case(
                enterprise=enterprise,
                unit=user.unit,
                user=user,
                kind=data["kind"],
                legal_basis=data["legal_basis"],
                content=data["content"],
                period_from=data["period_from"],
                period_to=data["period_to"],
                summary=data["summary"],
                estimated_officer_days=data["estimated_officer_days"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Case %(number)s opened.") % {"number": case.number})
        return HttpResponseRedirect(reverse("audits:case-detail", args=[case.pk]))


class CaseProposeView(RoleRequiredMixin, FormView):
    """From a risk-list entry to a proposed case in one step (?enterprise=&score=)."""

    template_name = "audits/case_propose.html"
    form_class = forms.ProposeForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                enterprise_id = int(request.GET.get("enterprise", ""))
                self.score_id = int(request.GET["score"]) if request.GET.get("score") else None
            except ValueError as exc:
                raise Http404 from exc
            self.enterprise = get_object_or_404(
                Enterprise.objects.visible_to(request.user), pk=enterprise_id
            )
            self.snapshot = services.risk_snapshot(self.score_id) if self.score_id else {}
            if self.snapshot.get("enterprise_id") not in (None, self.enterprise.pk):
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(enterprise=self.enterprise, snapshot=self.snapshot, score_id=self.score_id)
        return context

    def form_valid(self, form):
        user = self.request.user
        if user.unit is None:
            raise PermissionDenied
        data = form.cleaned_data
        try:
            case = services.propose_from_risk(
                enterprise=self.enterprise,
                score_id=self.score_id,
                unit=user.unit,
                user=user,
                kind=data["kind"],
                content=data["content"],
                period_from=data["period_from"],
                period_to=data["period_to"],
                estimated_officer_days=data["estimated_officer_days"],
                note=data["note"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Case %(number)s proposed.") % {"number": case.number})
        return HttpResponseRedirect(reverse("audits:case-detail", args=[case.pk]))


class CaseDetailView(CaseMixin, TemplateView):
    template_name = "audits/case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.case
        user = self.request.user
        context.update(
            actions=services.allowed_actions(case=case, user=user),
            events=case.events.select_related("actor"),
            deadlines=selectors.deadline_rows(case),
            next_deadline=case.next_deadline_on,
            documents=case.documents.prefetch_related("signed_copies"),
            attachments=case.attachments.select_related("uploaded_by", "document"),
            members=case.members.all(),
            scope=case.declarations.order_by("registered_on", "number")[:100],
            scope_count=case.declarations.count(),
            findings=case.findings.select_related("declaration"),
            totals=selectors.findings_totals(case),
            can_edit=case.is_open and user.role in lifecycle.OFFICERS,
            can_scope=case.state in lifecycle.BEFORE_DECISION and user.role in lifecycle.OFFICERS,
            can_record=case.state in services.RESULT_STATES and user.role in lifecycle.OFFICERS,
            attachment_form=forms.AttachmentForm(case=case),
            unread=selectors.unread_notifications(user=user),
        )
        return context


class CaseStepView(CaseMixin, FormView):
    """The guided form of one step; only steps the table allows are reachable."""

    template_name = "audits/case_step.html"

    def get_transition(self):
        action = self.kwargs["action"]
        if action not in lifecycle.BY_ACTION:
            raise Http404
        transition = lifecycle.transition(action)
        allowed = {
            t.action for t in services.allowed_actions(case=self.case, user=self.request.user)
        }
        if action not in allowed:
            if self.case.state not in transition.sources:
                raise Http404
            raise PermissionDenied
        return transition

    def get_form(self, form_class=None):
        self.transition = self.get_transition()
        return forms.StepForm(case=self.case, transition=self.transition, **self.get_form_kwargs())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["transition"] = self.transition
        context["deadlines"] = selectors.deadline_rows(self.case)
        return context

    def form_valid(self, form):
        try:
            services.perform(
                case=self.case,
                action=self.transition.action,
                user=self.request.user,
                data=form.cleaned_data,
            )
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from exc
        except DomainError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Done: %(step)s.") % {"step": self.transition.label})
        return HttpResponseRedirect(self.case_url())


class ScopeView(CaseMixin, FormView):
    template_name = "audits/case_scope.html"
    form_class = forms.ScopeForm

    def form_valid(self, form):
        if self.request.user.role not in lifecycle.OFFICERS:
            raise PermissionDenied
        try:
            added = services.add_to_scope(
                case=self.case, numbers=form.cleaned_data["numbers"], user=self.request.user
            )
        except DomainError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request, _("%(count)d declarations added to the scope.") % {"count": len(added)}
        )
        return HttpResponseRedirect(self.case_url("scope"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oldest"] = services.oldest_allowed_registration(
            self.case.decision_signed_on or timezone.localdate()
        )
        return context


class FindingCreateView(CaseMixin, FormView):
    template_name = "audits/finding_form.html"

    def get_form(self, form_class=None):
        return forms.FindingForm(case=self.case, **self.get_form_kwargs())

    def form_valid(self, form):
        if self.request.user.role not in lifecycle.OFFICERS:
            raise PermissionDenied
        data = dict(form.cleaned_data)
        number = data.pop("declaration_number")
        line_no = data.pop("line_no")
        try:
            services.record_finding(
                case=self.case,
                user=self.request.user,
                declaration_number=number,
                line_no=line_no,
                **data,
            )
        except DomainError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Finding recorded."))
        return HttpResponseRedirect(self.case_url("results"))


class FindingCollectionView(CaseMixin, FormView):
    """Amounts collected, appealed and written off for one finding."""

    template_name = "audits/finding_form.html"

    def get_form(self, form_class=None):
        self.finding = get_object_or_404(Finding, pk=self.kwargs["finding"], case=self.case)
        return forms.CollectionForm(instance=self.finding, **self.get_form_kwargs())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["finding"] = self.finding
        return context

    def form_valid(self, form):
        if self.request.user.role not in lifecycle.OFFICERS:
            raise PermissionDenied
        finding = Finding.objects.get(pk=self.finding.pk)
        try:
            services.update_collection(finding=finding, user=self.request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Collection recorded."))
        return HttpResponseRedirect(self.case_url("results"))


class AttachmentUploadView(CaseMixin, FormView):
    template_name = "audits/attachment_form.html"

    def get_form(self, form_class=None):
        return forms.AttachmentForm(case=self.case, **self.get_form_kwargs())

    def form_valid(self, form):
        if self.request.user.role not in lifecycle.OFFICERS:
            raise PermissionDenied
        data = form.cleaned_data
        try:
            services.attach_file(
                case=self.case,
                upload=data["file"],
                kind=data["kind"],
                user=self.request.user,
                description=data["description"],
                document=data["document"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("File attached."))
        return HttpResponseRedirect(self.case_url("attachments"))


def _serve(stored_file, download_name: str, content_type: str | None = None):
    """A private file as an attachment download (never rendered inline)."""
    content_type = content_type or mimetypes.guess_type(download_name)[0]
    response = FileResponse(
        stored_file.open("rb"),
        as_attachment=True,
        filename=download_name,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class DocumentDownloadView(RoleRequiredMixin, View):
    def get(self, request, document):
        found = get_object_or_404(CaseDocument.objects.visible_to(request.user), pk=document)
        return _serve(
            found.file,
            f"{found.get_kind_display()} {found.number}.pdf".replace("/", "-"),
            "application/pdf",
        )


class AttachmentDownloadView(RoleRequiredMixin, View):
    def get(self, request, attachment):
        found = get_object_or_404(Attachment.objects.visible_to(request.user), pk=attachment)
        return _serve(found.file, found.original_name, found.content_type)


class NotificationListView(RoleRequiredMixin, ListView):
    template_name = "audits/notifications.html"
    context_object_name = "notifications"
    paginate_by = 50

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user).select_related("case")

    def post(self, request):
        Notification.objects.filter(user=request.user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return HttpResponseRedirect(reverse("audits:notifications"))


class UnitPageMixin(RoleRequiredMixin):
    def get_unit(self):
        units = selectors.units_for(user=self.request.user)
        code = self.request.GET.get("unit")
        if code:
            unit = units.filter(code=code).first()
            if unit is None:
                raise Http404
            return unit, units
        user_unit = self.request.user.unit
        if user_unit and not user_unit.is_central:
            return user_unit, units
        unit = units.first()
        if unit is None:
            raise Http404
        return unit, units


class PlanView(UnitPageMixin, TemplateView):
    template_name = "audits/plan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unit, units = self.get_unit()
        try:
            year = int(self.request.GET.get("year") or timezone.localdate().year)
        except ValueError as exc:
            raise Http404 from exc
        try:
            context.update(selectors.plan(user=self.request.user, unit=unit, year=year))
        except Unit.DoesNotExist as exc:
            raise Http404 from exc
        context["units"] = units
        return context


class WorkloadView(UnitPageMixin, TemplateView):
    template_name = "audits/workload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unit, units = self.get_unit()
        try:
            context["rows"] = selectors.workload(user=self.request.user, unit=unit)
        except Unit.DoesNotExist as exc:
            raise Http404 from exc
        context.update(unit=unit, units=units)
        return context

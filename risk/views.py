"""Pages: the risk list, an enterprise's score history, criteria, models, runs,
back-tests and feedback."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from enterprises.models import Enterprise
from risk import selectors, services
from risk.features import INDICATORS
from risk.forms import CriterionForm, RiskListFilter, RunStartForm
from risk.models import Backtest, Criterion, EnterpriseScore, RiskModel, ScoringRun
from stq02.errors import DomainError
from stq02.scoping import CENTRAL_HEADS, HEADS, STAFF
from stq02.views import RoleRequiredMixin


def propose_url(score: EnterpriseScore) -> str | None:
    """The audits app's proposal page for this selection, once that app has it."""
    try:
        base = reverse("audits:case-propose")
    except NoReverseMatch:
        return None
    return f"{base}?enterprise={score.enterprise_id}&score={score.pk}"


class RiskListView(RoleRequiredMixin, ListView):
    allowed_roles = STAFF
    template_name = "risk/list.html"
    context_object_name = "scores"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = RiskListFilter(self.request.GET or None)
        filters = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        self.run = filters.get("run") or selectors.latest_run()
        return selectors.risk_list(user=self.request.user, run=self.run, filters=filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for score in context["scores"]:
            score.propose_url = propose_url(score) if score.klass != "not_audited" else None
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=self.filter_form, run=self.run, query=query.urlencode())
        return context


class EnterpriseHistoryView(RoleRequiredMixin, TemplateView):
    allowed_roles = STAFF
    template_name = "risk/history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        enterprise = (
            Enterprise.objects.visible_to(self.request.user)
            .filter(tax_code=self.kwargs["tax_code"])
            .first()
        )
        if enterprise is None:
            raise Http404
        scores = list(
            selectors.score_history(user=self.request.user, enterprise_id=enterprise.pk)[:60]
        )
        for score in scores:
            score.propose_url = propose_url(score)
        context.update(enterprise=enterprise, scores=scores, indicators=INDICATORS)
        return context


class ScoreDetailView(RoleRequiredMixin, DetailView):
    allowed_roles = STAFF
    template_name = "risk/score.html"
    context_object_name = "score"

    def get_queryset(self):
        return EnterpriseScore.objects.visible_to(self.request.user).select_related(
            "enterprise", "run"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        score = self.object
        context["propose_url"] = propose_url(score)
        context["features"] = [
            (name, INDICATORS[name][0], INDICATORS[name][1], value)
            for name, value in score.features.items()
            if name in INDICATORS
        ]
        return context


# -- criteria ------------------------------------------------------------------
class CriterionListView(RoleRequiredMixin, ListView):
    allowed_roles = STAFF
    template_name = "risk/criteria.html"
    context_object_name = "criteria"

    def get_queryset(self):
        return Criterion.objects.select_related("unit", "created_by").order_by("code", "-version")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.request.user.has_role(*HEADS)
        return context


class CriterionCreateView(RoleRequiredMixin, FormView):
    allowed_roles = HEADS
    template_name = "risk/criterion_form.html"
    form_class = CriterionForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            criterion = services.criterion_create(
                user=self.request.user,
                code=data.pop("code"),
                effective_from=data.pop("effective_from"),
                **data,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return self.form_invalid(form)
        messages.success(self.request, _("Criterion %(code)s created.") % {"code": criterion.code})
        return redirect("risk:criterion-detail", pk=criterion.pk)


class CriterionDetailView(RoleRequiredMixin, DetailView):
    allowed_roles = STAFF
    template_name = "risk/criterion.html"
    context_object_name = "criterion"
    queryset = Criterion.objects.select_related("unit", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["versions"] = Criterion.objects.filter(code=self.object.code).order_by("-version")
        context["can_edit"] = self.request.user.has_role(*HEADS)
        return context


class CriterionReviseView(RoleRequiredMixin, FormView):
    allowed_roles = HEADS
    template_name = "risk/criterion_form.html"
    form_class = CriterionForm

    def dispatch(self, request, *args, **kwargs):
        self.criterion = get_object_or_404(Criterion, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, revising=True)
        kwargs["initial"] = {
            "code": self.criterion.code,
            **{name: getattr(self.criterion, name) for name in services.CRITERION_FIELDS},
        }
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "criterion": self.criterion}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        data.pop("code", None)
        try:
            revised = services.criterion_revise(
                user=self.request.user,
                criterion=self.criterion,
                effective_from=data.pop("effective_from"),
                **data,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Version %(version)s of %(code)s saved.")
            % {"version": revised.version, "code": revised.code},
        )
        return redirect("risk:criterion-detail", pk=revised.pk)


class FeedbackView(RoleRequiredMixin, TemplateView):
    allowed_roles = STAFF
    template_name = "risk/feedback.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["criteria"] = selectors.criterion_feedback(user=user)
        context["models"] = selectors.model_feedback(user=user)
        context["review_min_checked"] = selectors.REVIEW_MIN_CHECKED
        return context


# -- models ------------------------------------------------------------------------
class ModelListView(RoleRequiredMixin, ListView):
    allowed_roles = STAFF
    template_name = "risk/models.html"
    context_object_name = "risk_models"

    def get_queryset(self):
        return RiskModel.objects.defer("artefact").select_related("approved_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_approve"] = user.has_role(*CENTRAL_HEADS) and user.sees_everything
        return context


class ModelDecisionView(RoleRequiredMixin, View):
    """POST: approve or retire a model (central department heads)."""

    allowed_roles = CENTRAL_HEADS

    def post(self, request, pk, action):
        model = get_object_or_404(RiskModel.objects.defer("artefact"), pk=pk)
        if not request.user.sees_everything:
            raise PermissionDenied
        try:
            if action == "approve":
                services.model_approve(user=request.user, model=model)
                messages.success(request, _("Model %(model)s approved.") % {"model": model})
            else:
                services.model_retire(user=request.user, model=model)
                messages.success(request, _("Model %(model)s retired.") % {"model": model})
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect("risk:model-list")


# -- runs ------------------------------------------------------------------------
class RunListView(RoleRequiredMixin, ListView):
    allowed_roles = STAFF
    template_name = "risk/runs.html"
    context_object_name = "runs"
    paginate_by = 30
    queryset = ScoringRun.objects.select_related("enterprise_model", "declaration_model")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_role(*HEADS):
            context["start_form"] = RunStartForm()
        return context


class RunDetailView(RoleRequiredMixin, DetailView):
    allowed_roles = STAFF
    template_name = "risk/run.html"
    context_object_name = "run"
    queryset = ScoringRun.objects.select_related("enterprise_model", "declaration_model")


class RunStartView(RoleRequiredMixin, FormView):
    allowed_roles = HEADS
    form_class = RunStartForm
    template_name = "risk/runs.html"

    def form_valid(self, form):
        run = services.scoring_run_start(
            as_of=form.cleaned_data["as_of"], restart=form.cleaned_data["restart"]
        )
        messages.success(self.request, _("Scoring run of %(date)s queued.") % {"date": run.as_of})
        return redirect("risk:run-detail", pk=run.pk)

    def form_invalid(self, form):
        messages.error(self.request, _("Enter a valid date."))
        return redirect("risk:run-list")


# -- back-tests -----------------------------------------------------------------
class BacktestListView(RoleRequiredMixin, ListView):
    allowed_roles = STAFF
    template_name = "risk/backtests.html"
    context_object_name = "backtests"
    queryset = Backtest.objects.all()


class BacktestDetailView(RoleRequiredMixin, DetailView):
    allowed_roles = STAFF
    template_name = "risk/backtest.html"
    context_object_name = "backtest"
    queryset = Backtest.objects.all()

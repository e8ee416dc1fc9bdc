"""The home page (headline figures of the user's scope), the dashboard, the
statistics page and the report jobs."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from audits.models import Finding
from declarations import selectors as declaration_selectors
from declarations.models import Declaration, Outcome
from enterprises.models import Enterprise, PlantedRisk
from reports import selectors, services
from reports.documents import statistics_chart
from reports.forms import PeriodForm, ReportRequestForm, period_parameters
from reports.models import ReportJob
from stq02 import charts
from stq02.scoping import HEADS
from stq02.views import RoleRequiredMixin


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "reports/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_cached_for_scope("home", self.request.user, _home_figures))
        months = context["months"]
        labels = [f"{month:%m/%y}" for month in months["months"]]
        context["chart"] = charts.bar_chart(
            labels,
            {
                _("Import declarations"): [months["counts"][m]["import"] for m in months["months"]],
                _("Export declarations"): [months["counts"][m]["export"] for m in months["months"]],
            },
            title=_("Declarations by month, last 12 months"),
        )
        return context


def _home_figures(user) -> dict:
    figures = {
        "enterprises": Enterprise.objects.visible_to(user).aggregate(
            **selectors.enterprise_counts()
        ),
        "months": declaration_selectors.scope_months(user=user),
    }
    figures.update(declaration_selectors.scope_kpis(user=user))
    return figures


SCOPE_CACHE_SECONDS = 300


def _cached_for_scope(name: str, user, compute) -> dict:
    """Figures of a whole scope (a branch's or the force's), computed at most once
    per ``SCOPE_CACHE_SECONDS`` per unit, or sooner when a new enterprise,
    declaration or outcome arrives: counting a year of declarations of a big scope
    reads hundreds of thousands of rows."""
    scope = "all" if user.sees_everything else f"unit{user.unit_id}"
    version = "-".join(
        str(model.objects.aggregate(last=Max("pk"))["last"])
        for model in (Enterprise, Declaration, Outcome)
    )
    key = f"reports:{name}:{scope}:{timezone.localdate():%Y%m%d}:{version}"
    figures = cache.get(key)
    if figures is None:
        figures = compute(user)
        cache.set(key, figures, SCOPE_CACHE_SECONDS)
    return figures


class DashboardView(RoleRequiredMixin, TemplateView):
    """Per managing unit: enterprises, low compliance, tax debt and planted demo risks."""

    allowed_roles = HEADS
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_cached_for_scope("dashboard", self.request.user, _dashboard_figures))
        months = context["months"]
        labels = [f"{month:%m/%y}" for month in months["months"]]
        context["chart"] = charts.line_chart(
            labels,
            {_("Customs value (VND)"): [months["values"][m] for m in months["months"]]},
            title=_("Customs value by month, last 24 months"),
        )
        return context


def _dashboard_figures(user) -> dict:
    units = list(
        Enterprise.objects.visible_to(user)
        .values("managing_unit__code", "managing_unit__name")
        .annotate(
            **selectors.enterprise_counts(), branches=Count("pk", filter=Q(head__isnull=False))
        )
        .order_by("managing_unit__code")
    )
    labels = dict(PlantedRisk.Behaviour.choices)
    planted = [
        {"label": labels.get(row["behaviour"], row["behaviour"]), "n": row["n"]}
        for row in PlantedRisk.objects.filter(enterprise__in=Enterprise.objects.visible_to(user))
        .values("behaviour")
        .annotate(n=Count("pk"))
        .order_by("behaviour")
    ]
    return {
        "units": units,
        "planted": planted,
        "months": declaration_selectors.scope_months(user=user, months=24),
    }


def cases_url(**filters) -> str:
    """The case list filtered as closely as it allows. It filters by state, kind
    and exact unit, not by period: a link shows the unit's cases of every period
    (the figure itself is of the period)."""
    query = urlencode({k: v for k, v in filters.items() if v})
    url = reverse("audits:case-list")
    return f"{url}?{query}" if query else url


def with_links(figures: dict) -> dict:
    for row in figures["rows"]:
        code = row["code"]
        row["links"] = {
            "unit": cases_url(unit=code),
            "office": cases_url(unit=code, kind="office"),
            "premises": cases_url(unit=code, kind="premises"),
            "closed": cases_url(unit=code, state="closed"),
        }
    figures["total_links"] = {
        "unit": cases_url(),
        "office": cases_url(kind="office"),
        "premises": cases_url(kind="premises"),
        "closed": cases_url(state="closed"),
    }
    for row in figures["by_kind_state"]:
        row["links"] = {
            "office": cases_url(state=row["state"], kind="office"),
            "premises": cases_url(state=row["state"], kind="premises"),
            "total": cases_url(state=row["state"]),
        }
    return figures


class StatisticsView(RoleRequiredMixin, TemplateView):
    """Audits, money assessed and collected, and ageing, for a period and unit."""

    allowed_roles = HEADS
    template_name = "reports/statistics.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = PeriodForm(self.request.GET, units=selectors.units_for(user=user))
        if not form.is_valid():
            context["form"] = form
            return context
        data = form.cleaned_data
        figures = selectors.statistics(user=user, period=data["period"], unit=data.get("unit"))
        context.update(
            form=form,
            figures=with_links(figures),
            chart=statistics_chart(figures),
            tax_kinds=[
                (Finding._meta.get_field(key).verbose_name, figures["total"][key])
                for key in selectors.TAX_KINDS
            ],
        )
        return context


class ReportListView(RoleRequiredMixin, FormView):
    """Ask for a report; one's own jobs with their progress."""

    allowed_roles = HEADS
    template_name = "reports/report_list.html"
    form_class = ReportRequestForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["units"] = selectors.units_for(user=self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        jobs = list(services.jobs_for(user=self.request.user)[:50])
        context.update(jobs=jobs, any_active=any(job.is_active for job in jobs))
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        job = services.request_report(
            user=self.request.user,
            kind=data["kind"],
            fmt=data["format"],
            parameters={
                **period_parameters(data["period"]),
                "language": translation.get_language(),
            },
            unit=data.get("unit"),
        )
        messages.success(self.request, _("Report %(number)s requested.") % {"number": job.pk})
        return HttpResponseRedirect(reverse("reports:report-list"))


def job_status(job: ReportJob) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "progress": job.progress,
        "error": job.error,
        "download": reverse("reports:report-download", args=[job.pk])
        if job.status == ReportJob.Status.DONE
        else None,
    }


class ReportProgressView(RoleRequiredMixin, View):
    allowed_roles = HEADS

    def get(self, request, pk):
        job = get_object_or_404(ReportJob.objects.visible_to(request.user), pk=pk)
        return JsonResponse(job_status(job))


class ReportDownloadView(RoleRequiredMixin, View):
    allowed_roles = HEADS

    def get(self, request, pk):
        job = get_object_or_404(ReportJob.objects.visible_to(request.user), pk=pk)
        if job.status != ReportJob.Status.DONE or not job.file:
            raise Http404
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1]
        )

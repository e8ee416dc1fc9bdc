"""The home page (headline figures of the user's scope) and the first dashboard."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from declarations import selectors as declaration_selectors
from declarations.models import Declaration, Outcome
from enterprises.models import Enterprise, PlantedRisk
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
            count=Count("pk"),
            active=Count("pk", filter=Q(status=Enterprise.Status.ACTIVE)),
            aeo=Count("pk", filter=Q(is_aeo=True)),
            low_compliance=Count("pk", filter=Q(compliance_level__gte=4)),
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
            count=Count("pk"),
            active=Count("pk", filter=Q(status=Enterprise.Status.ACTIVE)),
            aeo=Count("pk", filter=Q(is_aeo=True)),
            low_compliance=Count("pk", filter=Q(compliance_level__gte=4)),
            branches=Count("pk", filter=Q(head__isnull=False)),
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

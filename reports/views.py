"""The home page (headline figures of the user's scope) and the first dashboard."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from declarations import selectors as declaration_selectors
from enterprises.models import Enterprise, PlantedRisk
from stq02 import charts
from stq02.scoping import HEADS, visible_units
from stq02.views import RoleRequiredMixin


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "reports/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        enterprises = Enterprise.objects.visible_to(user).aggregate(
            count=Count("pk"),
            active=Count("pk", filter=Q(status=Enterprise.Status.ACTIVE)),
            aeo=Count("pk", filter=Q(is_aeo=True)),
            low_compliance=Count("pk", filter=Q(compliance_level__gte=4)),
        )
        context["enterprises"] = enterprises
        context.update(declaration_selectors.scope_kpis(user=user))
        months = declaration_selectors.scope_months(user=user)
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


class DashboardView(RoleRequiredMixin, TemplateView):
    """Per managing unit: enterprises, low compliance, tax debt and planted demo risks."""

    allowed_roles = HEADS
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rows = list(
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
        context["units"] = rows
        context["unit_count"] = visible_units(user).count()
        labels = dict(PlantedRisk.Behaviour.choices)
        context["planted"] = [
            {"label": labels.get(row["behaviour"], row["behaviour"]), "n": row["n"]}
            for row in PlantedRisk.objects.filter(
                enterprise__in=Enterprise.objects.visible_to(user)
            )
            .values("behaviour")
            .annotate(n=Count("pk"))
            .order_by("behaviour")
        ]
        months = declaration_selectors.scope_months(user=user, months=24)
        labels = [f"{month:%m/%y}" for month in months["months"]]
        context["chart"] = charts.line_chart(
            labels,
            {_("Customs value (VND)"): [months["values"][m] for m in months["months"]]},
            title=_("Customs value by month, last 24 months"),
        )
        return context

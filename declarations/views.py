"""Pages: the declaration list and one declaration; the trade panels of the
enterprise page (registered in ``enterprises.panels``)."""

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView

from declarations import selectors
from declarations.filters import DeclarationFilter
from declarations.models import Declaration
from enterprises.panels import register_panel
from stq02 import charts
from stq02.scoping import STAFF
from stq02.views import RoleRequiredMixin

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows: an exact count of a big scope's
    declarations reads all of them, while the page itself reads 50 through the
    registration-date index. Beyond the cap the list says "more than" and pages
    through the first 10,000 rows; narrower filters reach the others."""

    @cached_property
    def count(self):
        return self.object_list[: COUNT_CAP + 1].count()


class DeclarationListView(RoleRequiredMixin, ListView):
    allowed_roles = STAFF
    template_name = "declarations/list.html"
    context_object_name = "declarations"
    paginate_by = 50
    paginator_class = CappedPaginator

    def get_queryset(self):
        self.filterset = DeclarationFilter(
            self.request.GET or None,
            queryset=selectors.declaration_list(user=self.request.user),
            request=self.request,
        )
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        context["count_cap"] = COUNT_CAP
        return context


class DeclarationDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = STAFF
    template_name = "declarations/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            declaration = selectors.declaration_for(
                user=self.request.user, number=self.kwargs["number"]
            )
        except Declaration.DoesNotExist as exc:
            raise Http404 from exc
        context["declaration"] = declaration
        context.update(selectors.declaration_detail(declaration=declaration))
        return context


def trade_panel(request, enterprise) -> dict:
    trade = _cached("trade", enterprise, lambda: selectors.enterprise_trade(enterprise=enterprise))
    labels = [f"{month:%m/%y}" for month in trade["months"]]
    months = [values for _month, values in trade["by_month"]]
    trade["value_chart"] = charts.bar_chart(
        labels,
        {
            _("Import value (VND)"): [m["import"][1] for m in months],
            _("Export value (VND)"): [m["export"][1] for m in months],
        },
        title=_("Customs value by month"),
    )
    trade["count_chart"] = charts.line_chart(
        labels,
        {
            _("Import declarations"): [m["import"][0] for m in months],
            _("Export declarations"): [m["export"][0] for m in months],
        },
        title=_("Declarations by month"),
    )
    return trade


def goods_panel(request, enterprise) -> dict:
    return {
        "goods": _cached(
            "goods", enterprise, lambda: selectors.enterprise_goods(enterprise=enterprise)
        )
    }


def outcomes_panel(request, enterprise) -> dict:
    return _cached(
        "outcomes", enterprise, lambda: selectors.enterprise_outcomes(enterprise=enterprise)
    )


PANEL_CACHE_SECONDS = 600


def _cached(name: str, enterprise, compute):
    """The figures of a panel, kept in the shared cache under the enterprise's data
    version: a new declaration or amendment of the enterprise, or any new outcome,
    gives a new key. A declaration or outcome corrected in place without a new row
    shows after at most ``PANEL_CACHE_SECONDS``."""
    if not hasattr(enterprise, "_data_version"):  # once per page, shared by the panels
        enterprise._data_version = selectors.enterprise_data_version(enterprise=enterprise)
    key = f"declarations:panel:{name}:{enterprise.pk}:{enterprise._data_version}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, PANEL_CACHE_SECONDS)
    return value


def register_enterprise_panels() -> None:
    """The declarations side of the enterprise page (called by DeclarationsConfig.ready)."""
    register_panel(10, "declarations/panels/trade.html", trade_panel, key="declarations.trade")
    register_panel(20, "declarations/panels/goods.html", goods_panel, key="declarations.goods")
    register_panel(
        30, "declarations/panels/outcomes.html", outcomes_panel, key="declarations.outcomes"
    )

"""Pages: the enterprise list and one enterprise's overall picture."""

from django.http import Http404
from django.views.generic import ListView, TemplateView

from enterprises import selectors
from enterprises.filters import EnterpriseFilter
from enterprises.models import Enterprise
from enterprises.panels import render_panels
from stq02.scoping import STAFF
from stq02.views import RoleRequiredMixin


class EnterpriseListView(RoleRequiredMixin, ListView):
    allowed_roles = STAFF
    template_name = "enterprises/list.html"
    context_object_name = "enterprises"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = EnterpriseFilter(
            self.request.GET or None,
            queryset=selectors.enterprise_list(user=self.request.user),
            request=self.request,
        )
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


class EnterpriseDetailView(RoleRequiredMixin, TemplateView):
    """The overall picture: identity, branches, trade, goods, partners, outcomes,
    VCIS records, tax debt, registry changes, then the panels of higher apps."""

    allowed_roles = STAFF
    template_name = "enterprises/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            enterprise = selectors.enterprise_for(
                user=self.request.user, tax_code=self.kwargs["tax_code"]
            )
        except Enterprise.DoesNotExist as exc:
            raise Http404 from exc
        context["enterprise"] = enterprise
        context.update(selectors.enterprise_facts(user=self.request.user, enterprise=enterprise))
        panels = render_panels(self.request, enterprise)
        # Trade and outcomes (orders below 40) come before the facts this app
        # holds; audits, risk history and the rest come after them.
        context["panels_first"] = [panel for panel in panels if panel["order"] < 40]
        context["panels_later"] = [panel for panel in panels if panel["order"] >= 40]
        return context

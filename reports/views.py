from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from stq02.scoping import HEADS
from stq02.views import RoleRequiredMixin


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "reports/home.html"


class DashboardView(RoleRequiredMixin, TemplateView):
    allowed_roles = HEADS
    template_name = "reports/dashboard.html"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("Risk")

    def ready(self):
        from enterprises.panels import register_panel
        from risk.panels import risk_panel

        register_panel(60, "risk/enterprise_panel.html", risk_panel, key="risk.history")

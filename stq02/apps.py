from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Stq02Config(AppConfig):
    name = "stq02"
    verbose_name = _("Organisation and access")

    def ready(self):
        from stq02 import workdays

        # (The OpenAPI extension is imported by stq02/urls.py, next to the schema's
        # view: imported here, drf-spectacular loaded in every process, 70 ms.)

        # The calendar is read on every deadline computation; an administrator's
        # edit must be seen at once, so the per-year cache is dropped on change.
        workdays.connect_cache_invalidation()

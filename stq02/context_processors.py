from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from stq02.scoping import HEADS, STAFF

# (label, url name, roles that see it). Pages themselves check the role again.
NAVIGATION = [
    (_("Overview"), "home", STAFF),
    (_("Enterprises"), "enterprises:list", STAFF),
    (_("Declarations"), "declarations:list", STAFF),
    (_("Imports"), "integrations:batch-list", STAFF),
    (_("Risk"), "risk:list", STAFF),
    (_("Audit cases"), "audits:case-list", STAFF),
    (_("Reports"), "reports:dashboard", HEADS),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"navigation": []}
    items = []
    for label, url_name, roles in NAVIGATION:
        if user.is_superuser or user.role in roles:
            try:
                url = reverse(url_name)
            except NoReverseMatch:  # an app whose pages are not wired yet
                continue
            items.append(
                {"label": label, "url": url, "active": request.path.startswith(url) and url != "/"}
            )
    return {"navigation": items}

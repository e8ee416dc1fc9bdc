from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from reports.views import HomeView
from stq02 import views
from stq02.api import schema  # noqa: F401 - registers the OpenAPI auth extension
from stq02.api import views as api_views

api_v1 = [
    path("me/", api_views.MeView.as_view(), name="me"),
    path("units/", api_views.UnitListView.as_view(), name="unit-list"),
    path("", include("enterprises.api")),
    path("", include("declarations.api")),
    path("", include("integrations.api")),
    path("", include("risk.api")),
    path("", include("audits.api")),
    path("", include("reports.api")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("reports.urls")),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("accounts/profile/", views.ProfileView.as_view(), name="profile"),
    path("healthz/", views.healthz, name="healthz"),
    path("language/", views.set_language, name="set_language"),
    path("units/", views.UnitTreeView.as_view(), name="units"),
    path("enterprises/", include("enterprises.urls")),
    path("declarations/", include("declarations.urls")),
    path("imports/", include("integrations.urls")),
    path("risk/", include("risk.urls")),
    path("audits/", include("audits.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
]

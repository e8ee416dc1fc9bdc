"""Sign-in, language, profile and the organisation pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from stq02.middleware import SUPPORTED
from stq02.scoping import STAFF, visible_units


class RoleRequiredMixin(LoginRequiredMixin):
    """Pages declare ``allowed_roles``; anyone else gets 403 (anonymous: login)."""

    allowed_roles: set = STAFF

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not (request.user.is_superuser or request.user.role in self.allowed_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


class LoginView(auth_views.LoginView):
    """Django's login with a limit on failures per user name and per address,
    counted in the shared cache so that every web process sees the same count."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def _keys(self):
        username = (self.request.POST.get("username") or "").strip().lower()
        return [f"login-fail:user:{username}", f"login-fail:ip:{_client_ip(self.request)}"]

    def _blocked(self) -> bool:
        return any((cache.get(key) or 0) >= settings.LOGIN_FAILURE_LIMIT for key in self._keys())

    def post(self, request, *args, **kwargs):
        if self._blocked():
            form = self.get_form()
            minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
            form.errors.clear()
            form.add_error(
                None,
                _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.")
                % {"minutes": minutes},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        for key in self._keys():
            cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete_many(self._keys()[:1])
        response = super().form_valid(form)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.get_user().language, samesite="Lax")
        return response


@require_POST
def set_language(request):
    language = request.POST.get("language")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in SUPPORTED:
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", secure=request.is_secure()
        )
    return response


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "stq02/profile.html"


class UnitTreeView(RoleRequiredMixin, TemplateView):
    template_name = "stq02/units.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["units"] = (
            visible_units(self.request.user).select_related("parent").prefetch_related("provinces")
        )
        return context


def healthz(request):
    """For load balancers and the container health check: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)

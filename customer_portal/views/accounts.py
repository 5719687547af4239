"""Customer sign-in and sign-out, password reset, self-registration and preferences."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from otrs.accounts import sessions, throttle, twofactor
from otrs.action_flow import form_screen

from .. import registration
from ..decorators import customer_required, valid_customer_profile
from ..forms.accounts import (
    LoginForm,
    PasswordResetForm,
    PreferencesForm,
    RegistrationConfirmForm,
    RegistrationForm,
)

TEMPLATES = "customer_portal/accounts/"


def home_url() -> str:
    """Where a customer lands after signing in: their tickets (the ticket pages' own URL
    name), or their preferences while the portal has no ticket pages."""
    try:
        return reverse("customer:tickets")
    except NoReverseMatch:
        return reverse("customer:preferences")


# --- sign-in and sign-out ----------------------------------------------------------------------


class LoginView(twofactor.SecondStepLoginMixin, auth_views.LoginView):
    code_step_url = "customer:login_code"
    template_name = TEMPLATES + "login.html"
    authentication_form = LoginForm

    def get_default_redirect_url(self):
        return home_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            self_registration=settings.CUSTOMER_SELF_REGISTRATION, **kwargs
        )


login_code = twofactor.code_step_view(
    template=TEMPLATES + "login_code.html",
    scope=throttle.ThrottleScope.CUSTOMER_SIGN_IN,
    login_url="customer:login",
)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's ``LogoutView``): a link or an image cannot sign anyone out."""

    next_page = "customer:login"


# --- password reset ----------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    # Ours asks for a login or an address and mails only customer users; not Django's form.
    form_class = PasswordResetForm  # type: ignore[assignment]
    template_name = TEMPLATES + "password_reset_form.html"
    success_url = reverse_lazy("customer:password_reset_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = TEMPLATES + "password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's token check (the token moves from the URL into the session before the form
    shows); links work for valid customers only."""

    template_name = TEMPLATES + "password_reset_confirm.html"
    success_url = reverse_lazy("customer:password_reset_complete")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if valid_customer_profile(user) is not None else None


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = TEMPLATES + "password_reset_complete.html"


# --- self-registration -------------------------------------------------------------------------


def _require_self_registration() -> None:
    if not settings.CUSTOMER_SELF_REGISTRATION:
        raise Http404("Self-registration is switched off.")


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def register(request):
    _require_self_registration()
    form = RegistrationForm(request.POST or None)
    return form_screen(
        request,
        form,
        lambda data: registration.register(
            form.registration(), language=translation.get_language()
        ),
        done=lambda _registered: (None, reverse("customer:register_sent")),
        # The registration page has always answered 200, also with errors shown.
        render=lambda form, *, status=200, error=None: render(
            request, TEMPLATES + "register.html", {"form": form}
        ),
    )


@require_GET
def register_sent(request):
    _require_self_registration()
    return render(request, TEMPLATES + "register_sent.html")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def register_confirm(request, uidb64, token):
    _require_self_registration()
    user = registration.pending_registration(uidb64, token)
    if user is None:
        return render(request, TEMPLATES + "register_confirm.html", {"validlink": False})
    form = RegistrationConfirmForm(request.POST or None, user=user, request=request)
    if request.method == "POST" and form.is_valid():
        registration.confirm_registration(user)
        login(request, user)
        messages.success(request, _("Your account is ready. Welcome!"))
        return redirect(home_url())
    return render(request, TEMPLATES + "register_confirm.html", {"validlink": True, "form": form})


# --- preferences -------------------------------------------------------------------------------


@customer_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # The confirmation below already speaks the newly chosen language.
        translation.activate(user.language or translation.get_language_from_request(request))
        messages.success(request, _("Your preferences were saved."))
        return redirect("customer:preferences")
    return render(request, TEMPLATES + "preferences.html", {"form": form})


@customer_required
@require_POST
def sign_out_elsewhere(request):
    """Ends the customer's other sessions (another computer, a lost phone)."""
    return sessions.sign_out_elsewhere(request, back="customer:preferences")


@customer_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Optional two-factor sign-in for customers: enrol, or switch it off."""
    return twofactor.enrolment_page(
        request, template=TEMPLATES + "two_factor.html", here="customer:two_factor"
    )


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@customer_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed."))
        return redirect("customer:preferences")
    return render(request, TEMPLATES + "password_change.html", {"form": form})

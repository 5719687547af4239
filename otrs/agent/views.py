"""The agent portal's own pages: sign-in, sign-out, password change, preferences, and /agent/
when no app put a page there."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from otrs.accounts import sessions, throttle, twofactor
from otrs.accounts.decorators import agent_required
from otrs.accounts.forms import AgentLoginForm

from . import registry
from .preferences import GeneralPreferencesForm
from .shortcuts import ShortcutPreferences, nav_shortcuts


class AgentLoginView(twofactor.SecondStepLoginMixin, auth_views.LoginView):
    code_step_url = "agent:login_code"
    template_name = "agent/login.html"
    authentication_form = AgentLoginForm
    redirect_authenticated_user = False


login_code = twofactor.code_step_view(
    template="agent/login_code.html",
    scope=throttle.ThrottleScope.AGENT_SIGN_IN,
    login_url="agent:login",
)


@agent_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Two-factor sign-in: enrol an authenticator app, or switch it off."""
    return twofactor.enrolment_page(
        request, template="agent/two_factor.html", here="agent:two_factor"
    )


@agent_required
@require_POST
def sign_out_elsewhere(request):
    """Ends the agent's other sessions (another computer, a lost phone)."""
    return sessions.sign_out_elsewhere(request, back="agent:preferences")


class AgentLogoutView(auth_views.LogoutView):
    next_page = "agent:login"


@agent_required
@require_safe
def home(request):
    entries = registry.menu_for(request.user)
    return redirect(entries[0].url_name if entries else "agent:preferences")


@agent_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed."))
        return redirect("agent:preferences")
    return render(request, "agent/password_change.html", {"form": form})


@agent_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    data = request.POST or None
    form = GeneralPreferencesForm(data, instance=request.user)
    classes = [ShortcutPreferences, *registry.preference_sections()]
    sections = [section(data, user=request.user) for section in classes]
    # Every form is validated (not only up to the first invalid one), so all errors show.
    if request.method == "POST" and all([form.is_valid(), *(s.is_valid() for s in sections)]):
        with transaction.atomic():
            user = form.save()
            for section in sections:
                section.save()
        translation.activate(user.language or translation.get_language())
        messages.success(request, _("Your preferences were saved."))
        return redirect("agent:preferences")
    return render(request, "agent/preferences.html", {"form": form, "sections": sections})


@agent_required
@require_safe
def shortcuts(request):
    """The keyboard shortcuts (the "?" overlay shows this page's list)."""
    entries = [(entry, key) for entry, key in nav_shortcuts(request.user) if key]
    return render(request, "agent/shortcuts.html", {"entries": entries})

"""Agent sign-in, sign-out, password change and preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from otrs.accounts.decorators import agent_required
from otrs.accounts.forms import AgentLoginForm, PreferencesForm


class AgentLoginView(auth_views.LoginView):
    template_name = "agent/login.html"
    authentication_form = AgentLoginForm
    redirect_authenticated_user = False


class AgentLogoutView(auth_views.LogoutView):
    next_page = "agent:login"


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
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        translation.activate(user.language or translation.get_language())
        messages.success(request, _("Your preferences were saved."))
        return redirect("agent:preferences")
    return render(request, "agent/preferences.html", {"form": form})

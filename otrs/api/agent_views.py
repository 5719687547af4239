"""The agent's token page (preferences → API tokens): list, make (shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from otrs.errors import DomainError

from .forms import NewTokenForm
from .models import AccessToken
from .tokens import create_token, revoke_token


@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request):
    form = NewTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _token, created = create_token(
                request.user,
                name=data["name"],
                scope=data["scope"],
                expires_at=data["expires_on"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            form = NewTokenForm()
    rows = AccessToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    return render(request, "api/tokens.html", {"form": form, "tokens": rows, "created": created})


@require_POST
def revoke(request, pk: int):
    token = AccessToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404
    revoke_token(token, actor=request.user)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("agent:api_tokens")

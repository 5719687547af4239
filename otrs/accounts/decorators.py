"""The gate in front of every agent page."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render


def agent_required(view):
    """Signed-in, active agents only. Anyone else signed in (a customer, whatever flags the
    account has) gets a refusal page; anonymous visitors go to the agent login."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_agent):
            return render(request, "agent/not_an_agent.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper

"""The live counters' endpoint (the shell's ``counters``): JSON for pages that refresh their
numbers without a reload. Without JavaScript nothing asks for it; the overviews themselves
show their totals and have a refresh link."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from otrs.accounts.decorators import agent_required

from ..selectors.counters import counters as counters_of


@agent_required
@require_safe
@never_cache
def counters(request):
    found = counters_of(request.user)
    queues = {str(pk): n for pk, n in found.queues.items()}
    return JsonResponse({"totals": found.totals, "queues": queues})


urlpatterns = [
    path("counters/", counters, name="counters"),
]

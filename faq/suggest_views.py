"""FAQ items for the ticket composer as JSON, for the live suggestions while an agent writes
(``static/otrs/agent.js``). ``?q=`` searches as the composer's search button does; ``?text=``
suggests for free text (the answer being written: full text over title, keywords and the
fields). Only items the agent may insert (:func:`faq.selectors.insertable`) are named; the
insert itself stays the composer's own submit button, so it is recorded as without
JavaScript."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from otrs.accounts.decorators import agent_required

from . import selectors
from .choices import ItemState

HITS = 8
QUERY_MAX = 200
TEXT_MAX = 2000


def _clean(raw: str, limit: int) -> str:
    return " ".join(raw.replace("\x00", " ").split())[:limit]


@agent_required
@require_safe
def suggest(request):
    insertable = selectors.insertable(request.user)
    query = _clean(request.GET.get("q", ""), QUERY_MAX)
    text = _clean(request.GET.get("text", ""), TEXT_MAX)
    if query:
        found = list(
            selectors.search(insertable, query, internal=True).order_by("-changed", "-pk")[:HITS]
        )
    elif len(text) >= 3:
        found = selectors.suggestions(insertable, text, HITS, internal=True)
    else:
        found = []
    items = [
        {
            "id": item.pk,
            "number": item.number,
            "title": item.title,
            "internal": item.state == ItemState.INTERNAL,
            "url": reverse("agent:faq_item", args=[item.pk]),
        }
        for item in found
    ]
    return JsonResponse({"items": items}, headers={"Cache-Control": "private, no-store"})

"""The FAQ for signed-in customers: the external and public items their categories admit,
in their language, with votes and related items (the screens are :mod:`faq.reader`)."""

from __future__ import annotations

import secrets

from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from faq import access, actions, reader, selectors
from faq.views import attachment_response

from ..decorators import customer_required

NAMES = reader.Names(
    index="customer:faq",
    item="customer:faq_item",
    vote="customer:faq_vote",
    attachment="customer:faq_attachment",
    base="customer_portal/base.html",
)


@customer_required
@require_safe
def index(request):
    return render(
        request, "faq/reader/index.html", reader.index_context(request, request.user, NAMES)
    )


@customer_required
@require_safe
def item(request, pk: int):
    if request.GET.get("suggested") == "1":
        _suggestion_opened(request)
    return render(
        request, "faq/reader/item.html", reader.item_context(request, request.user, pk, NAMES)
    )


@customer_required
@require_POST
def vote(request, pk: int):
    return reader.vote(request, request.user, pk, NAMES)


@customer_required
@require_safe
def attachment(request, pk: int, attachment_id: int):
    return attachment_response(access.get_or_404(request.user, pk), attachment_id)


# --- "did you know?": suggestions while a customer writes a new ticket ---------------------------

#: The session keys: the suggestion step shown, and the step already counted as prevented.
SHOWN, COUNTED = "faq_suggestion_step", "faq_suggestion_counted"


def suggestions_for(request, data: dict) -> list:
    """The FAQ items the customer may read that best match the ticket being written
    (subject and text, full text over title, keywords and fields), in their language."""
    readable = access.visible_to(request.user)
    text = f"{data.get('title', '')} {data.get('body', '')}"
    found = selectors.suggestions(selectors.in_language(readable, reader.reader_language()), text)
    if found:
        request.session[SHOWN] = secrets.token_hex(8)
    return found


def _suggestion_opened(request) -> None:
    """A customer opened an item offered while writing a ticket: counted once per step as a
    ticket prevented, until they send the ticket after all (:func:`ticket_submitted`)."""
    step = request.session.get(SHOWN)
    if step and request.session.get(COUNTED) != step:
        actions.count_prevented_ticket()
        request.session[COUNTED] = step


def ticket_submitted(request) -> None:
    step = request.session.pop(SHOWN, None)
    if step and request.session.pop(COUNTED, None) == step:
        actions.uncount_prevented_ticket()

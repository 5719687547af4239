"""The FAQ for signed-in customers: the external and public items their categories admit,
in their language, with votes and related items (the screens are :mod:`faq.reader`)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from faq import access, reader
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

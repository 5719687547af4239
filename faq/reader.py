"""What the customer portal (/customer/faq/) and the public pages (/public/faq/) show: the
same reading screens for two kinds of reader, each starting from
:func:`faq.access.visible_to` for the reader (a signed-in customer, or anyone).

Readers get items in their language (the request's), else in the site's default language
with a visible note; links between languages go only to translations the reader may read.
No agent name, comment field or unpublished revision reaches these pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from otrs.errors import DomainError, ErrorCode
from otrs.web.pagination import paginate

from . import access, actions, selectors
from .forms import SearchForm, VoteForm
from .models import FaqItem, FaqSettings

PER_PAGE = 20


@dataclass(frozen=True)
class Names:
    """The URL names of one portal's reading screens."""

    index: str
    item: str
    vote: str
    attachment: str
    base: str  # the template the pages extend


def reader_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


def index_context(request: HttpRequest, user, names: Names) -> dict:
    form = SearchForm(request.GET)
    params = form.cleaned_data if form.is_valid() else {}
    language = reader_language()
    readable = access.visible_to(user)
    items = selectors.in_language(readable, language)
    category_rows = selectors.category_rows(user, items)
    category = None
    if params.get("category"):
        category = next(
            (r.category for r in category_rows if r.category.pk == params["category"]), None
        )
        items = items.filter(category_id=params["category"]) if category else items.none()
    # Readers (customers, anyone) never search the internal comment.
    items = selectors.search(items, params.get("q", ""))
    page = paginate(
        items.select_related("category").order_by("title", "pk"),
        number=request.GET.get("page"),
        per_page=PER_PAGE,
    )
    return {
        "form": form,
        "rows": category_rows,
        "category": category,
        "page": page,
        "language": language,
        "names": names,
        "q": params.get("q", ""),
    }


def item_context(request: HttpRequest, user, pk: int, names: Names) -> dict:
    item = access.get_or_404(user, pk)
    readable = access.visible_to(user)
    language = reader_language()
    others = selectors.translations(item, readable)
    own = next((t for t in others if t.language == language), None)
    return {
        "item": item,
        "live": item.live_revision,
        "language": language,
        "fallback": item.language != language and own is None,
        "own_translation": own if item.language != language else None,
        "translations": others,
        "related": selectors.related(item, readable),
        "attachments": item.attachments.defer("content"),
        "votes": selectors.votes(item),
        "scale": FaqSettings.load().vote_scale,
        "names": names,
    }


def vote(request: HttpRequest, user, pk: int, names: Names):
    """The reader's vote ("was this helpful?"), then back to the item."""
    item: FaqItem = access.get_or_404(user, pk)
    form = VoteForm(request.POST)
    signed_in = getattr(user, "is_authenticated", False)
    if not signed_in and not request.session.session_key:
        request.session.save()
    try:
        if not form.is_valid():
            raise DomainError(_("Choose a rating."), code=ErrorCode.NOT_ALLOWED)
        actions.vote(
            item,
            form.cleaned_data["rating"],
            user=user if signed_in else None,
            session_key="" if signed_in else request.session.session_key or "",
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you for your vote."))
    return redirect(names.item, pk=item.pk)

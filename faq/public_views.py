"""The public FAQ under /public/faq/: anyone, without signing in, reads public items
(:mod:`faq.reader`), votes, and follows the Atom feed of new and changed public items.
Pages carry canonical links and titles for search engines; nothing here names an agent."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from . import access, reader
from .models import FaqItem
from .views import attachment_response

NAMES = reader.Names(
    index="faq_public:index",
    item="faq_public:item",
    vote="faq_public:vote",
    attachment="faq_public:attachment",
    base="faq/public/base.html",
)
FEED_SIZE = 50


def _anyone():
    """Public pages answer the same whoever is signed in: the reader is nobody."""
    return AnonymousUser()


@require_safe
def index(request):
    context = reader.index_context(request, _anyone(), NAMES)
    context["canonical"] = request.build_absolute_uri(reverse(NAMES.index))
    return render(request, "faq/reader/index.html", context)


@require_safe
def item(request, pk: int):
    context = reader.item_context(request, _anyone(), pk, NAMES)
    context["canonical"] = request.build_absolute_uri(reverse(NAMES.item, args=[pk]))
    return render(request, "faq/reader/item.html", context)


@require_POST
def vote(request, pk: int):
    return reader.vote(request, _anyone(), pk, NAMES)


@require_safe
def attachment(request, pk: int, attachment_id: int):
    return attachment_response(access.get_or_404(_anyone(), pk), attachment_id)


class PublicFeed(Feed):
    """New and changed public items, newest first (Atom)."""

    feed_type = Atom1Feed
    title = _("FAQ: new and changed articles")
    subtitle = _("Public answers to frequently asked questions.")

    def link(self):
        return reverse(NAMES.index)

    def items(self):
        return (
            access.visible_to(_anyone())
            .select_related("live_revision")
            .order_by("-changed", "-pk")[:FEED_SIZE]
        )

    def item_title(self, item: FaqItem) -> str:
        return item.title

    def item_description(self, item: FaqItem) -> str:
        # Stored sanitised (otrs.html); the feed escapes it once more as Atom "html".
        live = item.live_revision
        return (live.symptom or "") + (live.solution or "") if live else ""

    def item_link(self, item: FaqItem) -> str:
        return reverse(NAMES.item, args=[item.pk])

    def item_updateddate(self, item: FaqItem):
        return item.changed

    def item_pubdate(self, item: FaqItem):
        return item.created


feed = PublicFeed()

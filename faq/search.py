"""What the FAQ indexes (otrs.search.registry): each item's title, keywords and the text of
its fields (``search_text``, kept by :mod:`faq.actions`); ``faq.access`` filters the ids."""

from __future__ import annotations

from otrs.search import registry

from .models import FaqItem


class FaqItemIndex(registry.ModelIndex):
    kind = "faq_item"
    model = FaqItem
    object_type = "faq_item"
    title_field = "title"
    text_fields = ("search_text",)
    keyword_fields = ("number",)


registry.register(FaqItemIndex())

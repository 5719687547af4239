"""What the FAQ indexes (otrs.search.registry): each item's title, keywords and the text of
its fields without the internal comment (``public_text``, kept by :mod:`faq.actions`), and
the comment as internal text (agents' searches only); ``faq.access`` filters the ids."""

from __future__ import annotations

from otrs.search import registry

from .models import FaqItem, plain_text


class FaqItemIndex(registry.ModelIndex):
    kind = "faq_item"
    model = FaqItem
    object_type = "faq_item"
    title_field = "title"
    text_fields = ("public_text",)
    keyword_fields = ("number",)

    def documents(self, ids: list[int], *, attachments: bool = True) -> list[registry.Document]:
        docs = super().documents(ids, attachments=attachments)
        # The comment of the revision the item's text comes from (faq.actions: the live
        # one, or the latest before any publication).
        comments = self.queryset().filter(pk__in=[d.id for d in docs])
        found = {
            pk: plain_text(live if live_id else latest)
            for pk, live_id, live, latest in comments.values_list(
                "pk", "live_revision", "live_revision__comment", "latest_revision__comment"
            )
        }
        for doc in docs:
            if found.get(doc.id):
                doc.internal.append(found[doc.id])
        return docs


registry.register(FaqItemIndex())

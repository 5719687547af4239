"""What the FAQ offers to webhooks (:mod:`otrs.webhooks`): its events, a filter by category,
and the item's main fields (never a revision's text) in each payload."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from otrs import webhooks

from ..events import FaqEvent
from ..models import FaqCategory, FaqItem


def _describe(ids: set[int]) -> dict[int, dict]:
    return {
        row["id"]: dict(row)
        for row in FaqItem.objects.filter(pk__in=ids).values(
            "id",
            "number",
            "title",
            "category_id",
            "language",
            "state",
            "is_valid",
            "live_revision_id",
            "latest_revision_id",
            "changed",
        )
    }


webhooks.register(
    webhooks.Source(
        object_type="faq_item",
        label=_("FAQ items"),
        events=list(FaqEvent),
        filters=[
            webhooks.Filter(
                "category",
                _("Categories"),
                lambda: [(c.pk, str(c)) for c in FaqCategory.objects.order_by("name")],
                lambda ids: dict(
                    FaqItem.objects.filter(pk__in=ids).values_list("pk", "category_id")
                ),
            )
        ],
        describe=_describe,
    )
)

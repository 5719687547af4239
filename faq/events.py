"""The FAQ's events (Znuny's FAQ event names), recorded by :mod:`faq.actions` with each
history row. Payload: ``number``, ``revision`` (the revision number concerned) and, where
they apply, ``category_id``, ``changes`` (``{field: [old, new]}``, raw values) or ``note``."""

from __future__ import annotations

from enum import StrEnum


class FaqEvent(StrEnum):
    ITEM_CREATE = "FAQCreate"
    ITEM_UPDATE = "FAQUpdate"
    ITEM_PUBLISH = "FAQPublish"
    APPROVAL_REQUEST = "FAQApprovalRequest"
    SENT_BACK = "FAQSentBack"
    REVIEW_DUE = "FAQReviewDue"

"""Event handlers of the FAQ: mail to the approvers when a revision waits for them, to the
author when it is sent back, and to the editors when an item's review date has passed.

They run after the change committed (:mod:`otrs.events`). Each mail is queued in the
outgoing queue under a key made of the batch's delivery key, the event and the recipient, so
a redelivered batch (a retry after a crash, or a second worker) mails nobody twice.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from otrs import events
from otrs.accounts.models import User
from otrs.mail.outbound import queue_system_mail
from otrs.permissions import PermissionKey, agents_holding

from .events import FaqEvent
from .models import FaqItem

HANDLER = "faq.notify"


def _recipients(item: FaqItem, event: str, payload) -> list[User]:
    if event == FaqEvent.SENT_BACK:
        author = User.objects.filter(pk=payload.get("author_id"), is_active=True).first()
        return [author] if author is not None else []
    groups = (
        item.category.approver_groups
        if event == FaqEvent.APPROVAL_REQUEST
        else item.category.agent_edit_groups
    )
    group_ids = list(groups.values_list("pk", flat=True))
    found = list(agents_holding(PermissionKey.RW, group_ids)) if group_ids else []
    if not found:
        found = list(User.objects.filter(is_superuser=True, is_active=True, kind="agent"))
    return found


def _subject(event: str, item: FaqItem) -> str:
    if event == FaqEvent.APPROVAL_REQUEST:
        return _("FAQ %(number)s waits for your approval: %(title)s")
    if event == FaqEvent.SENT_BACK:
        return _("FAQ %(number)s was sent back: %(title)s")
    return _("FAQ %(number)s needs review: %(title)s")


def notify(batch: events.Batch) -> None:
    for event in batch.events:
        if event.object_id is None:
            continue
        item = FaqItem.objects.select_related("category").filter(pk=event.object_id).first()
        if item is None:
            continue
        for user in _recipients(item, str(event.name), event.payload):
            if not user.email:
                continue
            with override(user.language or settings.LANGUAGE_CODE):
                subject = _subject(str(event.name), item) % {
                    "number": item.number,
                    "title": item.title,
                }
                body = "\n".join(
                    [subject, "", _("Open: %(path)s") % {"path": f"/agent/faq/{item.pk}/"}]
                    + ([str(event.payload.get("note"))] if event.payload.get("note") else [])
                )
            queue_system_mail(
                to=user.email,
                subject=subject,
                body=body,
                idempotency_key=f"{batch.key}:{event.id}:{user.pk}",
            )


def register() -> None:
    events.subscribe(
        HANDLER,
        notify,
        events=[FaqEvent.APPROVAL_REQUEST, FaqEvent.SENT_BACK, FaqEvent.REVIEW_DUE],
    )

"""The FAQ's notifications: each goes once, also when its batch is delivered again."""

from __future__ import annotations

import pytest

from faq.events import FaqEvent
from faq.receivers import notify
from otrs.events import Batch, Event
from otrs.mail.models import OutboundMessage
from tests import factories
from tests.faq import category, item

pytestmark = pytest.mark.django_db


def test_a_redelivered_approval_request_mails_each_approver_once(db):
    approvers = factories.group("faq-approvers-n")
    first, second = factories.agent("faq_appr_1"), factories.agent("faq_appr_2")
    for agent in (first, second):
        agent.email = f"{agent.username}@example.test"
        agent.save(update_fields=["email"])
        factories.grant(agent, approvers, factories.RW)
    found = item(category(approvers=[approvers], approval=True), "Waits", submit=False)
    event = Event(FaqEvent.APPROVAL_REQUEST, "faq_item", found.pk, payload={"revision": 1}, id=9)
    batch = Batch(id=3, key="faq-key", handler="faq.notify", attempt=1, events=(event,))

    notify(batch)
    notify(Batch(id=3, key="faq-key", handler="faq.notify", attempt=2, events=(event,)))

    sent = OutboundMessage.objects.order_by("pk")
    assert sorted(m.recipients[0] for m in sent) == [
        "faq_appr_1@example.test",
        "faq_appr_2@example.test",
    ]
    assert all("waits for your approval" in m.subject for m in sent)

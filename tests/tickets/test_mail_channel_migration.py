"""The migrations that move the ticket e-mail channel out of the mail transport keep every row:
a database at the schema before them (tickets 0006, mail 0002) with an account dispatching
into a queue, a stored inbound message, a postmaster filter and a queued mail of an article
comes out with the same rows in their new places, and goes back again."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from otrs.mail.models import MailAccount, OutboundMessage
from tests import factories
from tickets.models import (
    Dispatch,
    InboundMessage,
    MailDelivery,
    PostmasterFilter,
    Queue,
)

BEFORE = [("tickets", "0006_customer_user_ci_index"), ("mail", "0002_outbound_idempotency_key")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_mail_channel_keeps_its_rows_when_it_moves_into_tickets():
    queue = Queue.objects.get(full_name="Misc")
    ticket = factories.ticket(queue)
    article = ticket.articles.get()
    try:
        old = _migrate(BEFORE)
        OldAccount = old.get_model("mail", "MailAccount")
        account = OldAccount.objects.create(
            name="box", protocol="imap", host="mail.test", login="l", password="p",
            dispatch="queue", queue_id=queue.pk,
        )  # fmt: skip
        old.get_model("mail", "InboundMessage").objects.create(
            raw=b"raw", size=3, sha256="0" * 64, source="account", account_id=account.pk,
            ticket_id=ticket.pk, article_id=article.pk, status="processed",
        )  # fmt: skip
        spam = old.get_model("mail", "PostmasterFilter").objects.create(name="spam")
        old.get_model("mail", "FilterMatch").objects.create(
            filter=spam, header="X-Spam-Flag", pattern="YES"
        )
        OldOutbound = old.get_model("mail", "OutboundMessage")
        answer = OldOutbound.objects.create(
            kind="article", envelope_from="a@b.test", recipients=["c@d.test"], raw=b"x",
            ticket_id=ticket.pk, article_id=article.pk,
        )  # fmt: skip
        system = OldOutbound.objects.create(
            kind="system", envelope_from="a@b.test", recipients=["c@d.test"], raw=b"y"
        )
    finally:
        _migrate(_latest())

    assert MailAccount.objects.get(name="box").dispatching.forced_queue == queue
    assert InboundMessage.objects.get().ticket == ticket
    assert [m.pattern for m in PostmasterFilter.objects.get(name="spam").matches.all()] == ["YES"]
    link = MailDelivery.objects.get()
    assert (link.message_id, link.ticket_id, link.article_id) == (answer.pk, ticket.pk, article.pk)
    assert not hasattr(OutboundMessage.objects.get(pk=system.pk), "ticket_delivery")
    moved = ContentType.objects.filter(model__in=["inboundmessage", "postmasterfilter"])
    assert set(moved.values_list("app_label", flat=True)) == {"tickets"}

    # And back: the old columns get their values again.
    try:
        old = _migrate(BEFORE)
        back = old.get_model("mail", "MailAccount").objects.get(name="box")
        assert (back.dispatch, back.queue_id) == (Dispatch.QUEUE, queue.pk)
        row = old.get_model("mail", "OutboundMessage").objects.get(pk=answer.pk)
        assert (row.ticket_id, row.article_id) == (ticket.pk, article.pk)
    finally:
        _migrate(_latest())

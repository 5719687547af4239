"""The hand-built statements of the hot write paths (otrs.bulk): the same rows and values as
the ORM writes, in fewer statements where the database allows it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.signals import pre_save
from django.test.utils import CaptureQueriesContext

from otrs.bulk import insert_with_parent, save_fields, update
from otrs.events.models import EventBatch, OutboxEvent
from tickets.actions import create_ticket_with_article
from tickets.models import InboundMessage, InboundSource, InboundStatus, RawMail, Ticket

pytestmark = pytest.mark.django_db


def _inbound(**fields) -> InboundMessage:
    return InboundMessage(size=3, sha256="a" * 64, source=InboundSource.PIPE, **fields)


def test_it_inserts_a_parent_and_its_child_in_one_statement_on_postgresql():
    blob = RawMail(sha256="b" * 64, size=3, codec="", data=b"abc")
    inbound = _inbound(fingerprint="f1")
    with CaptureQueriesContext(connection) as ctx:
        insert_with_parent(blob, [inbound], "blob")
    assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert inbound.blob is blob and inbound.blob_id == blob.pk
    stored = InboundMessage.objects.select_related("blob").get(pk=inbound.pk)
    assert stored.blob.read() == b"abc" and stored.status == InboundStatus.RECEIVED
    assert not blob._state.adding and not inbound._state.adding


def test_it_writes_several_children_in_order():
    batch = EventBatch(muted=["x"])
    events = [
        OutboxEvent(position=i, name=f"E{i}", object_type="ticket", object_id=i, payload={"i": i})
        for i in (1, 2, 3)
    ]
    insert_with_parent(batch, events, "batch")
    stored = list(OutboxEvent.objects.filter(batch=batch).order_by("position"))
    assert [(e.pk, e.name, e.payload) for e in stored] == [
        (e.pk, e.name, {"i": e.position}) for e in events
    ]
    assert EventBatch.objects.get(pk=batch.pk).muted == ["x"]


def test_a_conflict_in_the_child_leaves_neither_row():
    insert_with_parent(
        RawMail(sha256="c" * 64, size=1, data=b"x"), [_inbound(fingerprint="f")], "blob"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_with_parent(
            RawMail(sha256="d" * 64, size=1, data=b"y"), [_inbound(fingerprint="f")], "blob"
        )
    assert not RawMail.objects.filter(sha256="d" * 64).exists()


def test_update_changes_the_row_only_while_its_condition_holds():
    blob = RawMail(sha256="e" * 64, size=1, data=b"x")
    inbound = _inbound(fingerprint="g", status=InboundStatus.PROCESSING)
    insert_with_parent(blob, [inbound], "blob")
    assert update(InboundMessage, inbound.pk, {"error": "no"}, where={"status": "received"}) == 0
    assert InboundMessage.objects.get(pk=inbound.pk).error == ""
    changed = update(
        InboundMessage,
        inbound.pk,
        {"status": InboundStatus.PROCESSED, "error_params": {"a": 1}, "claimed_until": None},
        where={"status": InboundStatus.PROCESSING, "claimed_until": None},
    )
    assert changed == 1
    stored = InboundMessage.objects.get(pk=inbound.pk)
    assert (stored.status, stored.error_params) == (InboundStatus.PROCESSED, {"a": 1})


def test_update_sends_a_further_statement_only_on_postgresql():
    blob = RawMail(sha256="9" * 64, size=1, data=b"x")
    inbound = _inbound(fingerprint="h")
    insert_with_parent(blob, [inbound], "blob")
    then = "SET LOCAL synchronous_commit TO OFF"
    if connection.vendor != "postgresql":
        with pytest.raises(ValueError):
            update(InboundMessage, inbound.pk, {"error": "x"}, then=then)
        return
    with transaction.atomic():
        assert update(InboundMessage, inbound.pk, {"error": "x"}, then=then) == 1
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"


def test_save_fields_writes_the_named_fields_and_fails_for_a_row_gone(support):
    ticket, _article = create_ticket_with_article(
        title="Old", queue=support.queue, actor=support.rw
    )
    ticket.title = "New"
    ticket.customer_user = "not written"
    save_fields(ticket, ["title"])
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.title, stored.customer_user) == ("New", "")
    Ticket.objects.filter(pk=ticket.pk).delete()
    with pytest.raises(DatabaseError):
        save_fields(ticket, ["title"])


def test_save_fields_lets_a_listening_receiver_see_the_save(support):
    ticket, _article = create_ticket_with_article(
        title="Old", queue=support.queue, actor=support.rw
    )
    seen = []

    def receiver(sender, instance, update_fields, **kwargs):
        seen.append((instance.pk, set(update_fields)))

    pre_save.connect(receiver, sender=Ticket, weak=False, dispatch_uid="test_bulk")
    try:
        ticket.title = "Seen"
        save_fields(ticket, ["title"])
    finally:
        pre_save.disconnect(sender=Ticket, dispatch_uid="test_bulk")
    assert seen == [(ticket.pk, {"title"})]
    assert Ticket.objects.get(pk=ticket.pk).title == "Seen"

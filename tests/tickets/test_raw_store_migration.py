"""The migration to the shared raw store keeps every raw message byte for byte: article raw
sources and inbound rows (with their raw, or with the raw cleared after processing) come out
as RawMail rows, the same bytes once, and go back again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories
from tickets.models import ArticleRaw, InboundMessage, Queue, RawMail
from tickets.models.mail import fingerprint

BEFORE = [("tickets", "0009_escalation_and_pending")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def raw(n: int) -> bytes:
    head = f"From: a@b.test\r\nSubject: {n}\r\nMessage-ID: <{n}@b.test>\r\n\r\n"
    return (head + "x" * 500 + "\r\n").encode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_raw_store_migration_keeps_every_byte_and_stores_it_once():
    queue = Queue.objects.get(full_name="Misc")
    ticket = factories.ticket(queue)
    article = ticket.articles.get()
    other = factories.note(ticket)
    try:
        old = _migrate(BEFORE)
        OldRaw = old.get_model("tickets", "ArticleRaw")
        OldInbound = old.get_model("tickets", "InboundMessage")
        OldRaw.objects.create(article_id=article.pk, content=raw(1))
        OldRaw.objects.create(article_id=other.pk, content=raw(1))  # the same bytes twice
        fields = {"size": 1, "sha256": "0" * 64, "source": "pipe", "status": "processed"}
        # Processed: its raw was cleared, the article keeps it.
        cleared = OldInbound.objects.create(raw=b"", article_id=article.pk, **fields)
        quarantined = OldInbound.objects.create(raw=raw(2), **{**fields, "status": "quarantined"})
    finally:
        _migrate(_latest())

    assert ArticleRaw.objects.get(article=article).content == raw(1)
    assert (
        ArticleRaw.objects.get(article=other).blob_id
        == ArticleRaw.objects.get(article=article).blob_id
    )
    assert InboundMessage.objects.get(pk=cleared.pk).raw == raw(1)
    assert InboundMessage.objects.get(pk=cleared.pk).fingerprint == fingerprint(raw(1))
    assert InboundMessage.objects.get(pk=quarantined.pk).raw == raw(2)
    assert RawMail.objects.count() == 2
    assert {blob.codec for blob in RawMail.objects.all()} == {"zlib"}

    # And back: the old columns get their bytes again.
    try:
        old = _migrate(BEFORE)
        row = old.get_model("tickets", "ArticleRaw").objects.get(article_id=other.pk)
        assert bytes(row.content) == raw(1)
        back = old.get_model("tickets", "InboundMessage").objects.get(pk=quarantined.pk)
        assert bytes(back.raw) == raw(2)
    finally:
        _migrate(_latest())

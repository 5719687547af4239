"""The migration that moves attachments kept in the database into content-addressed blob
rows: every attachment reads back byte for byte, the same bytes become one row, files in the
file storage are left alone, and it goes back again."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories
from tickets.models import Attachment, ContentBlob, Queue
from tickets.models.mail import content_hash

BEFORE = [("tickets", "0022_content_blobs")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_blob_migration_moves_database_attachments_into_shared_blobs_and_back():
    ticket = factories.ticket(Queue.objects.get(full_name="Misc"))
    article = ticket.articles.get()
    shared = os.urandom(5000)
    text = b"a text file that compresses well\n" * 300
    try:
        old = _migrate(BEFORE)
        OldAttachment = old.get_model("tickets", "Attachment")
        made = [
            OldAttachment.objects.create(article_id=article.pk, filename=name, db_content=content)
            for name, content in (("a.bin", shared), ("b.bin", shared), ("c.txt", text))
        ]
        in_files = OldAttachment.objects.create(
            article_id=article.pk, filename="d.bin", file="cas/00/00/elsewhere"
        )
    finally:
        _migrate(_latest())

    moved = {a.pk: a for a in Attachment.objects.filter(pk__in=[m.pk for m in made])}
    assert [moved[m.pk].read() for m in made] == [shared, shared, text]
    assert [moved[m.pk].size for m in made] == [5000, 5000, len(text)]
    assert {moved[m.pk].blob_id for m in made} == {content_hash(shared), content_hash(text)}
    assert ContentBlob.objects.count() == 2
    assert ContentBlob.objects.get(pk=content_hash(text)).compressed
    assert Attachment.objects.get(pk=in_files.pk).blob_id is None

    try:
        back = _migrate([("tickets", "0022_content_blobs")])
        rows = back.get_model("tickets", "Attachment").objects.filter(pk__in=[m.pk for m in made])
        assert sorted(bytes(r.db_content) for r in rows) == sorted([shared, shared, text])
        assert not rows.filter(blob__isnull=False).exists()
    finally:
        _migrate(_latest())

"""One upload field with one configured limit, enforced while the upload streams in
(otrs/web/uploads.py), through the real middleware, parser and views."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import reverse

from tests import factories
from tests.customer_portal import ticket_data
from tickets.actions import ticket_version as version
from tickets.models import Article, Attachment

KB = 1024
# What Django's own handlers received, per file, in the test that counts it.
RECEIVED: list[int] = []


class CountingHandler(FileUploadHandler):
    """Sits after the limit, before Django's handlers: counts what reaches them."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        RECEIVED.append(0)

    def receive_data_chunk(self, raw_data, start):
        RECEIVED[-1] += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def note(client, support):
    """The note form of a ticket, posted by an agent with rw."""
    ticket = factories.ticket(support.queue)
    client.force_login(support.rw)

    def post(*files, body="See the files."):
        data = {"seen": version(ticket), "body": body, "attachments": list(files)}
        return client.post(reverse("agent:note", args=[ticket.pk]), data)

    post.ticket = ticket
    return post


def upload(name: str, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size, content_type="application/octet-stream")


def test_it_refuses_files_larger_together_than_the_request_limit(note, settings):
    """The finding: three files each under the limit, together over it, were accepted."""
    settings.UPLOAD_MAX_FILE_BYTES = 40 * KB
    settings.UPLOAD_MAX_REQUEST_BYTES = 100 * KB
    articles = Article.objects.count()

    response = note(*(upload(f"part{i}.bin", 35 * KB) for i in range(3)), body="Kept text")

    assert response.status_code == 400
    errors = response.context["form"].errors["attachments"]
    assert errors == ["The attachments are too large together; at most 100.0\xa0KB."]
    assert "Kept text" in response.content.decode()  # the fields after the files are parsed
    assert Article.objects.count() == articles


def test_it_names_the_file_over_the_file_limit(note, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 10 * KB

    response = note(upload("small.txt", KB), upload("huge.iso", 11 * KB))

    assert response.status_code == 400
    assert response.context["form"].errors["attachments"] == [
        "“huge.iso” is too large; a file may be at most 10.0\xa0KB."
    ]


def test_it_accepts_files_within_the_limits_and_stores_them_whole(note, settings):
    """3 MB is past Django's memory threshold: the file arrives in a temporary file and is
    stored from there."""
    settings.UPLOAD_MAX_FILE_BYTES = settings.UPLOAD_MAX_REQUEST_BYTES = 4 * KB * KB
    content = bytes(range(256)) * (3 * KB * 4)

    response = note(SimpleUploadedFile("big.bin", content), upload("small.txt", 10))

    assert response.status_code == 302
    stored = Attachment.objects.filter(article__ticket=note.ticket).order_by("pk")
    assert [(a.filename, a.size) for a in stored] == [
        ("big.bin", len(content)),
        ("small.txt", 10),
    ]
    assert stored[0].read() == content


def test_it_keeps_nothing_past_the_limit_while_streaming(note, settings):
    settings.FILE_UPLOAD_HANDLERS = [
        f"{__name__}.CountingHandler",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    settings.UPLOAD_MAX_FILE_BYTES = settings.UPLOAD_MAX_REQUEST_BYTES = 100 * KB
    RECEIVED.clear()

    response = note(upload("huge.bin", 5 * KB * KB))

    assert response.status_code == 400
    # Django reads in 64 KiB chunks: what passed the limit is at most the chunk that
    # crossed it, never the 5 MB.
    assert len(RECEIVED) == 1 and RECEIVED[0] <= 100 * KB


def test_the_customer_portal_uses_the_same_field_and_limit(client, settings, db):
    settings.UPLOAD_MAX_FILE_BYTES = 10 * KB
    queue = ticket_data.portal_queue()
    wile = ticket_data.customer("wile")
    ticket = ticket_data.ticket(queue, customer_user="wile")
    client.force_login(wile)

    response = client.post(
        reverse("customer:ticket_reply", args=[ticket.pk]),
        {"body": "Here it is.", "attachments": [upload("scan.pdf", 11 * KB)]},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["attachments"] == [
        "“scan.pdf” is too large; a file may be at most 10.0\xa0KB."
    ]

"""Attachments kept in drafts (issue 18, part 5): a file uploaded with "Save draft" is kept
with the agent's draft answer or note, listed (ticked) when the draft is restored, and sent with the
answer unless unticked; the autosave (no files) keeps them; too large a file keeps nothing;
the orphan sweep leaves a draft's file alone."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from otrs.mail.models import OutboundMessage
from tests import factories
from tickets import actions, mailstore
from tickets.models import (
    Attachment,
    ContentBlob,
    Draft,
    DraftAttachment,
    SystemAddress,
    Ticket,
)

pytestmark = pytest.mark.django_db

LOG = b"t=0s 20C\nt=5s 180C\n"


@pytest.fixture(params=["db", "fs"])
def storage(request, settings, tmp_path):
    """Both places a file can be kept (the file system one in a directory of this test)."""
    settings.ATTACHMENT_STORAGE = request.param
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    return request.param


@pytest.fixture
def ticket(support):
    support.queue.system_address = SystemAddress.objects.create(
        email="draftfiles-support@example.test", display_name="Support", queue=support.queue
    )
    support.queue.save()
    return factories.ticket(support.queue, customer_user="draftfiles-carol@example.com")


@pytest.fixture
def rw(client, support):
    client.force_login(support.rw)
    return client


def reply_url(ticket):
    return reverse("agent:reply", args=[ticket.pk, ticket.articles.first().pk])


def save_url(ticket, screen="email"):
    return reverse("agent:draft_save", args=[ticket.pk, screen])


def save_with_file(client, ticket, name="skate-log.txt", content=LOG, **headers):
    return client.post(
        save_url(ticket),
        {
            "to": "draftfiles-carol@example.com",
            "subject": "Re: skates",
            "body": "The log is attached.",
            "draft_article": ticket.articles.first().pk,
            "draft_kind": "reply",
            "attachments": [SimpleUploadedFile(name, content, "text/plain")],
        },
        **headers,
    )


def test_the_file_comes_back_with_the_draft_and_goes_out_with_the_answer(rw, ticket, storage):
    assert save_with_file(rw, ticket).status_code == 302
    kept = DraftAttachment.objects.get()
    assert (kept.filename, kept.size, kept.read()) == ("skate-log.txt", len(LOG), LOG)
    assert kept.in_database == (storage == "db")

    page = rw.get(reply_url(ticket)).content.decode()
    assert "The log is attached.</textarea>" in page
    assert f'name="draft_attachments" value="{kept.pk}"' in page
    assert "skate-log.txt" in page
    tick = page.split(f'name="draft_attachments" value="{kept.pk}"')[1].split(">")[0]
    assert "checked" in tick

    answer = rw.post(
        reply_url(ticket),
        {
            "to": "draftfiles-carol@example.com",
            "subject": "Re: skates",
            "body": "The log is attached.",
            "draft_attachments": [kept.pk],
            "draft_attachments_listed": "1",
            "seen": actions.ticket_version(Ticket.objects.get(pk=ticket.pk)),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    sent = ticket.articles.order_by("pk").last()
    assert [(a.filename, a.read()) for a in sent.attachments.all()] == [("skate-log.txt", LOG)]
    queued = OutboundMessage.objects.get(recipients=["draftfiles-carol@example.com"])
    mail = message_from_bytes(queued.content(), policy=default_policy)
    files = [(part.get_filename(), part.get_content()) for part in mail.iter_attachments()]
    assert files == [("skate-log.txt", LOG.decode())]
    # Sent: the draft and its file are gone.
    assert not Draft.objects.exists() and not DraftAttachment.objects.exists()


def test_an_unticked_file_stays_behind(rw, ticket, storage):
    save_with_file(rw, ticket)
    answer = rw.post(
        reply_url(ticket),
        {
            "to": "draftfiles-carol@example.com",
            "subject": "Re: skates",
            "body": "No log after all.",
            "draft_attachments_listed": "1",
            "seen": actions.ticket_version(Ticket.objects.get(pk=ticket.pk)),
        },
    )
    assert answer.status_code == 302
    assert not ticket.articles.order_by("pk").last().attachments.exists()


def test_the_autosave_keeps_the_files_and_a_second_save_adds_no_copy(rw, ticket, storage):
    save_with_file(rw, ticket)
    kept = DraftAttachment.objects.get()
    # The autosave sends the ticks, never the files.
    answer = rw.post(
        save_url(ticket),
        {
            "body": "Typing on.",
            "draft_article": ticket.articles.first().pk,
            "draft_kind": "reply",
            "draft_attachments": [kept.pk],
            "draft_attachments_listed": "1",
        },
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert answer.status_code == 200 and answer.json()["saved"] is True
    assert list(DraftAttachment.objects.values_list("pk", flat=True)) == [kept.pk]
    save_with_file(rw, ticket)  # the same file chosen again
    save_with_file(rw, ticket, name="second.txt", content=b"other bytes")
    assert sorted(DraftAttachment.objects.values_list("filename", flat=True)) == [
        "second.txt",
        "skate-log.txt",
    ]
    # Unticked in the composer, then saved: dropped.
    rw.post(
        save_url(ticket),
        {"body": "Only the second.", "draft_attachments_listed": "1", "draft_attachments": []},
    )
    assert not DraftAttachment.objects.exists()


def test_too_large_a_file_keeps_nothing(rw, ticket, settings, storage):
    settings.UPLOAD_MAX_FILE_BYTES = 10
    answer = save_with_file(rw, ticket, HTTP_X_REQUESTED_WITH="fetch")
    assert answer.status_code == 400 and answer.json()["saved"] is False
    assert "skate-log.txt" in answer.json()["message"]
    assert not Draft.objects.exists() and not DraftAttachment.objects.exists()


def note_url(ticket):
    return reverse("agent:note", args=[ticket.pk])


def test_a_note_draft_keeps_its_files_and_the_note_takes_them(rw, ticket, storage):
    answer = rw.post(
        save_url(ticket, "note"),
        {"subject": "Log", "body": "A note", "attachments": [SimpleUploadedFile("n.txt", LOG)]},
    )
    assert answer.status_code == 302
    kept = DraftAttachment.objects.get(draft__screen="note")
    assert (kept.filename, kept.read()) == ("n.txt", LOG)

    # Restored on the note screen (no JavaScript needed), listed and ticked.
    page = rw.get(note_url(ticket)).content.decode()
    assert "A note</textarea>" in page
    assert 'name="draft_attachments_listed"' in page
    tick = page.split(f'name="draft_attachments" value="{kept.pk}"')[1].split(">")[0]
    assert "checked" in tick and "n.txt" in page

    answer = rw.post(
        note_url(ticket),
        {
            "subject": "Log",
            "body": "A note",
            "draft_attachments": [kept.pk],
            "draft_attachments_listed": "1",
            "seen": actions.ticket_version(Ticket.objects.get(pk=ticket.pk)),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    note = ticket.articles.order_by("pk").last()
    assert note.body == "A note"
    assert [(a.filename, a.read()) for a in note.attachments.all()] == [("n.txt", LOG)]
    assert not Draft.objects.exists() and not DraftAttachment.objects.exists()


def test_a_note_without_the_ticked_draft_file_and_no_file_for_others(
    client, support, ticket, storage
):
    client.force_login(support.rw)
    client.post(
        save_url(ticket, "note"),
        {"body": "A note", "attachments": [SimpleUploadedFile("n.txt", b"n", "text/plain")]},
    )
    kept = DraftAttachment.objects.get()
    # Unticked: the note goes without it.
    answer = client.post(
        note_url(ticket),
        {
            "subject": "No file",
            "body": "A note",
            "draft_attachments_listed": "1",
            "seen": actions.ticket_version(Ticket.objects.get(pk=ticket.pk)),
        },
    )
    assert answer.status_code == 302
    assert not ticket.articles.order_by("pk").last().attachments.exists()
    # Another agent's draft file cannot be ticked into a note: not one of theirs to offer.
    client.post(
        save_url(ticket, "note"),
        {"body": "Again", "attachments": [SimpleUploadedFile("n.txt", b"n", "text/plain")]},
    )
    kept = DraftAttachment.objects.get()
    other = factories.agent("draftfiles-other")
    factories.grant(other, support.group, factories.RW)
    client.force_login(other)
    answer = client.post(
        note_url(ticket),
        {
            "subject": "Theirs",
            "body": "Taking it",
            "draft_attachments": [kept.pk],
            "draft_attachments_listed": "1",
            "seen": actions.ticket_version(Ticket.objects.get(pk=ticket.pk)),
        },
    )
    assert answer.status_code == 302
    assert not ticket.articles.order_by("pk").last().attachments.exists()
    assert DraftAttachment.objects.filter(pk=kept.pk).exists()
    client.force_login(support.ro)
    assert save_with_file(client, ticket).status_code == 404


def test_the_orphan_sweep_leaves_a_drafts_file_alone(rw, ticket, storage):
    save_with_file(rw, ticket, content=b"only in a draft")
    kept = DraftAttachment.objects.get()
    assert not Attachment.objects.filter(size=kept.size, filename=kept.filename).exists()
    ContentBlob.objects.update(used_at=kept.draft.updated_at - timedelta(days=30))
    mailstore.sweep_orphans(older_than=timedelta(0))
    kept.refresh_from_db()
    assert kept.read() == b"only in a draft"

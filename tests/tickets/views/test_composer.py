"""The composer (issue 18, part 5): drafts kept per agent and ticket, text modules per
queue, and @-mentions in notes that notify the agent and list the ticket for them."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from otrs.errors import DomainError
from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tickets import actions
from tickets.choices import HistoryType
from tickets.models import Article, Draft, Mention, SystemAddress, TextModule, TicketHistory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(support):
    support.queue.system_address = SystemAddress.objects.create(
        email="composer-support@example.test", display_name="Support", queue=support.queue
    )
    support.queue.save()
    return factories.ticket(support.queue, customer_user="composer-carol@example.com")


@pytest.fixture
def colleague(support):
    agent = factories.agent(
        "composer_colleague", first_name="Cleo", email="composer-cleo@example.com"
    )
    factories.grant(agent, support.group, factories.RW)
    return agent


@pytest.fixture
def rw(client, support):
    client.force_login(support.rw)
    return client


def note_url(ticket):
    return reverse("agent:note", args=[ticket.pk])


def reply_url(ticket):
    return reverse("agent:reply", args=[ticket.pk, ticket.articles.first().pk])


def save_url(ticket, screen):
    return reverse("agent:draft_save", args=[ticket.pk, screen])


# --- drafts ------------------------------------------------------------------------------------


def test_it_keeps_a_note_draft_and_restores_it(rw, support, ticket):
    answer = rw.post(
        save_url(ticket, "note"),
        {"subject": "Half", "body": "Composer draft text", "next": note_url(ticket)},
    )
    assert answer.status_code == 302 and answer["Location"] == note_url(ticket)
    draft = Draft.objects.get(ticket=ticket, user=support.rw, screen="note")
    assert draft.body == "Composer draft text"
    page = rw.get(note_url(ticket)).content.decode()
    assert "Composer draft text</textarea>" in page
    assert "is restored" in page
    # The zoom lists it with a link back to the note screen.
    zoom = rw.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "Your note" in zoom and note_url(ticket) in zoom


def test_saving_again_replaces_the_draft_and_autosave_answers_json(rw, support, ticket):
    rw.post(save_url(ticket, "note"), {"body": "one"})
    answer = rw.post(save_url(ticket, "note"), {"body": "two"}, HTTP_X_REQUESTED_WITH="fetch")
    assert answer.status_code == 200 and answer.json()["saved"] is True
    assert list(Draft.objects.values_list("body", flat=True)) == ["two"]


def test_sending_the_note_drops_the_draft(rw, support, ticket):
    rw.post(save_url(ticket, "note"), {"body": "draft"})
    answer = rw.post(note_url(ticket), {"subject": "S", "body": "The real note"})
    assert answer.status_code == 302
    assert not Draft.objects.exists()
    assert ticket.articles.filter(body="The real note").exists()


def test_discard_drops_the_draft(rw, support, ticket):
    rw.post(save_url(ticket, "note"), {"body": "draft"})
    rw.post(reverse("agent:draft_discard", args=[ticket.pk, "note"]))
    assert not Draft.objects.exists()


def test_a_reply_draft_comes_back_on_the_same_reply_only(rw, support, ticket):
    article = ticket.articles.first()
    rw.post(
        save_url(ticket, "email"),
        {
            "to": "composer-carol@example.com",
            "subject": "Re: it",
            "body": "Composer reply draft",
            "draft_article": article.pk,
            "draft_kind": "reply",
        },
    )
    page = rw.get(reply_url(ticket)).content.decode()
    assert "Composer reply draft</textarea>" in page
    forward = rw.get(reverse("agent:forward", args=[ticket.pk, article.pk])).content.decode()
    assert "Composer reply draft" not in forward
    assert "Continue the draft" in forward


def test_drafts_are_private_and_need_the_screens_permission(client, support, ticket, colleague):
    client.force_login(colleague)
    client.post(save_url(ticket, "note"), {"body": "Cleo's secret draft"})
    client.force_login(support.rw)
    assert "Cleo's secret draft" not in client.get(note_url(ticket)).content.decode()
    zoom = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "Cleo is writing" in zoom and "Cleo's secret draft" not in zoom
    # Read-only agents cannot keep an answer draft; outsiders see a 404, as for no ticket.
    client.force_login(support.ro)
    assert client.post(save_url(ticket, "email"), {"body": "x"}).status_code == 404
    client.force_login(support.outsider)
    assert client.post(save_url(ticket, "note"), {"body": "x"}).status_code == 404
    assert client.post(save_url(ticket, "bogus"), {"body": "x"}).status_code == 404
    assert Draft.objects.count() == 1


def test_a_draft_save_refuses_an_unsafe_next_and_get(rw, ticket):
    answer = rw.post(save_url(ticket, "note"), {"body": "x", "next": "https://evil.example/"})
    assert answer["Location"] == reverse("agent:zoom", args=[ticket.pk])
    assert rw.get(save_url(ticket, "note")).status_code == 405


# --- text modules ------------------------------------------------------------------------------


@pytest.fixture
def modules(support):
    everywhere = TextModule.objects.create(
        name="Composer thanks", keyword="thanks", text="Thank you for your patience."
    )
    support_only = TextModule.objects.create(
        name="Composer restart", keyword="restart", text="Please restart the router."
    )
    support_only.queues.add(support.queue)
    other = TextModule.objects.create(
        name="Composer elsewhere", keyword="elsewhere", text="Not for Support."
    )
    other.queues.add(factories.queue("ComposerOther"))
    TextModule.objects.create(name="Composer old", keyword="old", text="x", is_valid=False)
    return everywhere, support_only


def test_the_composer_offers_the_queues_text_modules(rw, ticket, modules):
    page = rw.get(note_url(ticket)).content.decode()
    assert "Composer thanks (::thanks)" in page and "Composer restart (::restart)" in page
    assert "Composer elsewhere" not in page and "Composer old" not in page
    assert "Composer restart" in rw.get(reply_url(ticket)).content.decode()


def test_insert_adds_the_module_to_the_text_without_sending(rw, ticket, modules):
    _everywhere, restart = modules
    count = ticket.articles.count()
    page = rw.post(
        note_url(ticket),
        {"subject": "", "body": "Hello", "text_module": restart.pk, "text_module_insert": "1"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hello\n\nPlease restart the router.\n</textarea>" in html
    assert "errorlist" not in html
    assert ticket.articles.count() == count


def test_a_module_chosen_at_sending_is_appended(rw, ticket, modules):
    thanks, _restart = modules
    rw.post(note_url(ticket), {"subject": "S", "body": "Done.", "text_module": thanks.pk})
    note = ticket.articles.order_by("-pk").first()
    assert note.body == "Done.\n\nThank you for your patience.\n"


def test_a_module_of_another_queue_is_refused(rw, ticket, modules):
    other = TextModule.objects.create(name="Composer foreign", keyword="foreign", text="no")
    other.queues.add(factories.queue("ComposerForeign"))
    answer = rw.post(note_url(ticket), {"subject": "S", "body": "x", "text_module": other.pk})
    assert answer.status_code == 400
    assert not ticket.articles.filter(body__contains="no\n").exists()


def placeholder_module(support):
    module = TextModule.objects.create(
        name="Composer tags",
        keyword="tags",
        text="Ticket <OTRS_TICKET_TicketNumber> for <OTRS_TICKET_CustomerUserID>, "
        "from <OTRS_CURRENT_UserLogin>. <OTRS_CONFIG_SECRET_KEY>",
    )
    module.queues.add(support.queue)
    return module


def test_insert_fills_the_modules_placeholders(rw, support, ticket):
    module = placeholder_module(support)
    html = rw.post(
        note_url(ticket),
        {"subject": "", "body": "", "text_module": module.pk, "text_module_insert": "1"},
    ).content.decode()
    filled = (
        f"Ticket {ticket.number} for composer-carol@example.com, "
        f"from {support.rw.get_username()}. -"
    )
    assert f"{filled}\n</textarea>" in html
    # With JavaScript the same filled text goes in at the cursor.
    assert filled in rw.get(note_url(ticket)).content.decode().split('id="text-modules"')[1]


def test_a_module_chosen_at_sending_is_filled_in(rw, support, ticket):
    module = placeholder_module(support)
    rw.post(note_url(ticket), {"subject": "S", "body": "Hi", "text_module": module.pk})
    sent = ticket.articles.order_by("-pk").first()
    assert f"Ticket {ticket.number} for composer-carol@example.com" in sent.body
    assert "<OTRS_" not in sent.body


# --- mentions ----------------------------------------------------------------------------------


def test_a_mention_notifies_the_agent_and_makes_them_watch(
    rw, support, ticket, colleague, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = rw.post(
            note_url(ticket),
            {"subject": "S", "body": "@composer_colleague please look (mail x@example.com)."},
        )
    assert answer.status_code == 302
    note = Article.objects.filter(ticket=ticket).order_by("-pk").first()
    assert list(Mention.objects.values_list("user_id", "article_id")) == [(colleague.pk, note.pk)]
    assert ticket.watchers.filter(user=colleague).exists()
    mails = OutboundMessage.objects.filter(kind=OutboundKind.AGENT_NOTIFICATION)
    assert [m.recipients[0] for m in mails] == ["composer-cleo@example.com"]
    assert "mentioned you" in bytes(mails[0].raw).decode()
    assert TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.MISC, extra__event="Mention"
    ).exists()
    # The ticket is in the colleague's "Mentioned" list.
    rw.force_login(colleague)
    assert ticket.title in rw.get(reverse("agent:mentioned")).content.decode()


def test_a_mention_of_an_agent_who_cannot_read_is_refused(rw, support, ticket):
    support.outsider.first_name = "Otto"
    support.outsider.save()
    answer = rw.post(note_url(ticket), {"subject": "S", "body": "@outsider look"})
    assert answer.status_code == 400
    assert "@outsider may not read this ticket" in answer.content.decode()
    assert not Mention.objects.exists()


def test_the_mention_list_offers_readers_of_the_ticket_only(rw, support, ticket, colleague):
    outsider = factories.agent("composer_colleen", first_name="Colleen")
    factories.grant(outsider, factories.group(), factories.RW)
    url = reverse("agent:mentionable", args=[ticket.pk])

    found = rw.get(url, {"q": "@composer_c"}).json()["results"]
    by_name = rw.get(url, {"q": "cle"}).json()["results"]

    assert found == [{"login": "composer_colleague", "name": "Cleo"}]
    assert by_name == found


def test_the_mention_list_is_a_404_without_the_note_permission(client, support, ticket):
    stranger = factories.agent()
    factories.grant(stranger, factories.group(), factories.RW)
    client.force_login(stranger)
    url = reverse("agent:mentionable", args=[ticket.pk])
    assert client.get(url, {"q": "a"}).status_code == 404
    assert client.post(url).status_code == 405


def test_unknown_names_and_addresses_are_plain_text(rw, ticket):
    answer = rw.post(note_url(ticket), {"subject": "S", "body": "@nobody at a@b.example"})
    assert answer.status_code == 302
    assert not Mention.objects.exists()


def test_the_action_refuses_a_user_who_may_not_read(support, ticket):
    note = actions.add_article(
        ticket,
        actions.ArticleInput(channel="internal", sender_type="agent", subject="s", body="b"),
        actor=support.rw,
    )
    with pytest.raises(DomainError), transaction.atomic():
        actions.mention_agents(ticket, note, [support.outsider], actor=support.rw)
    assert not Mention.objects.exists()


# --- auto-lock on reply (OTRS RequiredLock) ------------------------------------------------


def test_opening_the_reply_locks_the_ticket_when_configured(rw, support, ticket, settings):
    rw.get(reply_url(ticket))
    ticket.refresh_from_db()
    assert ticket.lock == "unlock"  # off by default
    settings.TICKET_LOCK_ON_REPLY = True
    page = rw.get(reply_url(ticket)).content.decode()
    ticket.refresh_from_db()
    assert (ticket.lock, ticket.owner_id) == ("lock", support.rw.pk)
    assert "The ticket is locked to you while you answer." in page
    assert TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.LOCK).exists()

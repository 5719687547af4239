"""FAQ search and insert beyond the reply: on the note screen and the new phone and email
ticket screens (where the insert is recorded once the ticket exists), and the JSON list the
live suggestions read (only insertable items, agents only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from faq.choices import InsertFormat, ItemState
from faq.models import FaqSettings, FaqTicketLink
from otrs.permissions import PermissionKey
from tests import factories
from tests.faq import category, fulltext_db, item
from tickets.history import describe
from tickets.models import State, Ticket, TicketHistory

pytestmark = fulltext_db

SUGGEST = reverse("agent:faq_suggest")
PHONE = reverse("agent:new_phone_ticket")
EMAIL = reverse("agent:new_email_ticket")


@pytest.fixture
def desk(support):
    FaqSettings.objects.update_or_create(pk=1, defaults={"insert_format": InsertFormat.TEXT})
    ticket = factories.ticket(support.queue, title="Faqcomposer toner")
    shelf = category("Faqcomposer printing")
    secret = category("Faqcomposer secret", read=[factories.group("faqcomposer-secret")])
    public = item(shelf, "Faqcomposer toner smears", solution="<p>Shake the toner.</p>")
    internal = item(
        shelf, "Faqcomposer toner contract", state=ItemState.INTERNAL, solution="Call Bob."
    )
    hidden = item(secret, "Faqcomposer toner secret", solution="Nobody knows.")
    creator = factories.agent("faqcomposer_creator")
    factories.grant(creator, support.group, PermissionKey.CREATE)
    return type(
        "Desk",
        (),
        {
            "support": support,
            "agent": support.rw,
            "creator": creator,
            "ticket": ticket,
            "public": public,
            "internal": internal,
            "hidden": hidden,
        },
    )


def _texts(ticket) -> list[str]:
    return [text for _row, text in describe(TicketHistory.objects.filter(ticket=ticket))]


def test_the_note_screen_searches_and_inserts_keeping_the_typed_text(client, desk):
    client.force_login(desk.agent)
    url = reverse("agent:note", args=[desk.ticket.pk])
    base = {"subject": "Faqcomposer note", "body": "Checked the printer."}

    found = client.post(url, {**base, "faq_q": "toner", "faq_search": "1"})
    page = found.content.decode()
    assert found.status_code == 200
    assert "Faqcomposer toner smears" in page and "Faqcomposer toner secret" not in page

    inserted = client.post(url, {**base, "faq_insert": str(desk.public.pk)})
    body = inserted.context["form"]["body"].value()
    assert body.startswith("Checked the printer.\n\n> Faqcomposer toner smears")
    assert f"FAQ item {desk.public.number} inserted into the answer." in _texts(desk.ticket)
    assert not desk.ticket.articles.filter(subject="Faqcomposer note").exists()

    assert client.post(url, {**base, "body": body}).status_code == 302
    assert desk.ticket.articles.filter(subject="Faqcomposer note").exists()


def test_enter_runs_a_search_typed_but_not_run_and_otherwise_sends(client, desk):
    """The form's first button is the default one Enter presses (faq_enter)."""
    client.force_login(desk.agent)
    url = reverse("agent:note", args=[desk.ticket.pk])
    page = client.get(url).content.decode()
    assert page.index('name="faq_enter"') < page.index('name="faq_search"')
    base = {"subject": "Faqcomposer enter", "body": "Checked.", "faq_enter": "1"}

    searched = client.post(url, {**base, "faq_q": "toner"})
    assert searched.status_code == 200 and "Faqcomposer toner smears" in searched.content.decode()
    assert 'name="faq_q_done" value="toner"' in searched.content.decode()
    assert not desk.ticket.articles.filter(subject="Faqcomposer enter").exists()

    sent = client.post(url, {**base, "faq_q": " toner ", "faq_q_done": "toner"})
    assert sent.status_code == 302
    assert desk.ticket.articles.filter(subject="Faqcomposer enter").exists()


def _phone(desk, **overrides):
    values = {
        "customer": "faqcomposer@example.com",
        "queue": desk.support.queue.pk,
        "title": "Faqcomposer printer",
        "body": "The printer smears.",
        "state": State.objects.get(name="open").pk,
        "priority": factories.priority(3).pk,
        "type": Ticket._meta.get_field("type").related_model.objects.get(is_default=True).pk,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize("screen", [PHONE, EMAIL])
def test_a_new_ticket_screen_inserts_and_records_once_the_ticket_exists(client, desk, screen):
    client.force_login(desk.creator)  # "create" on the queue is enough
    values = _phone(desk)
    if screen == EMAIL:
        values["to"] = values.pop("customer")

    inserted = client.post(screen, {**values, "faq_insert": str(desk.public.pk)})

    assert inserted.status_code == 200 and not Ticket.objects.filter(title=values["title"])
    body = inserted.context["form"]["body"].value()
    assert "> Faqcomposer toner smears" in body
    page = inserted.content.decode()
    assert f'name="faq_inserted" value="{desk.public.pk}"' in page

    created = client.post(
        screen, {**values, "body": body, "faq_inserted": f"{desk.public.pk} x 99999"}
    )

    assert created.status_code == 302
    ticket = Ticket.objects.get(title=values["title"])
    assert FaqTicketLink.objects.filter(ticket=ticket, item=desk.public).exists()
    assert f"FAQ item {desk.public.number} inserted into the answer." in _texts(ticket)


def test_a_new_ticket_never_records_an_item_the_agent_cannot_read(client, desk):
    client.force_login(desk.creator)

    client.post(PHONE, {**_phone(desk), "faq_inserted": str(desk.hidden.pk)})

    ticket = Ticket.objects.get(title="Faqcomposer printer")
    assert not FaqTicketLink.objects.filter(ticket=ticket).exists()


def test_the_suggestion_list_names_only_insertable_items_for_agents(client, desk):
    client.force_login(desk.agent)

    searched = client.get(SUGGEST, {"q": "toner"}).json()["items"]
    suggested = client.get(SUGGEST, {"text": "my printer smears toner on every page"}).json()

    titles = {hit["title"] for hit in searched}
    assert titles == {"Faqcomposer toner smears", "Faqcomposer toner contract"}
    assert {hit["internal"] for hit in searched if hit["id"] == desk.internal.pk} == {True}
    assert "Faqcomposer toner smears" in {hit["title"] for hit in suggested["items"]}
    assert "Faqcomposer toner secret" not in str(suggested)
    assert client.get(SUGGEST, {"q": "\x00" * 3}).json() == {"items": []}

    client.force_login(factories.customer("faqcomposer_customer"))
    assert client.get(SUGGEST, {"q": "toner"}).status_code == 403
    client.logout()
    assert client.get(SUGGEST, {"q": "toner"}).status_code == 302

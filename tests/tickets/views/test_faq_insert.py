"""An FAQ item into an answer, without JavaScript: the composer's FAQ search and insert
buttons keep what the agent typed, append the item's text, and record the insert in the
ticket's history; an internal item needs a second, confirming press; an item the agent may
not read is not found."""

from __future__ import annotations

import pytest
from django.urls import reverse

from faq.choices import InsertFormat, ItemState
from faq.models import FaqSettings, FaqTicketLink
from tests import factories
from tests.faq import category, fulltext_db, item
from tickets.choices import HistoryType
from tickets.history import describe
from tickets.models import TicketHistory

pytestmark = fulltext_db


@pytest.fixture
def desk(support):
    ticket = factories.ticket(support.queue, title="Toner smears")
    article = ticket.articles.get()
    open_cat = category("Printing")
    secret_cat = category("Secret", read=[factories.group("faq-secret")])
    public = item(open_cat, "Toner smears on paper", solution="<p>Shake the <b>toner</b>.</p>")
    internal = item(
        open_cat, "Toner vendor contract", state=ItemState.INTERNAL, solution="Call Bob."
    )
    hidden = item(secret_cat, "Toner secret", solution="Nobody knows.")
    return type(
        "Desk",
        (),
        {
            "agent": support.rw,
            "ticket": ticket,
            "url": reverse("agent:reply", args=[ticket.pk, article.pk]),
            "public": public,
            "internal": internal,
            "hidden": hidden,
        },
    )


def _post(client, desk, **data):
    base = {"to": "carol@example.com", "subject": "Re: Toner", "body": "Hello Carol,"}
    return client.post(desk.url, {**base, **data})


def test_it_finds_readable_items_and_inserts_one_keeping_the_typed_text(client, desk):
    FaqSettings.objects.update_or_create(pk=1, defaults={"insert_format": InsertFormat.BOTH})
    client.force_login(desk.agent)
    found = _post(client, desk, faq_q="toner", faq_search="1")
    page = found.content.decode()
    assert found.status_code == 200
    assert "Toner smears on paper" in page and "Toner vendor contract" in page
    assert "Toner secret" not in page  # a category the agent does not read
    assert "Hello Carol," in page

    inserted = _post(client, desk, faq_q="toner", faq_insert=str(desk.public.pk))
    page = inserted.content.decode()
    assert inserted.status_code == 200
    body = inserted.context["form"]["body"].value()
    assert body.startswith("Hello Carol,\n\n> Toner smears on paper")
    assert "> Shake the toner." in body
    assert f"/public/faq/{desk.public.pk}/" in body
    assert FaqTicketLink.objects.filter(item=desk.public, ticket=desk.ticket).exists()
    rows = TicketHistory.objects.filter(ticket=desk.ticket).order_by("pk")
    texts = [text for _row, text in describe(rows)]
    assert f"Linked with FAQ item {desk.public.number}." in texts
    assert f"FAQ item {desk.public.number} inserted into the answer." in texts
    # Nothing was sent: the composer is still open.
    assert not desk.ticket.articles.filter(subject="Re: Toner").exists()


def test_an_internal_item_asks_first_and_a_hidden_one_is_not_found(client, desk):
    client.force_login(desk.agent)
    warned = _post(client, desk, faq_insert=str(desk.internal.pk))
    assert "is internal: the customer cannot read it" in warned.content.decode()
    assert warned.context["form"]["body"].value() == "Hello Carol,"
    assert not TicketHistory.objects.filter(
        ticket=desk.ticket, history_type=HistoryType.MISC
    ).exists()

    confirmed = _post(
        client, desk, faq_insert=str(desk.internal.pk), faq_confirm=str(desk.internal.pk)
    )
    assert "Call Bob." in confirmed.context["form"]["body"].value()

    refused = _post(client, desk, faq_insert=str(desk.hidden.pk))
    assert "Nobody knows." not in refused.context["form"]["body"].value()
    assert not FaqTicketLink.objects.filter(item=desk.hidden).exists()


def test_a_read_only_agent_cannot_reach_the_composer(client, desk, support):
    client.force_login(support.ro)
    assert _post(client, desk, faq_insert=str(desk.public.pk)).status_code == 404
    assert not FaqTicketLink.objects.exists()

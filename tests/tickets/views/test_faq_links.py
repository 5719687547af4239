"""A ticket's FAQ items: link by number (only items the agent reads), unlink, both ends'
history; and an FAQ item written from the ticket, prefilled from its articles and linked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from faq.choices import HistoryType as FaqHistoryType
from faq.choices import ItemState
from faq.models import FaqItem, FaqTicketLink
from tests import factories
from tests.faq import category, item
from tickets import actions
from tickets.choices import Channel, SenderType
from tickets.history import describe
from tickets.models import TicketHistory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(support):
    ticket = factories.ticket(support.queue, title="VPN drops", body="The VPN drops <b>hourly</b>.")
    for body, visible in (("Old idea: reboot.", True), ("Set MTU to 1400.", True)):
        actions.add_article(
            ticket,
            actions.ArticleInput(
                channel=Channel.EMAIL,
                sender_type=SenderType.AGENT,
                is_visible_for_customer=visible,
                subject="Re: VPN drops",
                body=body,
            ),
            actor=support.rw,
        )
    editors = factories.group("faq-vpn-editors")
    factories.grant(support.rw, editors, factories.RW)
    return type(
        "Desk",
        (),
        {
            "ticket": ticket,
            "agent": support.rw,
            "ro": support.ro,
            "open": item(category("Network"), "VPN basics"),
            "secret": item(category("Secret", read=[factories.group("x")]), "VPN secret"),
            "category": category("Network how-to", edit=[editors]),
        },
    )


def _sentences(ticket) -> list[str]:
    return [text for _row, text in describe(TicketHistory.objects.filter(ticket=ticket))]


def test_it_links_and_unlinks_an_item_from_both_ends(client, desk):
    client.force_login(desk.agent)
    url = reverse("agent:ticket_faq", args=[desk.ticket.pk])
    zoom = client.get(reverse("agent:zoom", args=[desk.ticket.pk])).content.decode()
    assert url in zoom

    hidden = client.post(url, {"number": desk.secret.number})
    assert hidden.status_code == 400
    assert not FaqTicketLink.objects.exists()

    assert client.post(url, {"number": desk.open.number}).status_code == 302
    assert FaqTicketLink.objects.filter(item=desk.open, ticket=desk.ticket).exists()
    assert "VPN basics" in client.get(url).content.decode()
    assert f"Linked with FAQ item {desk.open.number}." in _sentences(desk.ticket)
    assert desk.open.history.filter(type=FaqHistoryType.TICKET_LINKED).exists()

    unlink = reverse("agent:ticket_faq_unlink", args=[desk.ticket.pk, desk.open.pk])
    assert client.post(unlink).status_code == 302
    assert not FaqTicketLink.objects.exists()
    assert f"Link with FAQ item {desk.open.number} removed." in _sentences(desk.ticket)
    assert desk.open.history.filter(type=FaqHistoryType.TICKET_UNLINKED).exists()


def test_a_read_only_agent_gets_not_found(client, desk):
    client.force_login(desk.ro)
    assert client.get(reverse("agent:ticket_faq", args=[desk.ticket.pk])).status_code == 404
    assert client.get(reverse("agent:ticket_faq_new", args=[desk.ticket.pk])).status_code == 404


def test_it_writes_an_item_from_the_ticket_prefilled_and_linked(client, desk):
    client.force_login(desk.agent)
    url = reverse("agent:ticket_faq_new", args=[desk.ticket.pk])
    form = client.get(url).context["form"]
    assert form.initial["title"] == "VPN drops"
    assert "The VPN drops &lt;b&gt;hourly&lt;/b&gt;." in form.initial["symptom"]
    assert "Set MTU to 1400." in form.initial["solution"]  # the latest answer by default
    first_answer = desk.ticket.articles.get(body="Old idea: reboot.")
    chosen = client.get(url, {"answer": first_answer.pk}).context["form"]
    assert "Old idea: reboot." in chosen.initial["solution"]

    made = client.post(
        url,
        {
            "category": desk.category.pk,
            "language": "en",
            "state": ItemState.EXTERNAL,
            "title": "VPN drops hourly",
            "symptom": form.initial["symptom"],
            "solution": form.initial["solution"],
            "submit": "1",
        },
    )
    assert made.status_code == 302
    new = FaqItem.objects.get(title="VPN drops hourly")
    assert "Set MTU to 1400." in new.live_revision.solution
    assert FaqTicketLink.objects.filter(item=new, ticket=desk.ticket).exists()
    assert f"Linked with FAQ item {new.number}." in _sentences(desk.ticket)

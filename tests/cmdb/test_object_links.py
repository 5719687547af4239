"""A CI linked with FAQ items and services (both ends show the FAQ link; an FAQ item the
agent cannot read is "not found"), and the ticket's history of CI links."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cmdb import actions
from cmdb.choices import HistoryType, LinkType
from cmdb.models import FaqLink, ServiceLink
from tests import factories
from tests.cmdb import make_ci, personas
from tests.faq import category, item
from tickets.history import describe
from tickets.models import Service, TicketHistory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(support):
    rw, ro, _outsider = personas()
    factories.grant(rw, support.group, factories.RW)
    return type(
        "World",
        (),
        {
            "rw": rw,
            "ro": ro,
            "server": make_ci("server-9"),
            "faq": item(category("Hardware"), "Server reboots"),
            "secret": item(category("Hidden", read=[factories.group("nobody")]), "Secret"),
            "service": Service.objects.create(name="Web shop"),
            "support": support,
        },
    )


def test_it_links_faq_items_and_services_from_the_ci_page(client, world):
    client.force_login(world.rw)
    ci_url = reverse("agent:cmdb_ci", args=[world.server.pk])
    client.post(reverse("agent:cmdb_link_faq", args=[world.server.pk]), {"faq-number": "F0"})
    client.post(
        reverse("agent:cmdb_link_faq", args=[world.server.pk]),
        {"faq-number": world.secret.number},
    )
    assert not FaqLink.objects.exists()
    client.post(
        reverse("agent:cmdb_link_faq", args=[world.server.pk]), {"faq-number": world.faq.number}
    )
    client.post(
        reverse("agent:cmdb_link_service", args=[world.server.pk]),
        {"service-service": world.service.pk, "service-link_type": LinkType.DEPENDS_ON},
    )
    page = client.get(ci_url).content.decode()
    assert "Server reboots" in page and "Web shop" in page and "required for" in page
    faq_page = client.get(reverse("agent:faq_item", args=[world.faq.pk])).content.decode()
    assert "server-9" in faq_page  # the FAQ item's end shows the CI
    kinds = list(world.server.history.values_list("history_type", flat=True))
    assert kinds.count(HistoryType.LINK_ADD) == 2

    faq_link, service_link = FaqLink.objects.get(), ServiceLink.objects.get()
    client.force_login(world.ro)  # ro: nothing changes
    client.post(reverse("agent:cmdb_unlink_faq", args=[world.server.pk, faq_link.pk]))
    assert FaqLink.objects.exists()
    client.force_login(world.rw)
    client.post(reverse("agent:cmdb_unlink_faq", args=[world.server.pk, faq_link.pk]))
    client.post(reverse("agent:cmdb_unlink_service", args=[world.server.pk, service_link.pk]))
    assert not FaqLink.objects.exists() and not ServiceLink.objects.exists()


def test_the_ticket_history_shows_ci_links_both_ways(world):
    ticket = factories.ticket(world.support.queue)
    link = actions.link_ticket(world.server, ticket.pk, LinkType.RELEVANT_TO, actor=world.rw)
    actions.unlink_ticket(link, actor=world.rw)
    texts = [text for _row, text in describe(TicketHistory.objects.filter(ticket=ticket))]
    number = world.server.number
    assert f"Linked with configuration item {number}." in texts
    assert f"Link with configuration item {number} removed." in texts

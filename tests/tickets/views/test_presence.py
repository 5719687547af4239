"""Collision detection: who else has a ticket open (zoom, composer), the presence endpoint,
and a reply sent after a colleague answered (an edit conflict that shows what changed)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tickets import actions, presence
from tickets.models import Article, SystemAddress, Ticket


@pytest.fixture
def ticket(support):
    support.queue.system_address = SystemAddress.objects.create(
        email="support@example.test", display_name="Example Support", queue=support.queue
    )
    support.queue.save()
    return factories.ticket(support.queue, customer_user="carol@example.com")


@pytest.fixture
def colleague(support):
    agent = factories.agent("colleague", first_name="Carl", last_name="Colleague")
    factories.grant(agent, support.group, factories.RW)
    return agent


def zoom_url(ticket) -> str:
    return reverse("agent:zoom", args=[ticket.pk])


def reply_url(ticket) -> str:
    return reverse("agent:reply", args=[ticket.pk, ticket.articles.first().pk])


def presence_url(ticket) -> str:
    return reverse("agent:presence", args=[ticket.pk])


def version(ticket) -> str:
    return actions.ticket_version(Ticket.objects.get(pk=ticket.pk))


def as_agent(client, user):
    client.force_login(user)
    return client


def test_it_shows_who_else_views_the_ticket_but_not_yourself(client, support, ticket, colleague):
    as_agent(client, colleague).get(zoom_url(ticket))
    page = as_agent(client, support.rw).get(zoom_url(ticket)).content.decode()
    assert "Carl Colleague is viewing this ticket." in page
    assert "rw_agent is viewing" not in page
    # The colleague, back on the zoom, sees the first agent (by user name: no full name).
    page = as_agent(client, colleague).get(zoom_url(ticket)).content.decode()
    assert "rw_agent is viewing this ticket." in page
    assert "Carl Colleague is" not in page


def test_an_open_composer_shows_its_agent_writing_a_reply(client, support, ticket, colleague):
    assert as_agent(client, colleague).get(reply_url(ticket)).status_code == 200
    page = as_agent(client, support.rw).get(zoom_url(ticket)).content.decode()
    assert "Carl Colleague is writing a reply." in page
    # Writing and reading the same ticket elsewhere: the other composer shows the first.
    page = as_agent(client, support.rw).get(reply_url(ticket)).content.decode()
    assert "Carl Colleague is writing a reply." in page


def test_presence_expires_without_renewal(support, ticket, colleague, settings):
    settings.TICKET_PRESENCE_SECONDS = 60
    presence.note(ticket.pk, colleague, presence.WRITING, now=1_000.0)
    assert [p.name for p in presence.others(ticket.pk, support.rw, now=1_059.0)] == [
        "Carl Colleague"
    ]
    assert presence.others(ticket.pk, support.rw, now=1_061.0) == []
    # Renewing keeps it; writers come before readers.
    presence.note(ticket.pk, support.ro, presence.VIEWING, now=1_050.0)
    presence.note(ticket.pk, colleague, presence.WRITING, now=1_055.0)
    found = presence.others(ticket.pk, support.rw, now=1_100.0)
    assert [(p.user_id, p.activity) for p in found] == [
        (colleague.pk, presence.WRITING),
        (support.ro.pk, presence.VIEWING),
    ]
    assert presence.poll_seconds() == 20


def test_the_endpoint_renews_and_lists_changes_since_the_page_opened(
    client, support, ticket, colleague, django_assert_num_queries
):
    opened = version(ticket)
    as_agent(client, colleague)
    answer = client.post(presence_url(ticket), {"activity": "writing", "seen": opened})
    assert answer.status_code == 200
    assert "presence-changed" not in answer.content.decode()
    factories.note(ticket, actor=support.rw, body="I am on it.")
    # Pinned: session (read only: renewed at most once a minute, and the first post did it),
    # user, ticket, grants (2), the others' history since the version with its actors;
    # presence is in the cache.
    with django_assert_num_queries(6):
        answer = client.post(presence_url(ticket), {"activity": "writing", "seen": opened})
    html = answer.content.decode()
    assert 'id="presence"' in html and "presence-changed" in html
    assert "rw_agent" in html and "Note" in html
    assert f'value="{opened}"' in html  # the page keeps its version until it reloads
    # The colleague, writing, is what the first agent sees.
    others = presence.others(ticket.pk, support.rw)
    assert [(p.name, p.activity) for p in others] == [("Carl Colleague", "writing")]


@pytest.mark.parametrize("data", [{}, {"activity": "dancing", "seen": "x" * 30}])
def test_unreadable_input_counts_as_viewing(client, support, ticket, colleague, data):
    assert as_agent(client, colleague).post(presence_url(ticket), data).status_code == 200
    assert [p.activity for p in presence.others(ticket.pk, support.rw)] == ["viewing"]


def test_the_endpoint_is_404_for_agents_who_may_not_see_the_ticket(client, support, ticket):
    response = as_agent(client, support.outsider).post(presence_url(ticket), {})
    assert response.status_code == 404
    assert presence.others(ticket.pk, support.rw) == []
    missing = reverse("agent:presence", args=[ticket.pk + 1000])
    assert client.post(missing, {}).status_code == 404
    # A read-only agent may be present; GET is no renewal.
    assert as_agent(client, support.ro).post(presence_url(ticket), {}).status_code == 200
    assert client.get(presence_url(ticket)).status_code == 405


def test_a_reply_after_a_colleagues_answer_shows_it_and_can_be_sent_anyway(
    client, support, ticket, colleague
):
    as_agent(client, colleague)
    opened = version(ticket)
    data = {
        "seen": opened,
        "to": "carol@example.com",
        "subject": f"Re: [Ticket#{ticket.number}] Printer on fire",
        "body": "Switch it off, please.",
    }
    # Meanwhile the first agent answers (which locks the ticket to them) and unlocks it.
    actions.answer_ticket(
        ticket,
        actions.ArticleInput(body="Unplug it.", subject="Re: fire", to_address="carol@example.com"),
        actor=support.rw,
    )
    actions.unlock_ticket(ticket, actor=support.rw)
    refused = client.post(reply_url(ticket), data)
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Changed by others since you opened this form:" in html
    assert "rw_agent" in html
    assert "Switch it off, please." in html  # the text is kept, to edit or send anyway
    assert Article.objects.filter(ticket=ticket, body="Switch it off, please.").count() == 0
    # Sending anyway: the form now carries the current version.
    again = {**data, "seen": refused.context["form"]["seen"].value()}
    response = client.post(reply_url(ticket), again)
    assert response.status_code == 302
    assert Article.objects.filter(ticket=ticket, body="Switch it off, please.").count() == 1

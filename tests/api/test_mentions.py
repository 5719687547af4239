"""@-mentions in articles made through the API (issue 18): an agent's internal note names
agents with ``@login`` and they are mentioned exactly as on the note screen (a Mention,
watcher, history row, the "mentioned" notification), with the same rule: every one
must be allowed to read the ticket, or nothing is written."""

from __future__ import annotations

import pytest

from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tests.api.conftest import ApiClient, token_for
from tickets.choices import HistoryType
from tickets.models import Article, Mention, SystemAddress, TicketHistory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(support):
    support.queue.system_address = SystemAddress.objects.create(
        email="apimention-support@example.test", display_name="Support", queue=support.queue
    )
    support.queue.save()
    return factories.ticket(support.queue, customer_user="apimention-carol@example.com")


@pytest.fixture
def colleague(support):
    agent = factories.agent("apimention_cleo", first_name="Cleo", email="apimention@example.com")
    factories.grant(agent, support.group, factories.RW)
    return agent


def articles_url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/articles/"


def test_a_note_through_the_api_mentions_and_notifies_the_agent(
    support, ticket, colleague, django_capture_on_commit_callbacks
):
    api = ApiClient(token_for(support.rw))
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(articles_url(ticket), {"body": "@apimention_cleo see x@example.com"})

    assert answer.status_code == 201, answer.content
    note = Article.objects.get(pk=answer.json()["id"])
    assert list(Mention.objects.values_list("user_id", "article_id")) == [(colleague.pk, note.pk)]
    assert ticket.watchers.filter(user=colleague).exists()
    assert TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.MISC, extra__event="Mention"
    ).exists()
    mails = OutboundMessage.objects.filter(kind=OutboundKind.AGENT_NOTIFICATION)
    assert [m.recipients[0] for m in mails] == ["apimention@example.com"]
    assert "mentioned you" in bytes(mails[0].raw).decode()


def test_a_mention_of_an_agent_who_cannot_read_writes_nothing(support, ticket):
    api = ApiClient(token_for(support.rw))
    before = ticket.articles.count()

    answer = api.post(articles_url(ticket), {"body": "@outsider have a look"})

    assert answer.status_code == 403
    assert "outsider may not read ticket" in answer.json()["detail"]
    assert ticket.articles.count() == before
    assert not Mention.objects.exists() and not ticket.watchers.exists()


def test_the_bulk_endpoint_refuses_that_item_alone(support, ticket, colleague):
    api = ApiClient(token_for(support.rw))
    other = factories.ticket(support.queue, title="Second")

    answer = api.post(
        "/api/v1/articles/bulk/",
        {
            "items": [
                {"ticket": ticket.pk, "body": "@apimention_cleo one"},
                {"ticket": other.pk, "body": "@outsider two"},
            ]
        },
    )

    assert [r["status"] for r in answer.json()["results"]] == [200, 403]
    assert list(Mention.objects.values_list("user_id", flat=True)) == [colleague.pk]
    assert not other.articles.filter(body="@outsider two").exists()


def test_phone_articles_and_plain_names_mention_nobody(support, ticket, colleague):
    api = ApiClient(token_for(support.rw))
    phone = api.post(articles_url(ticket), {"body": "@apimention_cleo", "channel": "phone"})
    plain = api.post(articles_url(ticket), {"body": "Mail @nobody-here or a@apimention_cleo"})

    assert (phone.status_code, plain.status_code) == (201, 201)
    assert not Mention.objects.exists()


def test_the_schema_says_how_mentions_work(support):
    schema = ApiClient(token_for(support.rw)).get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    inputs = [
        spec["properties"]["body"].get("description", "")
        for name, spec in schema.json()["components"]["schemas"].items()
        if name.startswith("ArticleInput")
    ]
    assert inputs and all("@login mentions an agent" in text for text in inputs)

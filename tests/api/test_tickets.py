"""Tickets through the API: the same access entry as the agent portal, the same actions."""

from __future__ import annotations

import base64
import random

import pytest
from django.test import Client

from otrs.permissions import PermissionKey
from tests import factories
from tests.customer_portal import ticket_data
from tickets import access, actions
from tickets.choices import HistoryType
from tickets.models import Ticket, TicketHistory, TicketLink

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db


def test_list_and_detail_agree_with_the_agent_portal_for_random_agents(support):
    rng = random.Random(16)
    groups = [support.group, factories.group("sales"), factories.group("it")]
    queues = [support.queue] + [factories.queue(group_=g) for g in groups[1:]]
    tickets = [factories.ticket(rng.choice(queues)) for _ in range(12)]
    agents = [factories.agent() for _ in range(5)]
    for agent in agents:
        for g in rng.sample(groups, rng.randint(0, 2)):
            factories.grant(agent, g, rng.choice([PermissionKey.RO, PermissionKey.RW]))
    for agent in agents:
        api = ApiClient(token_for(agent))
        listed = {
            row["id"] for row in api.get("/api/v1/tickets/", {"page_size": 100}).json()["results"]
        }
        assert listed == set(access.visible_to(agent).values_list("pk", flat=True))
        portal = Client()
        portal.force_login(agent)
        for ticket in rng.sample(tickets, 6):
            api_status = api.get(f"/api/v1/tickets/{ticket.pk}/").status_code
            zoom_status = portal.get(f"/agent/tickets/{ticket.pk}/").status_code
            assert api_status == zoom_status, (agent, ticket)
            assert (api_status == 200) == (ticket.pk in listed)


def test_the_list_takes_the_search_forms_criteria(support):
    other = factories.queue("Other", group_=support.group)
    a = factories.ticket(support.queue, title="Printer jam")
    b = factories.ticket(other, title="Mail down")
    actions.set_state(b, factories.state("closed successful"), actor=factories.system())
    api = ApiClient(token_for(support.ro))
    ids = lambda **q: [r["id"] for r in api.get("/api/v1/tickets/", q).json()["results"]]  # noqa: E731
    assert ids(queue=other.pk) == [b.pk]
    assert ids(state_type="open") == [a.pk]
    assert ids(title="printer") == [a.pk]
    assert ids(number=a.number[:6] + "*", sort="number", order="asc") == [a.pk, b.pk]
    bad = api.get("/api/v1/tickets/", {"created_from": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "created_from"
    only = api.get("/api/v1/tickets/", {"fields": "id,number"}).json()["results"][0]
    assert set(only) == {"id", "number"}


def test_paging_has_totals_and_a_cursor_walks_everything(support):
    made = {factories.ticket(support.queue).pk for _ in range(7)}
    api = ApiClient(token_for(support.ro))
    first = api.get("/api/v1/tickets/", {"page_size": 3}).json()
    assert first["count"] == 7 and first["count_exact"] and first["previous"] is None
    last = api.get("/api/v1/tickets/", {"page_size": 3, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen, url = [], "/api/v1/tickets/?paging=cursor&page_size=3"
    while url:
        page = api.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert seen == sorted(made, reverse=True)


def test_changes_go_through_the_actions_and_if_match_guards_them(support):
    ticket = factories.ticket(support.queue)
    api = ApiClient(token_for(support.rw))
    etag = api.get(f"/api/v1/tickets/{ticket.pk}/")["ETag"]
    # Someone else changes the ticket after the client read it.
    actions.set_priority(ticket, factories.priority(4), actor=factories.system())
    before = factories.snapshot()
    stale = api.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"title": "Mine"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "edit_conflict" and stale.json()["version"]
    assert factories.snapshot() == before
    fresh = api.get(f"/api/v1/tickets/{ticket.pk}/")["ETag"]
    done = api.patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"title": "Mine", "priority": factories.priority(5).pk, "lock": "lock"},
        headers={"If-Match": fresh},
    )
    assert done.status_code == 200, done.json()
    assert done["ETag"] != fresh and done.json()["lock"] == "lock"
    kinds = set(
        TicketHistory.objects.filter(ticket=ticket, actor=support.rw).values_list(
            "history_type", flat=True
        )
    )
    assert {HistoryType.TITLE_UPDATE, HistoryType.PRIORITY_UPDATE, HistoryType.LOCK} <= kinds
    pending = api.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"state": factories.state("pending reminder").pk}
    )
    assert pending.status_code == 409
    assert pending.json()["errors"][0]["field"] == "pending_until"
    refused = ApiClient(token_for(support.ro)).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"title": "x"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_create_merge_unmerge_and_link(support):
    api = ApiClient(token_for(support.rw))
    created = api.post(
        "/api/v1/tickets/",
        {"title": "From API", "queue": support.queue.pk, "article": {"body": "Text"}},
    )
    assert created.status_code == 201, created.json()
    source = Ticket.objects.get(pk=created.json()["id"])
    target = factories.ticket(support.queue)
    linked = api.post(f"/api/v1/tickets/{source.pk}/links/", {"target": target.pk})
    assert linked.status_code == 201
    assert TicketLink.objects.filter(source=source, target=target).exists()
    merged = api.post(f"/api/v1/tickets/{source.pk}/merge/", {"target": target.pk})
    assert merged.status_code == 200 and merged.json()["id"] == target.pk
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    again = api.post(f"/api/v1/tickets/{source.pk}/merge/", {"target": target.pk})
    assert again.status_code == 409 and again.json()["code"] == "merge_source_merged"
    assert api.post(f"/api/v1/tickets/{source.pk}/unmerge/").status_code == 200
    source.refresh_from_db()
    assert source.merged_into_id is None
    hidden = api.post(f"/api/v1/tickets/{source.pk}/merge/", {"target": 10**9})
    assert hidden.status_code == 404


def test_articles_with_attachments_and_what_customers_see(support, settings):
    settings.API_CUSTOMER_ACCESS = True
    queue = ticket_data.portal_queue()
    factories.grant(support.rw, queue.group, PermissionKey.RW)
    customer = ticket_data.customer("api-c1")
    ticket = ticket_data.ticket(queue, customer_user="api-c1")
    ticket_data.article(ticket, visible=False, body="Internal only")
    agent = ApiClient(token_for(support.rw))
    content = b"\x00binary\xff"
    added = agent.post(
        f"/api/v1/tickets/{ticket.pk}/articles/",
        {
            "body": "See file",
            "channel": "phone",
            "is_visible_for_customer": True,
            "attachments": [
                {"filename": "a.bin", "content_base64": base64.b64encode(content).decode()}
            ],
        },
    )
    assert added.status_code == 201, added.json()
    download = added.json()["attachments"][0]["download"]
    body = agent.get(download)
    assert body.status_code == 200 and b"".join(body.streaming_content) == content
    broken = agent.post(
        f"/api/v1/tickets/{ticket.pk}/articles/",
        {"body": "x", "attachments": [{"filename": "a", "content_base64": "***"}]},
    )
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["field"] == "attachments.0"
    assert len(agent.get(f"/api/v1/tickets/{ticket.pk}/articles/").json()["results"]) == 3
    cust = ApiClient(token_for(customer))
    bodies = [
        a["body"] for a in cust.get(f"/api/v1/tickets/{ticket.pk}/articles/").json()["results"]
    ]
    assert "Internal only" not in bodies and "See file" in bodies
    assert cust.get(download).status_code == 200
    assert cust.get(f"/api/v1/tickets/{ticket.pk}/history/").status_code == 404
    answer = cust.post(f"/api/v1/tickets/{ticket.pk}/articles/", {"body": "Thanks"})
    assert answer.status_code == 201 and answer.json()["sender_type"] == "customer"
    stranger = ApiClient(token_for(ticket_data.customer("api-c2")))
    assert stranger.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert stranger.get(download).status_code == 404
    assert stranger.get("/api/v1/tickets/").json()["count"] == 0
    assert stranger.get("/api/v1/queues/").status_code == 403


def test_bulk_answers_per_item(support):
    mine = factories.ticket(support.queue)
    hidden = factories.ticket(factories.queue())
    api = ApiClient(token_for(support.rw))
    result = api.post(
        "/api/v1/tickets/bulk/",
        {
            "items": [
                {"id": mine.pk, "priority": factories.priority(1).pk},
                {"id": hidden.pk, "priority": factories.priority(1).pk},
                {"id": mine.pk, "state": factories.state("pending reminder").pk},
            ]
        },
    )
    assert result.status_code == 207
    statuses = [(r["index"], r["status"]) for r in result.json()["results"]]
    assert statuses == [(0, 200), (1, 404), (2, 409)]
    mine.refresh_from_db()
    assert mine.priority.level == 1
    notes = api.post(
        "/api/v1/articles/bulk/",
        {"items": [{"ticket": mine.pk, "body": "one"}, {"ticket": hidden.pk, "body": "two"}]},
    )
    assert [r["status"] for r in notes.json()["results"]] == [200, 404]
    assert mine.articles.filter(body="one").exists()

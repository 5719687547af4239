"""Ticket action screens, second half: link/unlink, merge/unmerge, customer, the composer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import CustomerCompany, CustomerUser
from otrs.errors import DomainError, ErrorCode
from tests import factories
from tickets import actions
from tickets.choices import Channel, HistoryType, LinkType, LockState, SenderType, StateType
from tickets.models import Ticket, TicketHistory, TicketLink
from tickets.subjects import build_ticket_subject, clean_ticket_subject

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
FILE_XSS = "<img src=x onerror=alert(1)>.txt"  # no "/": the action keeps only a base name
MISSING = 999_999


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def rw(support):
    return factories.refetch(support.rw)


@pytest.fixture
def ticket(support):
    return factories.ticket(support.queue, title="Printer on fire")


@pytest.fixture
def other(support):
    return factories.ticket(support.queue, title="Second printer")


@pytest.fixture
def agent_client(client, rw):
    client.force_login(rw)
    return client


def url(name, *args):
    return reverse(f"agent:{name}", args=args)


def seen(ticket) -> str:
    return actions.ticket_version(Ticket.objects.get(pk=ticket.pk))


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def history(ticket, history_type) -> list[TicketHistory]:
    return list(
        TicketHistory.objects.filter(ticket_id=ticket.pk, history_type=history_type).order_by("id")
    )


def html(response) -> str:
    return response.content.decode()


def mail(ticket, *, from_address="Carol Customer <carol@example.com>", **fields):
    """A customer mail on ``ticket``."""
    data = {
        "channel": Channel.EMAIL,
        "sender_type": SenderType.CUSTOMER,
        "from_address": from_address,
        "to_address": "support@example.com",
        "subject": f"[Ticket#{ticket.number}] Printer on fire",
        "body": "Line one\nLine two",
        "is_visible_for_customer": True,
        **fields,
    }
    return actions.add_article(ticket, actions.ArticleInput(**data), actor=factories.system())


def other_queue_ticket(agent, key, *, title="Elsewhere"):
    """A ticket in a queue of another group where ``agent`` holds ``key`` (or nothing)."""
    grp = factories.group()
    if key:
        factories.grant(agent, grp, key)
    return factories.ticket(factories.queue(group_=grp), title=title)


GET_SCREENS = ["link", "merge", "unmerge", "customer"]
COMPOSERS = ["reply", "reply_all", "forward"]


def screen_url(name, ticket):
    if name in COMPOSERS:
        return url(name, ticket.pk, ticket.articles.first().pk)
    return url(name, ticket.pk)


# --- the gate, for every screen ----------------------------------------------------------------


@pytest.mark.parametrize("name", GET_SCREENS + COMPOSERS)
def test_it_shows_each_screen_to_an_agent_with_rw(agent_client, ticket, name):
    response = agent_client.get(screen_url(name, ticket))
    assert response.status_code == 200
    assert 'name="seen"' in html(response)


@pytest.mark.parametrize("name", [*GET_SCREENS, *COMPOSERS, "unlink"])
def test_it_refuses_read_only_agents_like_a_missing_ticket(client, support, ticket, name):
    client.force_login(support.ro)
    refused = client.post(screen_url(name, ticket), {"seen": seen(ticket)})
    missing_url = screen_url(name, ticket).replace(f"/{ticket.pk}/", f"/{MISSING}/", 1)
    missing = client.post(missing_url, {"seen": seen(ticket)})
    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content
    if name != "unlink":
        assert client.get(screen_url(name, ticket)).status_code == 404


@pytest.mark.parametrize("name", [*GET_SCREENS, *COMPOSERS, "unlink"])
def test_it_sends_anonymous_visitors_to_the_sign_in(client, ticket, name):
    response = client.get(screen_url(name, ticket))
    assert response.status_code == 302
    assert response.url.startswith("/agent/login/?next=")


@pytest.mark.parametrize("name", [*GET_SCREENS, *COMPOSERS, "unlink", "customer_autocomplete"])
def test_it_refuses_customers(client, ticket, name):
    client.force_login(factories.customer())
    target = url(name) if name == "customer_autocomplete" else screen_url(name, ticket)
    response = client.get(target)
    assert response.status_code == 403
    assert "Agents only" in html(response)


@pytest.mark.parametrize("name", [*GET_SCREENS, *COMPOSERS, "unlink"])
def test_it_enforces_csrf(rw, ticket, other, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rw)
    data = {"seen": seen(ticket), "number": other.number, "other": other.pk}
    assert client.post(screen_url(name, ticket), data).status_code == 403


def test_it_accepts_a_post_with_the_csrf_token(rw, ticket, other):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rw)
    page = client.get(url("link", ticket.pk))
    token = page.context["csrf_token"]
    data = {"seen": seen(ticket), "number": other.number, "link_type": "normal"}
    response = client.post(url("link", ticket.pk), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# --- link and unlink ---------------------------------------------------------------------------


def test_it_links_by_number_with_history_on_both(agent_client, ticket, other, rw):
    response = agent_client.post(
        url("link", ticket.pk),
        {"seen": seen(ticket), "number": other.number, "link_type": "normal"},
    )
    assert response.status_code == 302
    assert response.url == url("zoom", ticket.pk)
    assert TicketLink.objects.filter(source=ticket, target=other, link_type="normal").exists()
    (mine,) = history(ticket, HistoryType.TICKET_LINK_ADD)
    (theirs,) = history(other, HistoryType.TICKET_LINK_ADD)
    assert (mine.new_value, mine.extra["number"], mine.actor_id) == (
        str(other.pk),
        other.number,
        rw.pk,
    )
    assert (theirs.new_value, theirs.extra["link_type"]) == (str(ticket.pk), LinkType.NORMAL)


@pytest.mark.parametrize(("choice", "parent_is_this"), [("parent", True), ("child", False)])
def test_it_links_parent_and_child_in_the_right_direction(
    agent_client, ticket, other, choice, parent_is_this
):
    agent_client.post(
        url("link", ticket.pk), {"seen": seen(ticket), "number": other.number, "link_type": choice}
    )
    link = TicketLink.objects.get()
    assert link.link_type == LinkType.PARENT_CHILD
    parent, child = (ticket, other) if parent_is_this else (other, ticket)
    assert (link.source_id, link.target_id) == (parent.pk, child.pk)


def test_it_links_to_a_ticket_the_agent_may_only_read(agent_client, ticket, rw):
    readable = other_queue_ticket(rw, factories.RO)
    response = agent_client.post(
        url("link", ticket.pk),
        {"seen": seen(ticket), "number": f"Ticket#{readable.number}", "link_type": "normal"},
    )
    assert response.status_code == 302
    assert TicketLink.objects.filter(source=ticket, target=readable).exists()


def test_it_writes_nothing_when_the_link_target_is_refused(agent_client, ticket, rw):
    hidden = other_queue_ticket(rw, None)
    before = factories.snapshot()
    for number in (hidden.number, "123456789", ticket.number):
        response = agent_client.post(
            url("link", ticket.pk), {"seen": seen(ticket), "number": number, "link_type": "normal"}
        )
        assert response.status_code == 400
    assert factories.snapshot() == before


def test_it_says_the_same_for_an_unknown_and_a_hidden_link_target(agent_client, ticket, rw):
    hidden = other_queue_ticket(rw, None)
    answers = []
    for number in (hidden.number, "123456789"):
        response = agent_client.post(
            url("link", ticket.pk), {"seen": seen(ticket), "number": number, "link_type": "normal"}
        )
        answers.append(response.context["form"].errors["number"])
    assert answers[0] == answers[1] == ["No ticket with that number that you may link to."]


def test_it_refuses_linking_a_ticket_to_itself(agent_client, ticket):
    response = agent_client.post(
        url("link", ticket.pk),
        {"seen": seen(ticket), "number": ticket.number, "link_type": "normal"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == ["A ticket cannot be linked to itself."]


def test_it_shows_a_link_refusal_of_the_action_on_the_form(agent_client, ticket, other, rw):
    actions.link_tickets(other, ticket, LinkType.PARENT_CHILD, actor=rw)
    before = factories.snapshot()
    response = agent_client.post(
        url("link", ticket.pk),
        {"seen": seen(ticket), "number": other.number, "link_type": "normal"},
    )
    assert response.status_code == 400
    assert "already linked in another way" in html(response)
    assert factories.snapshot() == before


def test_it_unlinks_with_history_on_both(agent_client, ticket, other, rw):
    actions.link_tickets(other, ticket, actor=rw)
    response = agent_client.post(
        url("unlink", ticket.pk), {"seen": seen(ticket), "other": other.pk}
    )
    assert response.status_code == 302
    assert not TicketLink.objects.exists()
    (mine,) = history(ticket, HistoryType.TICKET_LINK_DELETE)
    (theirs,) = history(other, HistoryType.TICKET_LINK_DELETE)
    assert (mine.old_value, theirs.old_value) == (str(other.pk), str(ticket.pk))


def test_it_unlinks_by_post_only(agent_client, ticket, other):
    assert agent_client.get(url("unlink", ticket.pk)).status_code == 405


def test_it_refuses_to_unlink_tickets_that_are_not_linked(agent_client, ticket, other, rw):
    hidden = other_queue_ticket(rw, None)
    for pk in (other.pk, hidden.pk, MISSING):
        response = agent_client.post(url("unlink", ticket.pk), {"seen": seen(ticket), "other": pk})
        assert response.status_code == 400
        assert "This ticket is not linked to that one." in html(response)


def test_it_shows_an_unlink_conflict_instead_of_acting(agent_client, ticket, other, rw):
    actions.link_tickets(ticket, other, actor=rw)
    stale = seen(ticket)
    actions.set_title(ticket, "Renamed by someone else", actor=factories.system())
    response = agent_client.post(url("unlink", ticket.pk), {"seen": stale, "other": other.pk})
    assert response.status_code == 409
    assert "Renamed by someone else" in html(response)
    assert TicketLink.objects.exists()
    # The page carries the new version: submitting again goes through.
    again = agent_client.post(url("unlink", ticket.pk), {"seen": seen(ticket), "other": other.pk})
    assert again.status_code == 302


# --- merge -------------------------------------------------------------------------------------


def merge_post(client, ticket, number, *, confirm=False, version=None):
    data = {"seen": version or seen(ticket), "number": number}
    if confirm:
        data["confirm"] = "1"
    return client.post(url("merge", ticket.pk), data)


def test_it_previews_a_merge_without_writing(agent_client, support, ticket, other, rw):
    factories.note(ticket, actor=rw)
    watcher = factories.agent("watcher")
    factories.grant(watcher, support.group, factories.RO)
    actions.watch_ticket(ticket, actor=rw, user=watcher)
    linked = factories.ticket(support.queue, title="Linked one")
    actions.link_tickets(ticket, linked, actor=rw)
    elsewhere = other_queue_ticket(rw, factories.RO, title="Elsewhere")
    actions.link_tickets(ticket, elsewhere, actor=factories.system())
    before = factories.snapshot()

    response = merge_post(agent_client, ticket, other.number)

    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.target, preview.articles) == (other, 2)
    assert [(w.username, already) for w, already in preview.watchers] == [("watcher", False)]
    assert [(f.other.title, f.dropped) for f in preview.links] == [
        ("Linked one", False),
        ("Elsewhere", False),
    ]
    assert preview.merged_state.state_type == StateType.MERGED
    page = html(response)
    assert 'name="confirm" value="1"' in page
    assert "Second printer" in page and "Linked one" in page and "watcher" in page
    assert factories.snapshot() == before


def test_it_previews_links_the_merge_drops(agent_client, ticket, other, rw):
    shared = factories.ticket(ticket.queue, title="Shared")
    actions.link_tickets(ticket, shared, actor=rw)
    actions.link_tickets(other, shared, actor=rw)
    actions.link_tickets(ticket, other, actor=rw)
    response = merge_post(agent_client, ticket, other.number)
    assert [f.dropped for f in response.context["preview"].links] == [True, True]


def test_it_hides_what_the_agent_may_not_read_in_the_preview(agent_client, ticket, other, rw):
    hidden = other_queue_ticket(rw, None, title="Secret plans")
    actions.link_tickets(ticket, hidden, actor=factories.system())
    response = merge_post(agent_client, ticket, other.number)
    assert [f.other for f in response.context["preview"].links] == [None]
    assert "Secret plans" not in html(response)
    assert "a ticket you cannot read" in html(response)


def test_it_merges_on_confirmation_with_history_on_both(agent_client, ticket, other, rw):
    response = merge_post(agent_client, ticket, other.number, confirm=True)
    assert response.status_code == 302
    assert response.url == url("zoom", ticket.pk)
    merged = fresh(ticket)
    assert (merged.merged_into_id, merged.state.state_type) == (other.pk, StateType.MERGED)
    assert merged.lock == LockState.UNLOCK
    for side in (ticket, other):
        (row,) = history(side, HistoryType.MERGED)
        assert (row.old_value, row.new_value, row.actor_id) == (
            str(ticket.pk),
            str(other.pk),
            rw.pk,
        )


def test_it_locks_the_ticket_to_the_agent_before_merging(agent_client, ticket, other, rw):
    merge_post(agent_client, ticket, other.number, confirm=True)
    (lock,) = history(ticket, HistoryType.LOCK)
    (merged,) = history(ticket, HistoryType.MERGED)
    assert lock.actor_id == rw.pk and lock.pk < merged.pk
    assert fresh(ticket).owner_id == rw.pk


def test_it_takes_no_lock_when_the_merge_action_refuses(ticket, other, rw):
    """RequiredLock is the merge action's own step: a refused merge locks nothing."""
    actions.set_state(other, factories.state("removed"), actor=rw)
    before = factories.snapshot()

    with pytest.raises(DomainError) as refused:
        actions.merge_tickets(ticket, other, actor=rw, lock_if_unlocked=True)

    assert refused.value.code == ErrorCode.MERGE_TARGET_MERGED
    assert fresh(ticket).lock == LockState.UNLOCK
    assert factories.snapshot() == before


def test_it_locks_the_source_to_the_merging_agent(agent_client, ticket, other, rw):
    assert fresh(ticket).lock == LockState.UNLOCK
    response = merge_post(agent_client, ticket, other.number, confirm=True)
    assert response.status_code == 302
    merged = fresh(ticket)
    assert merged.merged_into_id == other.pk
    assert merged.owner == rw
    lock_rows = TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.LOCK)
    assert lock_rows.filter(actor=rw).exists()


def test_it_refuses_merging_into_itself(agent_client, ticket):
    before = factories.snapshot()
    response = merge_post(agent_client, ticket, ticket.number, confirm=True)
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == ["A ticket cannot be merged into itself."]
    assert factories.snapshot() == before


def test_it_follows_a_merged_number_to_its_main_ticket(agent_client, ticket, other, rw):
    third = factories.ticket(ticket.queue, title="Third")
    actions.merge_tickets(third, other, actor=rw)
    response = merge_post(agent_client, ticket, third.number)
    assert response.context["preview"].target == other
    # ... and a number merged into this very ticket is this ticket.
    actions.merge_tickets(fresh(other), fresh(ticket), actor=rw)
    response = merge_post(agent_client, ticket, third.number, confirm=True)
    assert response.status_code == 400
    assert "cannot be merged into itself" in html(response)


def test_it_refuses_merging_into_a_removed_ticket(agent_client, ticket, other, rw):
    actions.set_state(other, factories.state("removed"), actor=rw)
    before = factories.snapshot()
    response = merge_post(agent_client, ticket, other.number, confirm=True)
    assert response.status_code == 400
    assert "nothing can be merged into it" in html(response)
    assert factories.snapshot() == before


def test_it_refuses_merging_a_merged_ticket(agent_client, ticket, other, rw):
    third = factories.ticket(ticket.queue)
    actions.merge_tickets(ticket, other, actor=rw)
    before = factories.snapshot()
    response = merge_post(agent_client, ticket, third.number, confirm=True)
    assert response.status_code == 400
    assert f"Ticket {ticket.number} is already merged." in html(response)
    assert factories.snapshot() == before


def test_it_gives_one_answer_for_unknown_and_forbidden_merge_targets(agent_client, ticket, rw):
    readable_only = other_queue_ticket(rw, factories.RO)
    hidden = other_queue_ticket(rw, None)
    before = factories.snapshot()
    for number in (readable_only.number, hidden.number, "999999999999"):
        response = merge_post(agent_client, ticket, number, confirm=True)
        assert response.status_code == 400
        assert response.context["form"].errors["number"] == [
            "No ticket with that number that you may merge into."
        ]
    assert factories.snapshot() == before


def test_it_shows_a_merge_conflict_instead_of_merging(agent_client, ticket, other):
    stale = seen(ticket)
    actions.set_title(ticket, "Changed meanwhile", actor=factories.system())
    response = merge_post(agent_client, ticket, other.number, confirm=True, version=stale)
    assert response.status_code == 409
    assert "Changed meanwhile" in html(response)
    assert fresh(ticket).merged_into_id is None
    assert response.context["preview"].target == other


def test_it_escapes_titles_in_the_merge_preview(agent_client, support, ticket, rw):
    evil = factories.ticket(support.queue, title=XSS)
    actions.link_tickets(ticket, factories.ticket(support.queue, title=XSS), actor=rw)
    page = html(merge_post(agent_client, ticket, evil.number))
    assert XSS not in page
    assert page.count(ESCAPED) >= 2


def test_it_escapes_the_ticket_title_on_every_screen(agent_client, support):
    evil = factories.ticket(support.queue, title=XSS)
    for name in GET_SCREENS + COMPOSERS:
        page = html(agent_client.get(screen_url(name, evil)))
        assert XSS not in page, name
        assert ESCAPED in page, name


def test_it_previews_a_merge_in_constant_queries(
    agent_client, support, ticket, other, rw, django_assert_max_num_queries
):
    for index in range(5):
        factories.note(ticket, actor=rw)
        actions.link_tickets(ticket, factories.ticket(support.queue, title=f"L{index}"), actor=rw)
        watcher = factories.agent()
        factories.grant(watcher, support.group, factories.RO)
        actions.watch_ticket(ticket, actor=rw, user=watcher)
    with django_assert_max_num_queries(18):
        response = merge_post(agent_client, ticket, other.number)
    assert response.context["preview"].articles == 6


# --- unmerge -----------------------------------------------------------------------------------


@pytest.fixture
def merged(ticket, other, rw, support):
    watcher = factories.agent("watcher")
    factories.grant(watcher, support.group, factories.RO)
    actions.watch_ticket(ticket, actor=rw, user=watcher)
    actions.set_state(ticket, factories.state("open"), actor=rw)
    actions.merge_tickets(ticket, other, actor=rw)
    return fresh(ticket)


def test_it_shows_what_an_unmerge_brings_back(agent_client, merged, other):
    response = agent_client.get(url("unmerge", merged.pk))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.record.target, preview.articles) == (other, 1)
    assert [w.username for w in preview.watchers] == ["watcher"]
    assert preview.record.previous_state.name == "open"
    page = html(response)
    assert "Second printer" in page and "watcher" in page


def test_it_unmerges_with_history_on_both(agent_client, merged, other, rw):
    response = agent_client.post(url("unmerge", merged.pk), {"seen": seen(merged)})
    assert response.status_code == 302
    back = fresh(merged)
    assert back.merged_into_id is None and back.state.name == "open"
    assert back.articles.count() == 2  # the original article and the merge note
    for side in (merged, other):
        (row,) = history(side, HistoryType.UNMERGED)
        assert (row.old_value, row.new_value, row.actor_id) == (
            str(other.pk),
            str(merged.pk),
            rw.pk,
        )


def test_it_merges_and_unmerges_through_the_screens(agent_client, ticket, other, rw):
    factories.note(ticket, actor=rw, body="Keep me")
    own_articles = set(ticket.articles.values_list("pk", flat=True))
    assert merge_post(agent_client, ticket, other.number, confirm=True).status_code == 302
    assert not set(fresh(ticket).articles.values_list("pk", flat=True)) & own_articles

    assert agent_client.get(url("unmerge", ticket.pk)).context["preview"].articles == 2
    response = agent_client.post(url("unmerge", ticket.pk), {"seen": seen(ticket)})
    assert response.status_code == 302
    assert own_articles <= set(fresh(ticket).articles.values_list("pk", flat=True))
    assert fresh(ticket).state.state_type != StateType.MERGED
    assert TicketLink.objects.filter(link_type=LinkType.PARENT_CHILD).count() == 0


def test_it_says_when_a_ticket_is_not_merged(agent_client, ticket):
    page = agent_client.get(url("unmerge", ticket.pk))
    assert page.context["preview"] is None
    assert "This ticket is not merged." in html(page)
    before = factories.snapshot()
    response = agent_client.post(url("unmerge", ticket.pk), {"seen": seen(ticket)})
    assert response.status_code == 400
    assert f"Ticket {ticket.number} is not merged." in html(response)
    assert factories.snapshot() == before


def test_it_refuses_an_unmerge_without_rw_on_the_target(client, support, ticket, rw):
    target = other_queue_ticket(rw, factories.RW, title="Target elsewhere")
    actions.merge_tickets(ticket, target, actor=factories.refetch(rw))
    half = factories.agent("half")
    factories.grant(half, support.group, factories.RW)
    client.force_login(half)
    page = client.get(url("unmerge", ticket.pk))
    assert page.status_code == 200
    assert page.context["preview"].target_readable is False
    assert "Target elsewhere" not in html(page)
    before = factories.snapshot()
    response = client.post(url("unmerge", ticket.pk), {"seen": seen(ticket)})
    assert response.status_code == 400
    assert f"permission on ticket {target.number}" in html(response)
    assert factories.snapshot() == before


# --- customer ----------------------------------------------------------------------------------


@pytest.fixture
def carol(db):
    company = CustomerCompany.objects.create(customer_id="ACME", name="Acme Inc.")
    user = factories.customer("carol")
    user.first_name, user.last_name = "Carol", "Jones"
    user.save()
    return CustomerUser.objects.create(user=user, email="carol@acme.example", company=company)


def customer_post(client, ticket, customer_user, customer_id=""):
    return client.post(
        url("customer", ticket.pk),
        {"seen": seen(ticket), "customer_user": customer_user, "customer_id": customer_id},
    )


def test_it_changes_the_customer_with_raw_history(agent_client, ticket, carol, rw):
    actions.set_customer(ticket, customer_id="OLD", customer_user="old@example.com", actor=rw)
    response = customer_post(agent_client, ticket, "carol")
    assert response.status_code == 302
    assert (fresh(ticket).customer_user, fresh(ticket).customer_id) == ("carol", "ACME")
    row = history(ticket, HistoryType.CUSTOMER_UPDATE)[-1]
    assert (row.old_value, row.new_value) == ("old@example.com", "carol")
    assert row.extra == {"old_customer_id": "OLD", "new_customer_id": "ACME"}


def test_it_finds_the_customer_user_by_email(agent_client, ticket, carol):
    customer_post(agent_client, ticket, "CAROL@acme.example")
    assert (fresh(ticket).customer_user, fresh(ticket).customer_id) == ("carol", "ACME")


def test_it_keeps_a_typed_customer_id_and_unknown_customers(agent_client, ticket, carol):
    customer_post(agent_client, ticket, "carol", "OTHER")
    assert fresh(ticket).customer_id == "OTHER"
    customer_post(agent_client, ticket, "stranger@example.com")
    assert (fresh(ticket).customer_user, fresh(ticket).customer_id) == ("stranger@example.com", "")


def test_it_needs_a_customer_user(agent_client, ticket):
    before = factories.snapshot()
    assert customer_post(agent_client, ticket, " ").status_code == 400
    assert factories.snapshot() == before


def test_it_lists_customer_matches_without_javascript(agent_client, ticket, carol):
    carol.user.first_name = XSS
    carol.user.save()
    page = agent_client.get(url("customer", ticket.pk), {"q": "acme"})
    body = html(page)
    assert page.status_code == 200
    assert XSS not in body and ESCAPED in body
    assert "customer_user=carol&amp;customer_id=ACME" in body
    picked = agent_client.get(
        url("customer", ticket.pk), {"customer_user": "carol", "customer_id": "ACME"}
    )
    assert picked.context["form"]["customer_user"].value() == "carol"
    assert f'data-autocomplete="{url("customer_autocomplete")}?q="' in html(picked)


def test_it_autocompletes_customer_users_for_agents(agent_client, carol):
    carol.user.first_name = XSS
    carol.user.save()
    response = agent_client.get(url("customer_autocomplete"), {"q": "car"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert b"<" not in response.content and b">" not in response.content
    assert json.loads(response.content) == {
        "results": [{"value": "carol", "label": f"{XSS} Jones <carol@acme.example> (Acme Inc.)"}]
    }


def test_it_autocompletes_at_most_twenty(agent_client, db):
    for index in range(25):
        user = factories.customer(f"bulk{index:02d}")
        CustomerUser.objects.create(user=user, email=f"bulk{index}@example.com")
    results = json.loads(agent_client.get(url("customer_autocomplete"), {"q": "bulk"}).content)
    assert len(results["results"]) == 20
    assert json.loads(agent_client.get(url("customer_autocomplete"), {"q": "b"}).content) == {
        "results": []
    }


def test_it_sends_anonymous_autocomplete_requests_to_the_sign_in(client, db):
    response = client.get(url("customer_autocomplete"), {"q": "car"})
    assert response.status_code == 302
    assert response.url.startswith("/agent/login/")


# --- the email composer ------------------------------------------------------------------------


def test_it_cleans_and_builds_subjects_like_otrs():
    assert clean_ticket_subject("Re: Re[2]: Fwd: [Ticket#123] Hello", "123") == "Hello"
    assert clean_ticket_subject("RE: Ticket#: 123 Hello", "123") == "Hello"
    assert clean_ticket_subject("Re: [Ticket#999] Hello", "123") == "[Ticket#999] Hello"
    assert clean_ticket_subject("x" * 120, "1") == "x" * 100 + " [...]"
    assert build_ticket_subject("Re", "Re: [Ticket#123] Hello", "123") == "Re: [Ticket#123] Hello"
    assert build_ticket_subject("Fwd", "", "123") == "Fwd: [Ticket#123]"


def test_it_prefills_a_reply(agent_client, ticket, rw):
    rw.time_zone, rw.language = "Europe/Berlin", "en"
    rw.save()
    article = mail(
        ticket,
        subject=f"Re: [Ticket#{ticket.number}] Re: Printer on fire",
        created_at=datetime(2024, 1, 15, 12, 0, tzinfo=UTC),
    )
    response = agent_client.get(url("reply", ticket.pk, article.pk))
    form = response.context["form"]
    assert form["to"].value() == "Carol Customer <carol@example.com>"
    assert form["cc"].value() == ""
    assert form["subject"].value() == f"Re: [Ticket#{ticket.number}] Printer on fire"
    body = form["body"].value()
    # The agent's time zone: 12:00 UTC is 13:00 in Berlin. (Salutation, template and
    # signature: tests/tickets/views/test_compose.py.)
    assert body == "On 15 Jan 2024, 13:00, Carol Customer wrote:\n> Line one\n> Line two\n"
    # The queue has no system address: the configured sender.
    assert "Help desk &lt;helpdesk@localhost&gt;" in html(response)


def test_it_replies_to_the_reply_to_address(agent_client, ticket):
    article = mail(ticket, reply_to="list@example.com")
    form = agent_client.get(url("reply", ticket.pk, article.pk)).context["form"]
    assert form["to"].value() == "list@example.com"


def test_it_fills_cc_of_a_reply_to_all(agent_client, ticket, rw):
    rw.email = "rw@example.com"
    rw.save()
    article = mail(
        ticket,
        to_address="Support <support@example.com>, RW <RW@example.com>",
        cc_address="dave@example.com, carol@example.com, Erin <erin@example.com>",
    )
    form = agent_client.get(url("reply_all", ticket.pk, article.pk)).context["form"]
    assert form["to"].value() == "Carol Customer <carol@example.com>"
    assert form["cc"].value() == (
        "Support <support@example.com>, dave@example.com, Erin <erin@example.com>"
    )


def test_it_prefills_a_forward_with_the_attachments(agent_client, ticket, settings):
    settings.ATTACHMENT_STORAGE = "db"
    article = mail(
        ticket,
        attachments=[actions.AttachmentInput(filename=FILE_XSS, content=b"x")],
    )
    response = agent_client.get(url("forward", ticket.pk, article.pk))
    form = response.context["form"]
    assert form["to"].value() == ""
    assert form["subject"].value() == f"Fwd: [Ticket#{ticket.number}] Printer on fire"
    assert list(form.fields["forward_attachments"].queryset) == list(article.attachments.all())
    page = html(response)
    assert FILE_XSS not in page and "&lt;img src=x onerror=alert(1)&gt;.txt" in page


def test_it_escapes_the_quoted_original(agent_client, ticket):
    article = mail(ticket, body=XSS, from_address=f'"{XSS}" <x@example.com>')
    page = html(agent_client.get(url("reply", ticket.pk, article.pk)))
    assert XSS not in page
    assert f"&gt; {ESCAPED}" in page


def test_it_sends_the_answer_and_sets_the_state(agent_client, ticket, rw):
    """The whole flow is in tests/tickets/views/test_compose.py; this is the short form."""
    article = mail(ticket)
    response = agent_client.post(
        url("reply", ticket.pk, article.pk),
        {
            "seen": seen(ticket),
            "to": "carol@example.com",
            "subject": "Re: hello",
            "body": "Thanks!",
            "next_state": factories.state("closed successful").pk,
        },
    )
    assert response.status_code == 302
    sent = fresh(ticket).articles.get(sender_type=SenderType.AGENT)
    assert (sent.channel, sent.to_address, sent.body) == (
        Channel.EMAIL,
        "carol@example.com",
        "Thanks!",
    )
    assert fresh(ticket).state.name == "closed successful"
    assert history(ticket, HistoryType.SEND_ANSWER)


def test_it_checks_the_composer_fields(agent_client, ticket):
    article = mail(ticket)
    response = agent_client.post(
        url("reply", ticket.pk, article.pk),
        {
            "seen": seen(ticket),
            "to": "carol@example.com, not an address",
            "subject": "Re: hello",
            "body": "Thanks!",
            "next_state": factories.state("pending reminder").pk,
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["to"] == ["“not an address” is not a valid email address."]
    assert errors["pending_until"] == ["The state “pending reminder” needs a pending time."]


def test_it_refuses_an_article_of_another_ticket(agent_client, ticket, other):
    foreign = mail(other)
    assert agent_client.get(url("reply", ticket.pk, foreign.pk)).status_code == 404
    assert agent_client.get(url("forward", ticket.pk, MISSING)).status_code == 404


def test_it_keeps_articles_of_a_merged_ticket_with_the_target(agent_client, ticket, other, rw):
    article = mail(ticket)
    actions.merge_tickets(ticket, other, actor=rw)
    assert agent_client.get(url("reply", ticket.pk, article.pk)).status_code == 404
    assert agent_client.get(url("reply", other.pk, article.pk)).status_code == 200


def test_it_links_this_ticket_as_child_of_a_ticket_it_may_only_read(client, db):
    group = factories.group()
    mine = factories.queue(group_=group)
    theirs = factories.queue()
    agent = factories.agent()
    factories.grant(agent, group, "rw")
    factories.grant(agent, theirs.group, "ro")
    child = factories.ticket(mine)
    parent = factories.ticket(theirs)
    client.force_login(agent)

    response = client.post(
        f"/agent/tickets/{child.pk}/link/",
        {"number": parent.number, "link_type": "child", "seen": actions.ticket_version(child)},
    )

    assert response.status_code == 302, response.content.decode()[:500]
    link = TicketLink.objects.get()
    assert (link.source_id, link.target_id, link.link_type) == (parent.pk, child.pk, "parent_child")

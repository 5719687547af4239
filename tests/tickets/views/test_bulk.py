"""The bulk action on tickets selected in a list."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from otrs.permissions import PermissionKey
from tests import factories
from tickets import actions
from tickets.choices import Channel, HistoryType, LockState
from tickets.models import Article, State, Ticket, TicketHistory

BULK = reverse("agent:bulk")
LIST = "/agent/queues/?queue=1&page=2"
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


@pytest.fixture
def world(support):
    """rw_agent: rw on Support, only ro on Reading, nothing on Secret."""
    reading = factories.group("reading")
    support.reading = factories.queue("Reading", group_=reading)
    factories.grant(support.rw, reading, PermissionKey.RO)
    support.secret = factories.queue("Secret", group_=factories.group("secret"))
    support.a = factories.ticket(support.queue, title="First")
    support.b = factories.ticket(support.queue, title="Second")
    support.readonly = factories.ticket(support.reading, title="Look only")
    support.hidden = factories.ticket(support.secret, title="Top secret title")
    return support


def _signed_in(client, user):
    client.force_login(user)
    return client


def _apply(*tickets, next=LIST, **changes):
    return {"step": "apply", "next": next, "ticket": [t.pk for t in tickets], **changes}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _row(ticket: Ticket) -> dict:
    return Ticket.objects.filter(pk=ticket.pk).values().get()


def test_it_shows_the_selected_tickets_the_agent_may_see(client, world):
    data = {"ticket": [world.a.pk, world.b.pk, world.readonly.pk, world.hidden.pk], "next": LIST}

    response = _signed_in(client, world.rw).post(BULK, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert [t.pk for t in response.context["tickets"]] == sorted(
        [world.a.pk, world.b.pk, world.readonly.pk],
        key=lambda pk: Ticket.objects.get(pk=pk).number,
    )
    for ticket in (world.a, world.b, world.readonly):
        assert ticket.number in page
    assert world.hidden.number not in page
    assert "Top secret title" not in page
    assert f'name="ticket" value="{world.hidden.pk}"' not in page
    assert f'value="{LIST}"'.replace("&", "&amp;") in page


def test_it_says_nothing_about_tickets_the_agent_may_not_see(client, world):
    response = _signed_in(client, world.rw).post(
        BULK, {"ticket": [world.hidden.pk, 999999, "junk"], "next": LIST}
    )

    assert response.status_code == 302
    assert response.url == LIST
    assert _messages(response) == ["Select at least one ticket for the bulk action."]


def test_it_changes_what_it_may_and_skips_the_rest_with_reasons(client, world):
    high = factories.priority(5)
    before_readonly = _row(world.readonly)
    before_history = TicketHistory.objects.filter(ticket=world.readonly).count()
    data = _apply(world.a, world.b, world.readonly, world.hidden, priority=high.pk)

    response = _signed_in(client, world.rw).post(BULK, data)

    assert response.status_code == 302
    assert response.url == LIST
    for ticket in (world.a, world.b):
        ticket.refresh_from_db()
        assert ticket.priority == high
        entry = TicketHistory.objects.get(ticket=ticket, history_type=HistoryType.PRIORITY_UPDATE)
        assert (entry.old_value, entry.new_value, entry.actor) == (
            str(factories.priority(3).pk),
            str(high.pk),
            world.rw,
        )
    assert _row(world.readonly) == before_readonly
    assert TicketHistory.objects.filter(ticket=world.readonly).count() == before_history
    assert _row(world.hidden)["priority_id"] == factories.priority(3).pk
    messages = _messages(response)
    assert messages[0] == "2 tickets changed; 1 skipped:"
    assert messages[1] == (
        f"{world.readonly.number}: You do not have the “change priority” permission "
        f"on ticket {world.readonly.number}."
    )
    assert len(messages) == 2
    assert all(world.hidden.number not in m for m in messages)


def test_it_undoes_all_changes_of_a_ticket_an_action_refuses(client, world):
    """Priority goes through, then the state change is refused (the ticket is merged): that
    ticket keeps its priority, and the other ticket keeps its changes."""
    merged = factories.ticket(world.queue, title="Merged away")
    actions.merge_tickets(merged, world.b, actor=factories.system())
    before = _row(merged)
    open_state = State.objects.get(name="open")

    response = _signed_in(client, world.rw).post(
        BULK, _apply(world.a, merged, priority=factories.priority(4).pk, state=open_state.pk)
    )

    assert response.status_code == 302
    world.a.refresh_from_db()
    assert (world.a.priority.level, world.a.state) == (4, open_state)
    assert _row(merged) == before
    assert not TicketHistory.objects.filter(
        ticket=merged, history_type=HistoryType.PRIORITY_UPDATE
    ).exists()
    messages = _messages(response)
    assert messages[0] == "1 ticket changed; 1 skipped:"
    assert messages[1].startswith(f"{merged.number}: Ticket {merged.number} is merged")


def test_it_applies_every_kind_of_change(client, world):
    pending = State.objects.get(name="pending reminder")
    other = factories.queue("Other", group_=world.group)
    data = _apply(
        world.a,
        state=pending.pk,
        pending_until="2031-05-01T08:00",
        queue=other.pk,
        owner=world.rw.pk,
        responsible=world.ro.pk,
        lock=LockState.LOCK,
        note_subject="Bulk",
        note_body="Done in bulk.",
        note_visible="on",
    )

    response = _signed_in(client, world.rw).post(BULK, data)

    assert response.status_code == 302
    assert _messages(response) == ["1 ticket changed."]
    ticket = Ticket.objects.get(pk=world.a.pk)
    assert (ticket.state, ticket.queue, ticket.owner, ticket.responsible, ticket.lock) == (
        pending,
        other,
        world.rw,
        world.ro,
        LockState.LOCK,
    )
    assert ticket.pending_until is not None
    note = Article.objects.filter(ticket=ticket, channel=Channel.INTERNAL).get()
    assert (note.subject, note.body, note.is_visible_for_customer) == (
        "Bulk",
        "Done in bulk.",
        True,
    )
    types = set(TicketHistory.objects.filter(ticket=ticket).values_list("history_type", flat=True))
    assert {"Move", "Lock", "OwnerUpdate", "ResponsibleUpdate", "StateUpdate", "AddNote"} <= types


def test_it_unlocks(client, world):
    actions.lock_ticket(world.a, actor=world.rw)

    response = _signed_in(client, world.rw).post(BULK, _apply(world.a, lock=LockState.UNLOCK))

    assert response.status_code == 302
    world.a.refresh_from_db()
    assert world.a.lock == LockState.UNLOCK


def test_it_adds_a_note_with_only_the_note_key(client, world):
    noter = factories.agent("noter")
    factories.grant(noter, world.group, PermissionKey.NOTE, PermissionKey.RO)

    response = _signed_in(client, noter).post(
        BULK, _apply(world.a, world.b, note_body="FYI", priority=factories.priority(1).pk)
    )
    assert _messages(response)[0] == "0 tickets changed; 2 skipped:"

    response = _signed_in(Client(), noter).post(BULK, _apply(world.a, world.b, note_body="FYI"))

    assert _messages(response) == ["2 tickets changed."]
    for ticket in (world.a, world.b):
        note = Article.objects.get(ticket=ticket, channel=Channel.INTERNAL)
        assert (note.body, note.is_visible_for_customer, note.subject) == ("FYI", False, "Note")
        assert TicketHistory.objects.filter(
            ticket=ticket, history_type=HistoryType.ADD_NOTE, article=note
        ).exists()


def test_it_merges_all_into_one_of_them(client, world):
    third = factories.ticket(world.queue, title="Third")

    response = _signed_in(client, world.rw).post(
        BULK, _apply(world.a, world.b, third, merge_into=world.a.pk)
    )

    assert response.status_code == 302
    assert _messages(response) == ["3 tickets changed."]
    for source in (world.b, third):
        source.refresh_from_db()
        assert source.merged_into_id == world.a.pk
        assert source.state.state_type == "merged"
        assert TicketHistory.objects.filter(
            ticket=world.a, history_type=HistoryType.MERGED, old_value=str(source.pk)
        ).exists()
    world.a.refresh_from_db()
    assert world.a.merged_into_id is None


def test_it_skips_merging_a_ticket_the_agent_may_not_change(client, world):
    before = _row(world.readonly)

    response = _signed_in(client, world.rw).post(
        BULK, _apply(world.a, world.b, world.readonly, merge_into=world.a.pk)
    )

    assert _messages(response)[0] == "2 tickets changed; 1 skipped:"
    assert _row(world.readonly) == before
    world.b.refresh_from_db()
    assert world.b.merged_into_id == world.a.pk


def test_it_refuses_a_merge_target_outside_the_selection(client, world):
    response = _signed_in(client, world.rw).post(
        BULK, _apply(world.a, world.b, merge_into=world.hidden.pk)
    )

    assert response.status_code == 400
    assert "merge_into" in response.context["form"].errors
    assert "Top secret title" not in response.content.decode()


def test_it_needs_a_pending_time_for_a_pending_state(client, world):
    before = _row(world.a)
    pending = State.objects.get(name="pending reminder")

    response = _signed_in(client, world.rw).post(BULK, _apply(world.a, state=pending.pk))

    assert response.status_code == 400
    assert "pending_until" in response.context["form"].errors
    assert _row(world.a) == before


def test_it_needs_at_least_one_change(client, world):
    response = _signed_in(client, world.rw).post(BULK, _apply(world.a))

    assert response.status_code == 400
    assert "Choose at least one change." in response.content.decode()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/agent/", "javascript:alert(1)", "https:evil"],
)
def test_it_never_redirects_off_site(client, world, target):
    signed_in = _signed_in(client, world.rw)

    done = signed_in.post(BULK, _apply(world.a, priority=factories.priority(2).pk, next=target))
    nothing = signed_in.post(BULK, {"ticket": [], "next": target})
    form = signed_in.post(BULK, {"ticket": [world.a.pk], "next": target})

    assert done.url == nothing.url == reverse("agent:dashboard")
    assert "evil" not in form.content.decode() and "javascript:" not in form.content.decode()


def test_it_escapes_ticket_titles(client, world):
    nasty = factories.ticket(world.queue, title=XSS)

    response = _signed_in(client, world.rw).post(BULK, {"ticket": [nasty.pk], "next": LIST})

    page = response.content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # in the list and the merge choice


def test_it_enforces_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.rw)

    response = client.post(BULK, _apply(world.a, priority=factories.priority(5).pk))

    assert response.status_code == 403
    world.a.refresh_from_db()
    assert world.a.priority.level == 3


def test_it_accepts_no_other_method(client, world):
    assert _signed_in(client, world.rw).put(BULK).status_code == 405


def test_it_sends_anonymous_visitors_to_the_sign_in(client, world):
    response = client.post(BULK, _apply(world.a, priority=factories.priority(5).pk))

    assert response.status_code == 302
    assert response.url.startswith("/agent/login/?next=")
    world.a.refresh_from_db()
    assert world.a.priority.level == 3


def test_it_refuses_customers(client, world):
    client.force_login(factories.customer())

    response = client.post(BULK, _apply(world.a, priority=factories.priority(5).pk))

    assert response.status_code == 403
    world.a.refresh_from_db()
    assert world.a.priority.level == 3


def test_its_queries_do_not_grow_with_the_tickets(client, world, django_assert_max_num_queries):
    """10 queries (session, user, 2 grants, tickets, states, priorities, queues, owners,
    responsibles) plus the session save of the idle timer, the custom-field definitions
    of the bulk screen and the active ACL rules (both cached after the first request), for
    1 ticket as for 13."""
    tickets = [factories.ticket(world.queue, title=f"T{n}") for n in range(12)]
    signed_in = _signed_in(client, world.rw)

    with django_assert_max_num_queries(15):
        one = signed_in.post(BULK, {"ticket": [world.a.pk], "next": LIST})
    with django_assert_max_num_queries(15):
        many = signed_in.post(
            BULK, {"ticket": [world.a.pk, *(t.pk for t in tickets)], "next": LIST}
        )

    assert (one.status_code, len(one.context["tickets"])) == (200, 1)
    assert (many.status_code, len(many.context["tickets"])) == (200, 13)


def test_a_get_leads_to_the_queue_view_with_a_hint(client, world):
    response = _signed_in(client, world.rw).get(BULK, follow=True)

    assert response.redirect_chain == [(reverse("agent:queues"), 302)]
    assert response.status_code == 200
    hint = "Select tickets in a list, then choose “Bulk action on selected tickets”."
    assert _messages(response) == [hint]
    assert hint in response.content.decode()

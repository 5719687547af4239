"""ACLs applied on every screen that offers a choice (issue 15, part 2): a value an ACL
takes away is not offered, and posted anyway it is refused with a message naming it, and
nothing is written. One surface per test: the agent's close screen, the reply composer,
bulk, the new phone ticket, the customer portal's new ticket and close, a process dialog,
the REST API's create and update."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.permissions import PermissionKey
from tests import factories
from tests.api.conftest import ApiClient, token_for
from tests.customer_portal import ticket_data as data
from tickets.automation import acl
from tickets.forms.changes import CloseForm
from tickets.models import AclRule, State, Ticket, TicketHistory, TicketType
from tickets.processes.dialogs import DialogForm

pytestmark = pytest.mark.django_db

REFUSED = "State “closed successful” is not possible here: an ACL takes it away."


def closed() -> State:
    return State.objects.get(name="closed successful")


def no_closing(properties: dict | None = None, **extra) -> AclRule:
    return AclRule.objects.create(
        name="aclscreen no closing",
        properties=properties or {},
        changes={"state": {"possible_not": [closed().pk]}},
        **extra,
    )


def offered(response, field: str = "state") -> set[int]:
    return set(response.context["form"].fields[field].queryset.values_list("pk", flat=True))


def errors(response, field: str = "state") -> list[str]:
    return [str(e) for e in response.context["form"].errors.get(field, [])]


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_close_screen_neither_offers_nor_takes_a_state_an_acl_removes(client, support):
    ticket = factories.ticket(support.queue)
    url = reverse("agent:close", args=[ticket.pk])
    agent = signed_in(client, support.rw)
    assert closed().pk in offered(agent.get(url))
    no_closing()

    page = agent.get(url)
    before = factories.snapshot()
    posted = agent.post(url, {"state": closed().pk, "seen": page.context["form"]["seen"].value()})

    assert closed().pk not in offered(page)
    assert State.objects.get(name="closed unsuccessful").pk in offered(page)
    assert posted.status_code == 400
    assert errors(posted) == [REFUSED]
    assert factories.snapshot() == before


def test_the_composer_does_not_offer_the_removed_state_after_sending(client, support):
    ticket = factories.ticket(support.queue)
    article = ticket.articles.get()
    url = reverse("agent:reply", args=[ticket.pk, article.pk])
    no_closing()

    page = signed_in(client, support.rw).get(url)

    assert page.status_code == 200
    assert closed().pk not in offered(page, "next_state")


def test_bulk_refuses_a_removed_state_for_the_selected_tickets(client, support):
    first, second = factories.ticket(support.queue), factories.ticket(support.queue)
    no_closing({"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]})
    before = factories.snapshot()

    posted = signed_in(client, support.rw).post(
        reverse("agent:bulk"),
        {"step": "apply", "next": "/agent/", "ticket": [first.pk, second.pk], "state": closed().pk},
    )

    assert posted.status_code == 400
    assert errors(posted) == [REFUSED]
    assert closed().pk not in offered(posted)
    assert factories.snapshot() == before


def _phone_form(support, **overrides) -> dict:
    values = {
        "customer": "someone@aclscreen.test",
        "queue": support.queue.pk,
        "title": "Printer on fire",
        "body": "It smokes.",
        "state": State.objects.get(name="open").pk,
        "priority": factories.priority(3).pk,
        "type": TicketType.objects.get(is_default=True).pk,
    }
    return {**values, **overrides}


def test_a_new_phone_ticket_is_judged_by_the_queue_chosen_in_the_form(client, support):
    factories.grant(support.rw, support.group, PermissionKey.CREATE)
    elsewhere = factories.queue("aclscreen elsewhere", group_=support.group)
    no_closing({"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]})
    agent = signed_in(client, support.rw)
    url = reverse("agent:new_phone_ticket")

    refused = agent.post(url, _phone_form(support, state=closed().pk))
    taken = agent.post(url, _phone_form(support, queue=elsewhere.pk, state=closed().pk))

    assert refused.status_code == 400 and errors(refused) == [REFUSED]
    assert closed().pk not in offered(refused)
    assert taken.status_code == 302
    assert Ticket.objects.get().queue == elsewhere  # only the allowed one was made


def test_the_customer_portal_neither_offers_nor_takes_a_removed_queue(support):
    first, second = data.portal_queue("aclscreen A"), data.portal_queue("aclscreen B")
    wile = data.customer("aclscreen_wile")
    AclRule.objects.create(
        name="aclscreen customers not in B",
        properties={"all": [{"attr": "screen", "op": "equals", "value": "customer_new_ticket"}]},
        changes={"queue": {"possible_not": [second.pk]}},
    )
    client = data.client_for(wile)
    url = reverse("customer:ticket_create")

    page = client.get(url)
    posted = client.post(
        url, {"title": "Help", "body": "Please.", "queue": second.pk, "faq_seen": "1"}
    )

    # One queue left: no choice shown, the ticket goes there.
    assert offered(page, "queue") == {first.pk}
    assert posted.status_code == 400
    assert errors(posted, "queue") == [
        "Queue “aclscreen B” is not possible here: an ACL takes it away."
    ]
    assert not Ticket.objects.exists()


def test_the_customer_cannot_close_when_an_acl_takes_the_closed_state(support, settings):
    settings.CUSTOMER_CAN_CLOSE = True
    queue = data.portal_queue("aclscreen portal")
    wile = data.customer("aclscreen_close")
    ticket = data.ticket(queue, customer_user="aclscreen_close")
    client = data.client_for(wile)
    page = reverse("customer:ticket", args=[ticket.pk])
    assert client.get(page).context["can_close"]
    no_closing({"all": [{"attr": "screen", "op": "equals", "value": "customer_close"}]})

    shown = client.get(page)
    posted = client.post(reverse("customer:ticket_close", args=[ticket.pk]), follow=True)

    assert not shown.context["can_close"]
    assert REFUSED in [str(m) for m in posted.context["messages"]]
    assert Ticket.objects.get(pk=ticket.pk).state.name != "closed successful"


def test_a_process_dialog_neither_offers_nor_takes_a_removed_state(support):
    ticket = factories.ticket(support.queue)
    dialog = type("Dialog", (), {"fields": [{"name": "state", "required": True}]})()
    no_closing({"all": [{"attr": "screen", "op": "equals", "value": "process_dialog"}]})

    shown = DialogForm(dialog=dialog, user=support.rw, ticket=ticket)
    posted = DialogForm({"state": closed().pk}, dialog=dialog, user=support.rw, ticket=ticket)

    assert closed().pk not in set(shown.fields["state"].queryset.values_list("pk", flat=True))
    assert not posted.is_valid()
    assert posted.errors["state"] == [REFUSED]


def test_the_api_refuses_a_removed_value_on_create_and_update(support):
    ticket = factories.ticket(support.queue)
    api = ApiClient(token_for(support.rw))
    no_closing({"all": [{"attr": "screen", "op": "equals", "value": "api"}]})
    before = factories.snapshot()

    updated = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"title": "Changed", "state": closed().pk})
    created = api.post(
        "/api/v1/tickets/",
        {
            "title": "From API",
            "queue": support.queue.pk,
            "state": closed().pk,
            "article": {"body": "Text"},
        },
    )

    for answer in (updated, created):
        assert answer.status_code == 409, answer.json()
        assert answer.json()["errors"] == [
            {"field": "state", "code": "acl_refused", "detail": REFUSED}
        ]
    assert factories.snapshot() == before
    assert not TicketHistory.objects.filter(actor=support.rw).exists()
    fine = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"title": "Changed"})
    assert fine.status_code == 200


def test_the_rules_are_read_once_and_cached_until_one_changes(support, django_assert_num_queries):
    ticket = factories.ticket(support.queue)
    AclRule.objects.create(name="aclscreen off", valid=False, changes={"state": {"possible": []}})
    form = CloseForm(ticket=ticket, user=support.rw)

    with django_assert_num_queries(1):
        acl.restrict_form(form, user=support.rw, screen="close", tickets=[ticket])
    with django_assert_num_queries(0):
        acl.restrict_form(form, user=support.rw, screen="close", tickets=[ticket])
    assert closed().pk in set(form.fields["state"].queryset.values_list("pk", flat=True))

    no_closing()  # saved: the cache is dropped, the next screen sees the rule
    acl.restrict_form(form, user=support.rw, screen="close", tickets=[ticket])
    assert closed().pk not in set(form.fields["state"].queryset.values_list("pk", flat=True))

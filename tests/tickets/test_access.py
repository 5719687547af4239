"""The ticket access entry: the agent rules (spec section 5), what customers and the system
user get from the same functions, and the agreement of can/visible_to/get_or_404."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import CustomerUser
from otrs.accounts.models import GroupGrant, User
from otrs.permissions import PermissionKey
from tests import factories
from tickets import access, actions
from tickets.models import Ticket

ALL_KEYS = list(PermissionKey)
NON_RO_KEYS = [k for k in ALL_KEYS if k != PermissionKey.RO]


def fresh_ticket(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def allowed_keys(user, ticket):
    """The keys ``user`` holds on ``ticket``, asked with fresh objects each time."""
    return [k for k in ALL_KEYS if access.can(factories.refetch(user), fresh_ticket(ticket), k)]


def visible_keys(user, ticket):
    return [
        k
        for k in ALL_KEYS
        if access.visible_to(factories.refetch(user), k).filter(pk=ticket.pk).exists()
    ]


def revoke_all(user):
    GroupGrant.objects.filter(user=user).delete()


@pytest.fixture
def ticket(support):
    return factories.ticket(support.queue)


def test_it_gives_the_owner_every_key(support):
    owner = factories.agent()
    factories.grant(owner, support.group, PermissionKey.OWNER)
    ticket = factories.ticket(support.queue, owner=owner, responsible=factories.system())
    revoke_all(owner)

    assert allowed_keys(owner, ticket) == ALL_KEYS
    assert visible_keys(owner, ticket) == ALL_KEYS


def test_it_gives_the_responsible_every_key(support):
    responsible = factories.agent()
    factories.grant(responsible, support.group, PermissionKey.RO)
    ticket = factories.ticket(support.queue, responsible=responsible)
    revoke_all(responsible)

    assert allowed_keys(responsible, ticket) == ALL_KEYS
    assert visible_keys(responsible, ticket) == ALL_KEYS


@pytest.mark.parametrize("key", [k for k in ALL_KEYS if k != PermissionKey.RW])
def test_it_gives_a_group_key_holder_that_key_only(support, ticket, key):
    agent = factories.agent()
    factories.grant(agent, support.group, key)

    assert allowed_keys(agent, ticket) == [key]
    assert visible_keys(agent, ticket) == [key]


def test_it_gives_a_role_key_through_the_role(support, ticket):
    agent = factories.agent()
    factories.role(members=[agent], grants=[(support.group, PermissionKey.PRIORITY)])

    assert allowed_keys(agent, ticket) == [PermissionKey.PRIORITY]
    assert visible_keys(agent, ticket) == [PermissionKey.PRIORITY]


def test_it_gives_rw_holders_every_key(support, ticket):
    assert allowed_keys(support.rw, ticket) == ALL_KEYS
    assert visible_keys(support.rw, ticket) == ALL_KEYS


def test_it_gives_a_watcher_read_access_only(support, ticket):
    watcher = factories.agent()
    factories.grant(watcher, support.group, PermissionKey.RO)
    actions.watch_ticket(ticket, actor=factories.system(), user=factories.refetch(watcher))
    revoke_all(watcher)

    assert allowed_keys(watcher, ticket) == [PermissionKey.RO]
    assert visible_keys(watcher, ticket) == [PermissionKey.RO]


def test_it_gives_an_outsider_nothing(support, ticket):
    assert allowed_keys(support.outsider, ticket) == []
    assert visible_keys(support.outsider, ticket) == []


def test_it_gives_no_access_through_an_invalid_group(support, ticket):
    support.group.is_valid = False
    support.group.save()

    assert allowed_keys(support.rw, ticket) == []
    assert visible_keys(support.rw, ticket) == []


def test_it_gives_an_inactive_owner_nothing(support):
    owner = factories.agent()
    factories.grant(owner, support.group, PermissionKey.RW)
    ticket = factories.ticket(support.queue, owner=owner)
    User.objects.filter(pk=owner.pk).update(is_active=False)

    assert allowed_keys(owner, ticket) == []
    assert visible_keys(owner, ticket) == []


def test_it_gives_customers_read_and_write_on_their_own_ticket_only(support):
    customer = factories.customer()
    CustomerUser.objects.create(user=customer, email=f"{customer.username}@example.com")
    GroupGrant.objects.create(user=customer, group=support.group, key=PermissionKey.RW)
    own = factories.ticket(support.queue, customer_user=customer.username)
    other = factories.ticket(support.queue, customer_user="someone-else")

    # A group grant means nothing for a customer; their own ticket gives read and note.
    assert allowed_keys(customer, own) == [PermissionKey.RO, PermissionKey.NOTE]
    assert visible_keys(customer, own) == [PermissionKey.RO, PermissionKey.NOTE]
    assert allowed_keys(customer, other) == []
    assert visible_keys(customer, other) == []
    with pytest.raises(Http404):
        access.get_or_404(factories.refetch(customer), other.pk)
    assert access.get_or_404(factories.refetch(customer), own.pk) == own


def test_it_trusts_the_system_user_with_everything(support, ticket):
    # The actor of automatic changes (OTRS user 1); it never signs in to a portal.
    assert allowed_keys(factories.system(), ticket) == ALL_KEYS
    assert visible_keys(factories.system(), ticket) == ALL_KEYS


def test_it_lets_queue_keys_decide_queue_use(support):
    agent = factories.agent()
    factories.grant(agent, support.group, PermissionKey.MOVE_INTO)
    user = factories.refetch(agent)

    assert access.can_use_queue(user, support.queue, PermissionKey.MOVE_INTO)
    assert not access.can_use_queue(user, support.queue, PermissionKey.CREATE)
    assert access.can_use_queue(factories.refetch(support.rw), support.queue, PermissionKey.CREATE)


def test_it_returns_an_accessible_ticket(support, ticket):
    found = access.get_or_404(factories.refetch(support.ro), ticket.pk)

    assert found == ticket


def test_it_raises_the_same_404_for_missing_and_forbidden_tickets(support, ticket):
    missing_id = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000

    with pytest.raises(Http404) as missing:
        access.get_or_404(factories.refetch(support.rw), missing_id)
    with pytest.raises(Http404) as forbidden:
        access.get_or_404(factories.refetch(support.outsider), ticket.pk)

    assert type(missing.value) is type(forbidden.value)
    assert str(missing.value) == str(forbidden.value)


def test_it_raises_404_when_the_key_needed_is_missing(support, ticket):
    with pytest.raises(Http404):
        access.get_or_404(factories.refetch(support.ro), ticket.pk, PermissionKey.NOTE)

    found = access.get_or_404(factories.refetch(support.rw), ticket.pk, "note")
    assert found == ticket


# --- property: can() and visible_to() agree ------------------------------------------------------

N_GROUPS = 3
N_QUEUES = 4
N_AGENTS = 4

keys = st.sampled_from(ALL_KEYS)
agent_index = st.integers(0, N_AGENTS - 1)
group_index = st.integers(0, N_GROUPS - 1)
# A ticket's owner/responsible: an agent index, or None for the system user.
person = st.one_of(st.none(), agent_index)

scenarios = st.fixed_dictionaries(
    {
        "queue_groups": st.lists(group_index, min_size=N_QUEUES, max_size=N_QUEUES),
        "group_valid": st.lists(
            st.booleans() | st.just(True), min_size=N_GROUPS, max_size=N_GROUPS
        ),
        "agent_active": st.lists(
            st.booleans() | st.just(True), min_size=N_AGENTS, max_size=N_AGENTS
        ),
        "direct": st.lists(st.tuples(agent_index, group_index, keys), max_size=8, unique=True),
        "roles": st.lists(
            st.fixed_dictionaries(
                {
                    "valid": st.booleans() | st.just(True),
                    "members": st.sets(agent_index, max_size=N_AGENTS),
                    "grants": st.lists(st.tuples(group_index, keys), max_size=3, unique=True),
                }
            ),
            max_size=2,
        ),
        "tickets": st.lists(
            st.fixed_dictionaries(
                {
                    "queue": st.integers(0, N_QUEUES - 1),
                    "owner": person,
                    "responsible": person,
                    "watchers": st.sets(agent_index, max_size=2),
                }
            ),
            min_size=1,
            max_size=4,
        ),
    }
)


class _Rollback(Exception):
    pass


def _build(scenario):
    """Build one scenario through the actions; return (users, tickets)."""
    system = factories.system()
    customer = factories.customer()
    groups = [factories.group() for _ in range(N_GROUPS)]
    queues = [factories.queue(group_=groups[g]) for g in scenario["queue_groups"]]
    agents = [factories.agent() for _ in range(N_AGENTS)]
    # While tickets are built every agent may own, be responsible for and watch anything;
    # these grants go before the scenario's own grants are written.
    for agent in agents:
        for grp in groups:
            factories.grant(agent, grp, PermissionKey.RW)
    tickets = []
    for spec in scenario["tickets"]:
        owner = system if spec["owner"] is None else agents[spec["owner"]]
        responsible = system if spec["responsible"] is None else agents[spec["responsible"]]
        ticket = factories.ticket(
            queues[spec["queue"]],
            owner=factories.refetch(owner),
            responsible=factories.refetch(responsible),
            customer_user=customer.username,
        )
        for index in sorted(spec["watchers"]):
            actions.watch_ticket(ticket, actor=system, user=factories.refetch(agents[index]))
        tickets.append(ticket)
    GroupGrant.objects.filter(user__in=agents).delete()

    for agent_i, group_i, key in scenario["direct"]:
        factories.grant(agents[agent_i], groups[group_i], key)
    for spec in scenario["roles"]:
        role = factories.role(
            members=[agents[i] for i in spec["members"]],
            grants=[(groups[g], key) for g, key in spec["grants"]],
        )
        if not spec["valid"]:
            role.is_valid = False
            role.save()
    for grp, valid in zip(groups, scenario["group_valid"], strict=True):
        if not valid:
            grp.is_valid = False
            grp.save()
    for agent, active in zip(agents, scenario["agent_active"], strict=True):
        if not active:
            User.objects.filter(pk=agent.pk).update(is_active=False)

    # The customer of every ticket, with a grant row that must count for nothing.
    GroupGrant.objects.create(user=customer, group=groups[0], key=PermissionKey.RW)
    return [*agents, system, customer], tickets


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
def test_it_agrees_between_can_and_visible_to(db, scenario):
    try:
        with transaction.atomic():
            users, tickets = _build(scenario)
            # Fresh objects: nothing cached on them from building the scenario.
            tickets = list(
                Ticket.objects.select_related("queue").filter(pk__in=[t.pk for t in tickets])
            )
            for user in users:
                for key in ALL_KEYS:
                    fresh_user = factories.refetch(user)
                    # One query for the list answer; it is exactly
                    # visible_to(user, key).filter(pk=ticket.pk).exists() for each ticket.
                    listed = set(
                        access.visible_to(fresh_user, key)
                        .filter(pk__in=[t.pk for t in tickets])
                        .values_list("pk", flat=True)
                    )
                    for ticket in tickets:
                        single = access.can(fresh_user, ticket, key)
                        assert single == (ticket.pk in listed), (user.username, ticket.pk, key)
            raise _Rollback
    except _Rollback:
        pass


def test_it_gives_a_customer_without_a_valid_customer_user_nothing(support):
    customer = factories.customer()
    own = factories.ticket(support.queue, customer_user=customer.username)

    assert allowed_keys(customer, own) == []
    assert visible_keys(customer, own) == []

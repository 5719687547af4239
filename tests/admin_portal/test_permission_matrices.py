"""The permission matrices (group ↔ agents, group ↔ roles, role ↔ agents): checkbox grids,
filterable, saved through the accounts actions with a history of who granted what, when."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs.accounts import actions
from otrs.accounts.models import GrantChange, GroupGrant, RoleGrant, User, UserKind
from otrs.permissions import grants_for
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


def _keys(user, group) -> set[str]:
    return set(GroupGrant.objects.filter(user=user, group=group).values_list("key", flat=True))


def test_it_grants_and_revokes_keys_of_the_rows_shown(admin_client, root, support):
    url = reverse("admin:permissions_group_agents", args=[support.group.pk])
    page = admin_client.get(url, {"q": "rw_agent"})
    assert [row.username for row, _cells in page.context["grid"]] == ["rw_agent"]
    response = admin_client.post(
        f"{url}?q=rw_agent",
        {"row": [support.rw.pk], f"cell_{support.rw.pk}": ["ro", "note"]},
    )
    assert response.status_code == 302
    assert _keys(support.rw, support.group) == {"ro", "note"}
    # The ro agent was not shown (filtered out): untouched.
    assert _keys(support.ro, support.group) == {"ro"}
    history = {(c.key, c.granted) for c in GrantChange.objects.filter(user=support.rw)}
    assert history == {("rw", False), ("ro", True), ("note", True)}
    assert {c.actor for c in GrantChange.objects.all()} == {root}
    shown = admin_client.get(url).content.decode()
    assert "was granted “add note” on support" in shown
    assert "lost “read and write” on support" in shown


def test_read_and_write_is_stored_alone(root, support):
    actions.set_agent_grants(support.group, {support.outsider.pk: {"rw", "ro", "note"}}, actor=root)
    assert _keys(support.outsider, support.group) == {"rw"}


def test_saving_the_same_grid_twice_changes_nothing(root, support):
    actions.set_agent_grants(support.group, {support.outsider.pk: {"ro"}}, actor=root)
    assert actions.set_agent_grants(support.group, {support.outsider.pk: {"ro"}}, actor=root) == []
    assert GrantChange.objects.count() == 1


def test_it_refuses_customers_and_unknown_keys(admin_client, support):
    customer = factories.customer("cust")
    with pytest.raises(actions.GrantError):
        actions.set_agent_grants(support.group, {customer.pk: {"ro"}}, actor=support.rw)
    url = reverse("admin:permissions_group_agents", args=[support.group.pk])
    bad_key = admin_client.post(url, {"row": [support.rw.pk], f"cell_{support.rw.pk}": ["root"]})
    assert bad_key.status_code == 200
    assert bad_key.context["form"].errors
    hidden_row = admin_client.post(url, {"row": [customer.pk]})
    assert hidden_row.status_code == 200  # a row the page did not show: an error, no change
    assert _keys(support.rw, support.group) == {"rw"}


def test_a_role_grant_reaches_its_members(admin_client, support):
    role = factories.role("Helpdesk")
    agent = factories.agent("newcomer")
    grants = reverse("admin:permissions_group_roles", args=[support.group.pk])
    admin_client.post(grants, {"row": [role.pk], f"cell_{role.pk}": ["rw"]})
    assert set(RoleGrant.objects.filter(role=role).values_list("key", flat=True)) == {"rw"}
    members = reverse("admin:permissions_role_agents", args=[role.pk])
    page = admin_client.get(members, {"q": "newcomer"})
    assert [row.username for row, _cells in page.context["grid"]] == ["newcomer"]
    admin_client.post(f"{members}?q=newcomer", {"row": [agent.pk], f"cell_{agent.pk}": ["member"]})
    assert grants_for(User.objects.get(pk=agent.pk)).allows(support.group.pk, "rw")
    assert "newcomer joined the role Helpdesk" in admin_client.get(members).content.decode()
    admin_client.post(f"{members}?q=newcomer", {"row": [agent.pk]})
    assert not role.members.filter(pk=agent.pk).exists()
    assert list(
        GrantChange.objects.filter(role=role, user=agent).values_list("granted", flat=True)
    ) == [False, True]


def test_missing_and_forbidden_look_the_same(client, support):
    staff = factories.agent("viewer", is_staff=True)
    client.force_login(staff)
    url = reverse("admin:permissions_group_agents", args=[support.group.pk])
    assert client.get(url).status_code == 404
    client.force_login(User.objects.create_superuser("r2", "r2@x.test", "pw"))
    assert client.get(reverse("admin:permissions_group_agents", args=[999999])).status_code == 404


def test_the_matrix_asks_a_fixed_number_of_queries(admin_client, support):
    url = reverse("admin:permissions_group_agents", args=[support.group.pk])
    counts = []
    for batch in range(2):
        for n in range(5):
            factories.agent(f"bulk{batch}_{n}")
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(url)
        counts.append(len(queries))
    # Whatever the number of rows: the session, the admin, the group, the agents, their keys,
    # the history, and the admin shell's own.
    assert counts[0] == counts[1], [q["sql"] for q in queries.captured_queries]
    assert counts[0] <= 10, [q["sql"] for q in queries.captured_queries]

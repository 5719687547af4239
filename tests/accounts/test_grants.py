"""Effective grants: direct grants united with role grants; nothing from invalid things."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from otrs.accounts.models import GroupGrant, User
from otrs.permissions import PermissionKey, grants_for
from otrs.permissions.grants import forget_grants
from tests import factories

ALL_KEYS = list(PermissionKey)


def keys(user, group):
    return grants_for(factories.refetch(user)).by_group.get(group.pk, frozenset())


@pytest.fixture
def groups(db):
    return factories.group("alpha"), factories.group("beta")


def test_it_unites_direct_and_role_grants(groups):
    alpha, beta = groups
    agent = factories.agent()
    factories.grant(agent, alpha, PermissionKey.RO)
    factories.role(members=[agent], grants=[(alpha, PermissionKey.NOTE), (beta, PermissionKey.RW)])
    factories.role(members=[agent], grants=[(alpha, PermissionKey.PRIORITY)])

    grants = grants_for(factories.refetch(agent))

    assert grants.by_group == {
        alpha.pk: frozenset({"ro", "note", "priority"}),
        beta.pk: frozenset({"rw"}),
    }
    assert grants.group_ids(PermissionKey.NOTE) == {alpha.pk, beta.pk}
    assert grants.group_ids(PermissionKey.OWNER) == {beta.pk}


def test_it_ignores_roles_the_agent_is_not_member_of(groups):
    alpha, _beta = groups
    agent = factories.agent()
    factories.role(members=[factories.agent()], grants=[(alpha, PermissionKey.RW)])

    assert grants_for(factories.refetch(agent)).by_group == {}


def test_it_ignores_grants_on_invalid_groups(groups):
    alpha, beta = groups
    invalid = factories.group(is_valid=False)
    agent = factories.agent()
    factories.grant(agent, invalid, PermissionKey.RW)
    factories.grant(agent, alpha, PermissionKey.RO)
    factories.role(members=[agent], grants=[(invalid, PermissionKey.NOTE), (beta, "note")])

    grants = grants_for(factories.refetch(agent))

    assert grants.by_group == {alpha.pk: frozenset({"ro"}), beta.pk: frozenset({"note"})}
    assert not grants.allows(invalid.pk, PermissionKey.RO)


def test_it_ignores_invalid_roles(groups):
    alpha, _beta = groups
    agent = factories.agent()
    role = factories.role(members=[agent], grants=[(alpha, PermissionKey.RW)])
    role.is_valid = False
    role.save()

    assert grants_for(factories.refetch(agent)).by_group == {}


def test_it_grants_nothing_to_an_inactive_agent(groups):
    alpha, beta = groups
    agent = factories.agent(is_active=False)
    factories.grant(agent, alpha, PermissionKey.RW)
    factories.role(members=[agent], grants=[(beta, PermissionKey.RW)])

    grants = grants_for(factories.refetch(agent))

    assert grants.by_group == {}
    assert not grants.allows(alpha.pk, PermissionKey.RO)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_it_lets_rw_satisfy_every_key(groups, key):
    alpha, beta = groups
    agent = factories.agent()
    factories.grant(agent, alpha, PermissionKey.RW)

    grants = grants_for(factories.refetch(agent))

    assert grants.allows(alpha.pk, key)
    assert not grants.allows(beta.pk, key)
    assert grants.group_ids(key) == {alpha.pk}


@pytest.mark.parametrize("held", [k for k in ALL_KEYS if k != PermissionKey.RW])
def test_it_does_not_let_one_key_imply_another(groups, held):
    alpha, _beta = groups
    agent = factories.agent()
    factories.grant(agent, alpha, held)

    grants = grants_for(factories.refetch(agent))

    assert [k for k in ALL_KEYS if grants.allows(alpha.pk, k)] == [held]


def test_it_grants_nothing_to_customers(groups):
    alpha, _beta = groups
    customer = factories.customer()
    # A grant row written behind the admin's back (limit_choices_to only guards forms).
    GroupGrant.objects.create(user=customer, group=alpha, key=PermissionKey.RW)
    factories.role(members=[customer], grants=[(alpha, PermissionKey.RW)])

    assert grants_for(factories.refetch(customer)).by_group == {}


def test_it_grants_nothing_to_the_system_user(groups):
    alpha, _beta = groups
    system = factories.system()
    GroupGrant.objects.create(user=system, group=alpha, key=PermissionKey.RW)

    grants = grants_for(factories.refetch(system))

    assert grants.by_group == {}
    assert not grants.allows(alpha.pk, PermissionKey.RO)


def test_it_grants_nothing_to_anonymous_users(db):
    assert grants_for(AnonymousUser()).by_group == {}


def test_it_reads_the_database_once_per_user_object(groups, django_assert_num_queries):
    alpha, _beta = groups
    agent = factories.agent()
    factories.grant(agent, alpha, PermissionKey.RO)
    user = User.objects.get(pk=agent.pk)

    with django_assert_num_queries(2):
        grants_for(user)
    with django_assert_num_queries(0):
        assert grants_for(user).allows(alpha.pk, PermissionKey.RO)


def test_it_sees_new_grants_after_forgetting(groups):
    alpha, _beta = groups
    agent = factories.agent()
    user = User.objects.get(pk=agent.pk)
    assert not grants_for(user).allows(alpha.pk, PermissionKey.NOTE)

    factories.grant(agent, alpha, PermissionKey.NOTE)
    assert not grants_for(user).allows(alpha.pk, PermissionKey.NOTE)  # cached
    forget_grants(user)

    assert grants_for(user).allows(alpha.pk, PermissionKey.NOTE)

"""An agent's effective grants: direct grants united with the grants of their roles.

Invalid users, groups and roles grant nothing. The result is computed once per user object
(two queries) and kept on it, so one request asks the database once however many tickets it
checks; actions that change grants call :func:`forget_grants`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from .keys import PermissionKey

_CACHE_ATTR = "_otrs_group_grants"


@dataclass(frozen=True)
class GroupGrants:
    """The keys an agent holds, per group id."""

    by_group: dict[int, frozenset[str]] = field(default_factory=dict)
    # The names of those groups (read in the same queries), for rules that name a group in a
    # setting (the reports group) and would otherwise look its id up on every page.
    group_names: dict[str, int] = field(default_factory=dict)

    def allows(self, group_id: int, key: str) -> bool:
        keys = self.by_group.get(group_id, frozenset())
        return key in keys or PermissionKey.RW in keys

    def allows_named(self, group_name: str, key: str) -> bool:
        group_id = self.group_names.get(group_name)
        return group_id is not None and self.allows(group_id, key)

    def group_ids(self, key: str) -> frozenset[int]:
        return frozenset(
            group_id
            for group_id, keys in self.by_group.items()
            if key in keys or PermissionKey.RW in keys
        )


def grants_for(user) -> GroupGrants:
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    grants = _load(user)
    setattr(user, _CACHE_ATTR, grants)
    return grants


def forget_grants(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _load(user) -> GroupGrants:
    # Imported here: otrs.accounts.models imports this package (for the keys), so importing
    # the models at the top would be a cycle.
    from otrs.accounts.models import GroupGrant, RoleGrant

    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_agent:
        return GroupGrants()
    by_group: dict[int, set[str]] = defaultdict(set)
    names: dict[str, int] = {}
    direct = GroupGrant.objects.filter(user=user, group__is_valid=True)
    for group_id, name, key in direct.values_list("group_id", "group__name", "key"):
        by_group[group_id].add(key)
        names[name] = group_id
    via_roles = RoleGrant.objects.filter(
        role__is_valid=True, role__members=user, group__is_valid=True
    )
    for group_id, name, key in via_roles.values_list("group_id", "group__name", "key"):
        by_group[group_id].add(key)
        names[name] = group_id
    return GroupGrants({gid: frozenset(keys) for gid, keys in by_group.items()}, names)


def agents_holding(key: str, group_ids):
    """The active agents holding ``key`` (or ``rw``) on any of ``group_ids``, directly or
    through a valid role: the inverse of :func:`grants_for`, as one query (owner and
    responsible candidates)."""
    # Imported here for the same reason as in _load.
    from otrs.accounts.models import GroupGrant, RoleGrant, User, UserKind

    keys, group_ids = [key, PermissionKey.RW], sorted(group_ids)
    direct = GroupGrant.objects.filter(
        group_id__in=group_ids, group__is_valid=True, key__in=keys
    ).values("user_id")
    by_role = RoleGrant.objects.filter(
        group_id__in=group_ids, group__is_valid=True, role__is_valid=True, key__in=keys
    ).values("role__members")
    return (
        User.objects.filter(kind=UserKind.AGENT, is_active=True)
        .filter(Q(pk__in=direct) | Q(pk__in=by_role))
        .order_by("last_name", "first_name", "username")
    )

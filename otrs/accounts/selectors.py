"""Reads for the admin's permission screens: who is listed, what they hold, what changed."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, QuerySet

from .models import GrantChange, Group, GroupGrant, Role, RoleGrant, User, UserKind


def agents(search: str = "") -> QuerySet[User]:
    """Agents (never customers or the system user), valid first, filtered by login or name."""
    found = User.objects.filter(kind=UserKind.AGENT)
    if search:
        found = found.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )
    return found.order_by("-is_active", "username")


def roles(search: str = "") -> QuerySet[Role]:
    found = Role.objects.all()
    if search:
        found = found.filter(Q(name__icontains=search) | Q(comment__icontains=search))
    return found.order_by("-is_valid", "name")


def groups(search: str = "") -> QuerySet[Group]:
    found = Group.objects.all()
    if search:
        found = found.filter(Q(name__icontains=search) | Q(comment__icontains=search))
    return found.order_by("-is_valid", "name")


def agent_keys(group: Group, user_ids) -> dict[int, set[str]]:
    held: dict[int, set[str]] = defaultdict(set)
    rows = GroupGrant.objects.filter(group=group, user_id__in=list(user_ids))
    for user_id, key in rows.values_list("user_id", "key"):
        held[user_id].add(key)
    return held


def role_keys(group: Group, role_ids) -> dict[int, set[str]]:
    held: dict[int, set[str]] = defaultdict(set)
    rows = RoleGrant.objects.filter(group=group, role_id__in=list(role_ids))
    for role_id, key in rows.values_list("role_id", "key"):
        held[role_id].add(key)
    return held


def member_ids(role: Role) -> set[int]:
    return set(role.members.values_list("pk", flat=True))


def changes(*, group: Group | None = None, role: Role | None = None, limit: int = 50):
    """The latest permission changes of a group's or a role's matrix, newest first."""
    found = GrantChange.objects.select_related("actor", "user", "role", "group")
    if group is not None:
        found = found.filter(group=group)
    if role is not None:
        found = found.filter(role=role)
    return list(found[:limit])

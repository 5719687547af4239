"""Every change of who may do what: group grants of agents and roles, role memberships.

Each action locks the group (or role) whose matrix it saves, applies only the differences and
writes one :class:`GrantChange` row per key granted or revoked (who, when, what), in the same
transaction. ``rw`` is stored alone: it satisfies every check, so the other keys beside it
would only be noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction

from otrs.permissions.keys import PermissionKey

from .models import (
    GrantChange,
    GrantChangeKind,
    Group,
    GroupGrant,
    Role,
    RoleGrant,
    User,
    UserKind,
)


class GrantError(ValueError):
    """A matrix names something that cannot hold a grant (a customer, the system user)."""


def normalise_keys(keys: Iterable[str]) -> frozenset[str]:
    """The keys as stored: known keys only, ``rw`` alone."""
    chosen = frozenset(keys)
    unknown = chosen - set(PermissionKey.values)
    if unknown:
        raise GrantError(f"unknown permission keys: {sorted(unknown)}")
    return frozenset({PermissionKey.RW.value}) if PermissionKey.RW in chosen else chosen


def set_agent_grants(
    group: Group, wanted: Mapping[int, Iterable[str]], *, actor: User
) -> list[GrantChange]:
    """Give each agent in ``wanted`` (by id) exactly these keys on ``group``; agents not
    named keep theirs (the matrix saves the rows it showed)."""
    with transaction.atomic():
        Group.objects.select_for_update().get(pk=group.pk)
        agents = set(
            User.objects.filter(pk__in=list(wanted), kind=UserKind.AGENT).values_list(
                "pk", flat=True
            )
        )
        if agents != set(wanted):
            raise GrantError("only agents hold group grants")
        held: dict[int, set[str]] = {pk: set() for pk in wanted}
        for user_id, key in GroupGrant.objects.filter(
            group=group, user_id__in=list(wanted)
        ).values_list("user_id", "key"):
            held[user_id].add(key)
        changes = []
        for user_id in sorted(wanted):
            keys = normalise_keys(wanted[user_id])
            added, removed = keys - held[user_id], held[user_id] - keys
            if removed:
                GroupGrant.objects.filter(group=group, user_id=user_id, key__in=removed).delete()
            GroupGrant.objects.bulk_create(
                GroupGrant(group=group, user_id=user_id, key=key) for key in sorted(added)
            )
            changes += _history(
                GrantChangeKind.AGENT_GRANT, actor, added, removed, group=group, user_id=user_id
            )
        GrantChange.objects.bulk_create(changes)
        return changes


def set_role_grants(
    group: Group, wanted: Mapping[int, Iterable[str]], *, actor: User
) -> list[GrantChange]:
    """Give each role in ``wanted`` (by id) exactly these keys on ``group``."""
    with transaction.atomic():
        Group.objects.select_for_update().get(pk=group.pk)
        if Role.objects.filter(pk__in=list(wanted)).count() != len(wanted):
            raise GrantError("no such role")
        held: dict[int, set[str]] = {pk: set() for pk in wanted}
        for role_id, key in RoleGrant.objects.filter(
            group=group, role_id__in=list(wanted)
        ).values_list("role_id", "key"):
            held[role_id].add(key)
        changes = []
        for role_id in sorted(wanted):
            keys = normalise_keys(wanted[role_id])
            added, removed = keys - held[role_id], held[role_id] - keys
            if removed:
                RoleGrant.objects.filter(group=group, role_id=role_id, key__in=removed).delete()
            RoleGrant.objects.bulk_create(
                RoleGrant(group=group, role_id=role_id, key=key) for key in sorted(added)
            )
            changes += _history(
                GrantChangeKind.ROLE_GRANT, actor, added, removed, group=group, role_id=role_id
            )
        GrantChange.objects.bulk_create(changes)
        return changes


def set_role_members(role: Role, wanted: Mapping[int, bool], *, actor: User) -> list[GrantChange]:
    """Make each agent in ``wanted`` (by id) a member of ``role`` (True) or not (False)."""
    with transaction.atomic():
        locked = Role.objects.select_for_update().get(pk=role.pk)
        agents = set(
            User.objects.filter(pk__in=list(wanted), kind=UserKind.AGENT).values_list(
                "pk", flat=True
            )
        )
        if agents != set(wanted):
            raise GrantError("only agents are members of roles")
        members = set(locked.members.filter(pk__in=list(wanted)).values_list("pk", flat=True))
        added = {pk for pk, member in wanted.items() if member} - members
        removed = {pk for pk, member in wanted.items() if not member} & members
        locked.members.add(*sorted(added))
        locked.members.remove(*sorted(removed))
        changes = [
            GrantChange(
                actor=actor,
                kind=GrantChangeKind.ROLE_MEMBER,
                granted=pk in added,
                role=locked,
                user_id=pk,
            )
            for pk in sorted(added | removed)
        ]
        GrantChange.objects.bulk_create(changes)
        return changes


def _history(kind, actor, added, removed, **subject) -> list[GrantChange]:
    return [
        GrantChange(actor=actor, kind=kind, granted=key in added, key=key, **subject)
        for key in sorted(added | removed)
    ]

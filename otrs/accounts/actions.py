"""Every change of who may do what: group grants of agents and roles, role memberships.

Each action locks the group (or role) whose matrix it saves, applies only the differences and
writes one :class:`GrantChange` row per key granted or revoked (who, when, what), in the same
transaction. ``rw`` is stored alone: it satisfies every check, so the other keys beside it
would only be noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

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
        return _replace_grants(
            GroupGrant, "user_id", GrantChangeKind.AGENT_GRANT, group, wanted, actor=actor
        )


def set_role_grants(
    group: Group, wanted: Mapping[int, Iterable[str]], *, actor: User
) -> list[GrantChange]:
    """Give each role in ``wanted`` (by id) exactly these keys on ``group``."""
    with transaction.atomic():
        Group.objects.select_for_update().get(pk=group.pk)
        if Role.objects.filter(pk__in=list(wanted)).count() != len(wanted):
            raise GrantError("no such role")
        return _replace_grants(
            RoleGrant, "role_id", GrantChangeKind.ROLE_GRANT, group, wanted, actor=actor
        )


_Grant = TypeVar("_Grant", GroupGrant, RoleGrant)


def _replace_grants(
    model: type[_Grant],
    holder: str,
    kind: str,
    group: Group,
    wanted: Mapping[int, Iterable[str]],
    *,
    actor: User,
) -> list[GrantChange]:
    """The common half of the two grant matrices, inside their transaction with the group
    locked: each holder (``holder`` names the grant's column: ``user_id`` or ``role_id``)
    gets exactly the wanted keys, and each difference is one history row."""
    held: dict[int, set[str]] = {pk: set() for pk in wanted}
    rows = model.objects.filter(group=group, **{f"{holder}__in": list(wanted)})
    for holder_id, key in rows.values_list(holder, "key"):
        held[holder_id].add(key)
    changes = []
    for holder_id in sorted(wanted):
        keys = normalise_keys(wanted[holder_id])
        added, removed = keys - held[holder_id], held[holder_id] - keys
        if removed:
            model.objects.filter(group=group, key__in=removed, **{holder: holder_id}).delete()
        model.objects.bulk_create(
            model(group=group, key=key, **{holder: holder_id}) for key in sorted(added)
        )
        changes += _history(kind, actor, added, removed, group=group, **{holder: holder_id})
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

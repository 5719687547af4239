"""An agent's own choices about queues ("my queues", which notifications follow)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import access
from ..models import PersonalQueue, Queue


def set_personal_queues(user: User, queues: Iterable[Queue], *, actor: User) -> None:
    """Make ``queues`` the agent's "my queues" (new tickets and follow-ups there are mailed
    to them). Each must be a queue the agent may read; only the agent (or the system)
    chooses."""
    if not actor.is_system and actor.pk != user.pk:
        raise DomainError(
            _("Only agents choose their own queues."), code=ErrorCode.PERMISSION_DENIED
        )
    chosen = {queue.pk: queue for queue in queues}
    for queue in chosen.values():
        if not (user.is_agent and access.can_use_queue(user, queue, PermissionKey.RO)):
            raise DomainError(
                _("%(user)s may not read queue %(queue)s.")
                % {"user": user.get_username(), "queue": queue.full_name},
                code=ErrorCode.PERMISSION_DENIED,
            )
    with transaction.atomic():
        mine = PersonalQueue.objects.filter(user=user)
        existing = set(mine.values_list("queue_id", flat=True))
        mine.exclude(queue_id__in=chosen).delete()
        PersonalQueue.objects.bulk_create(
            [PersonalQueue(user=user, queue_id=pk) for pk in sorted(set(chosen) - existing)]
        )

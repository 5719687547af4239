"""The OTRS permission keys an agent can hold on a group."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PermissionKey(models.TextChoices):
    """Per-group permission keys. ``rw`` is stored alone and satisfies every check.

    Screens whose key is not in this list (close, pending, compose, forward, customer,
    responsible, merge) ask for ``rw``, as in OTRS.
    """

    RO = "ro", _("read only")
    MOVE_INTO = "move_into", _("move into")
    CREATE = "create", _("create")
    NOTE = "note", _("add note")
    OWNER = "owner", _("be owner")
    PRIORITY = "priority", _("change priority")
    RW = "rw", _("read and write")

"""Named choices of the FAQ."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemState(models.TextChoices):
    """Who may read an item (besides its category's rule)."""

    INTERNAL = "internal", _("internal (agents)")
    EXTERNAL = "external", _("external (customers)")
    PUBLIC = "public", _("public (everyone)")


class RevisionStatus(models.TextChoices):
    """Where one revision stands on its way to the readers."""

    DRAFT = "draft", _("draft")
    PENDING = "pending", _("awaiting approval")
    PUBLISHED = "published", _("published")
    RETURNED = "returned", _("sent back")


class HistoryType(models.TextChoices):
    """The OTRS-style history rows of an item (raw values in ``old`` / ``new``)."""

    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    APPROVAL_REQUESTED = "approval_requested", _("approval requested")
    APPROVED = "approved", _("approved")
    SENT_BACK = "sent_back", _("sent back")
    REVERTED = "reverted", _("reverted")
    STATE_CHANGED = "state_changed", _("state changed")
    MOVED = "moved", _("moved")
    VALIDITY_CHANGED = "validity_changed", _("validity changed")
    ATTACHMENT_ADDED = "attachment_added", _("attachment added")
    TICKET_LINKED = "ticket_linked", _("linked to ticket")
    TICKET_UNLINKED = "ticket_unlinked", _("ticket link removed")
    RELATED_CHANGED = "related_changed", _("related items changed")
    FIELDS_CHANGED = "fields_changed", _("custom fields changed")


class InsertFormat(models.TextChoices):
    """How an item goes into a ticket answer."""

    TEXT = "text", _("quoted text")
    LINK = "link", _("link")
    BOTH = "both", _("quoted text and link")

"""The append-only ticket history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import HistoryType
from .master import Priority, Queue, State, TicketType
from .ticket import Ticket


class TicketHistory(models.Model):
    """One change of a ticket, with raw old/new values; rendered to text at display time.

    Each row also keeps a snapshot of the ticket's queue, state, priority, type and owner
    after the change, as OTRS does, so reports can ask "where was it then".
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="history")
    article = models.ForeignKey(
        "tickets.Article", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history_type = models.CharField(_("type"), max_length=50, choices=HistoryType.choices)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    # Further raw parameters, e.g. the numbers of merged tickets or a link type.
    extra = models.JSONField(default=dict, blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="+")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="+")
    type = models.ForeignKey(TicketType, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history entries")
        # Zoom: a ticket's history in order.
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="history_ticket")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.history_type} {self.ticket_id}"

"""The ticket and what hangs off it directly: links, watchers, flags, merge records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import generated
from ..choices import LinkType, LockState, TicketFlagKey
from .master import SLA, Priority, Queue, Service, State, TicketType

# How far a merged ticket's number (or reference) is followed: merges of merges, as OTRS.
MAX_MERGE_HOPS = 10


# The columns a ticket's count key is read from (see Ticket.from_db).
_COUNT_KEY_COLUMNS = frozenset({"queue_id", "state_id", "lock"})


class Ticket(models.Model):
    """A ticket. Only ``tickets.actions`` assigns its fields."""

    number = models.CharField(_("ticket number"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=255)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, verbose_name=_("queue"))
    state = models.ForeignKey(State, on_delete=models.PROTECT, verbose_name=_("state"))
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, verbose_name=_("priority"))
    type = models.ForeignKey(TicketType, on_delete=models.PROTECT, verbose_name=_("type"))
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("service")
    )
    sla = models.ForeignKey(
        SLA, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("SLA")
    )
    lock = models.CharField(
        _("lock"), max_length=10, choices=LockState.choices, default=LockState.UNLOCK
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_tickets",
        verbose_name=_("owner"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="responsible_tickets",
        verbose_name=_("responsible"),
    )
    # Plain strings, as in OTRS: a sender who is no known customer keeps their address here.
    customer_id = models.CharField(_("customer id"), max_length=150, blank=True)
    customer_user = models.CharField(_("customer user"), max_length=250, blank=True)
    pending_until = models.DateTimeField(_("pending until"), null=True, blank=True)
    # The unlock-timeout anchor (OTRS ticket.timeout).
    unlock_anchor_at = models.DateTimeField(
        _("unlock timeout counted since"), null=True, blank=True
    )
    # Escalation destinations (OTRS escalation_*_time; None = inactive), kept by
    # tickets.actions.escalation from tickets.escalation on the events spec section 6 lists.
    escalation_at = models.DateTimeField(_("escalates at"), null=True, blank=True)
    escalation_response_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    escalation_update_at = models.DateTimeField(_("update due"), null=True, blank=True)
    escalation_solution_at = models.DateTimeField(_("solution due"), null=True, blank=True)
    # Claimed by one escalation round (a conditional update), so several workers never
    # check the same ticket in the same round.
    escalation_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The day a pending reminder last went out (claimed by a conditional update: once a day).
    pending_reminded_on = models.DateField(null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )

    # (queue id, state id, lock) as last read or written; see from_db.
    count_key: tuple[int, int, str] | None = None

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Queue view (tickets.selectors.queue_page): the tickets of one queue in one state,
            # oldest (or newest) first; the page query walks it once per viewable state.
            models.Index(fields=["queue", "state", "created_at", "id"], name="ticket_queue_view"),
            # The queue view (and the open, closed and new overviews) sorted by priority: per
            # state, by priority id then age (tickets.selectors.SORTS). Sorting by state needs
            # no index of its own: within one state the order by state then age is the one
            # above.
            models.Index(
                fields=["queue", "state", "priority", "created_at", "id"],
                name="ticket_queue_priority",
            ),
            # The same sorted by title (tickets.selectors._page_ids): per state, in the
            # title's collation, the one ORDER BY uses, so the index and the page agree on
            # every database.
            models.Index(fields=["queue", "state", "title", "id"], name="ticket_queue_title"),
            # Queue tree (tickets.selectors.queue_counts): counts per queue of the tickets in
            # viewable states that a user may see. Owner, responsible and id are in the key so
            # that the access filter (tickets.access.ticket_filter) is answered from the index
            # alone: an index-only scan instead of a heap fetch per ticket (300 -> 50 ms for
            # 180,000 viewable of 1,000,000 tickets on PostgreSQL; see bench/README.md).
            models.Index(
                fields=["state", "queue", "owner", "responsible", "id"], name="ticket_queue_tree"
            ),
            # "Locked by me" and the owner's dashboard.
            models.Index(fields=["owner", "lock"], name="ticket_owner_lock"),
            models.Index(fields=["responsible"], name="ticket_responsible"),
            # A customer's tickets (customer portal, customer information center).
            models.Index(fields=["customer_user"], name="ticket_customer_user"),
            # The customer portal matches the login ignoring case (UPPER(...) = UPPER(...) on
            # PostgreSQL and SQLite); MariaDB's case-insensitive collation uses the plain one
            # above and cannot build this one (Django skips it there).
            models.Index(Upper("customer_user"), name="ticket_customer_user_ci"),
            models.Index(fields=["customer_id"], name="ticket_customer_id"),
            # Pending reminders and auto-close sweeps.
            models.Index(fields=["pending_until"], name="ticket_pending_until"),
            models.Index(fields=["changed_at"], name="ticket_changed"),
            # The escalation run (tickets escalating within days, earliest first), the
            # dashboard's escalation widget and the queue view sorted by escalation.
            models.Index(fields=["escalation_at"], name="ticket_escalation"),
        ]

    def __str__(self) -> str:
        return f"{settings.TICKET_HOOK}{self.number}"

    @classmethod
    def from_db(cls, db, field_names, values):
        ticket = super().from_db(db, field_names, values)
        # Where the ticket was counted as read (tickets.ticket_counts): an action that moves
        # it, changes its state or lock moves it from this key to the new one. A read that
        # left one of them out (only(), defer()) knows no key: reading a deferred field here
        # would load the row again, through this method.
        if _COUNT_KEY_COLUMNS.issubset(field_names):
            ticket.count_key = (ticket.queue_id, ticket.state_id, ticket.lock)
        return ticket

    @property
    def shown_title(self) -> str:
        """The title in the reader's language where the system wrote it ("(no title)")."""
        return generated.title(self.title)


class QueueTicketCount(models.Model):
    """How many tickets are in one queue, state and lock: the queue tree's counts, kept by
    the ticket actions (tickets.ticket_counts) instead of counted on every request.

    Keyed by state rather than state type: an admin may change a state's type, and the
    counts stay right when that happens (the reader picks the viewable states' ids)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="+")
    lock = models.CharField(max_length=10, choices=LockState.choices)
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("queue ticket count")
        verbose_name_plural = _("queue ticket counts")
        constraints = [
            models.UniqueConstraint(fields=["queue", "state", "lock"], name="uniq_queue_count")
        ]

    def __str__(self) -> str:
        return f"{self.queue_id}/{self.state_id}/{self.lock}: {self.n}"


class QueueTicketCountDelta(models.Model):
    """A change to one :class:`QueueTicketCount` not yet folded into it (+1, -1, or a
    batch's tally): the ticket actions insert these instead of updating the shared row, so
    two transactions filing into one queue do not wait for each other; readers add them to
    the counts, and a daemon job folds them in (tickets.ticket_counts)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="+")
    lock = models.CharField(max_length=10, choices=LockState.choices)
    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("queue ticket count change")
        verbose_name_plural = _("queue ticket count changes")

    def __str__(self) -> str:
        return f"{self.queue_id}/{self.state_id}/{self.lock}: {self.n:+d}"


class TicketNumberCounter(models.Model):
    """Where the counter of a number scope (a day for the date generators, ``all`` for
    AutoIncrement) starts: its numbers count the draws (:class:`TicketNumberDraw`) made
    after ``base``, so the scope's counter of a draw is ``draw - base`` (tickets.numbers).
    Written once per scope; drawing never updates it, so parallel creations do not queue
    on its row."""

    scope = models.CharField(max_length=20, unique=True)
    base = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket number counter")
        verbose_name_plural = _("ticket number counters")

    def __str__(self) -> str:
        return f"{self.scope}: from {self.base}"


class TicketNumberDraw(models.Model):
    """One value drawn for a ticket number: a counter every scope shares, increasing, never
    handed out twice, and taken without waiting for other transactions (an identity
    sequence or an AUTO_INCREMENT). PostgreSQL draws from the id's sequence without a row;
    MariaDB and SQLite insert a row, and the cleanup keeps only the newest."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket number draw")
        verbose_name_plural = _("ticket number draws")

    def __str__(self) -> str:
        return str(self.pk)


class TicketLink(models.Model):
    """A link between two tickets; for parent/child the source is the parent."""

    source = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links_out", verbose_name=_("source")
    )
    target = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links_in", verbose_name=_("target")
    )
    link_type = models.CharField(_("link type"), max_length=20, choices=LinkType.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="uniq_ticket_link_pair"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.link_type} {self.target_id}"


class TicketWatcher(models.Model):
    """An agent who watches (subscribes to) a ticket; watching grants read access."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watched"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="uniq_ticket_watcher")
        ]
        # The watched view lists a user's watched tickets.
        indexes = [models.Index(fields=["user", "ticket"], name="watcher_user")]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.ticket_id}"


class TicketFlag(models.Model):
    """A per-agent flag on a ticket, such as seen."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=20, choices=TicketFlagKey.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user", "key"], name="uniq_ticket_flag")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.ticket_id} {self.user_id}"


class MergeRecord(models.Model):
    """What one merge moved, kept so that an unmerge can put it all back."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="merges_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="merges_in")
    article_ids = models.JSONField(default=list)
    history_ids = models.JSONField(default=list)
    # The source's watchers (user ids), and those of them the merge added to the target.
    watcher_user_ids = models.JSONField(default=list)
    added_watcher_ids = models.JSONField(default=list)
    # The source's links before the merge: [[link_id, source_id, target_id, link_type], ...].
    # Repointed links keep their id, so an unmerge finds them wherever they went.
    links_before = models.JSONField(default=list)
    # The parent/child link the merge created (target parent, source child).
    merge_link_pk = models.BigIntegerField(null=True, blank=True)
    # The note the merge left on the source ("Ticket Merged"); an unmerge hides it from the
    # customer. None for merges recorded before it was kept.
    note_article_pk = models.BigIntegerField(null=True, blank=True)
    previous_state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    previous_pending_until = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unmerged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["source", "unmerged_at"], name="merge_source_open")]

    def __str__(self) -> str:
        return f"{self.source_id} merged into {self.target_id}"


def merge_target_id(ticket_id: int) -> int | None:
    """The ticket that ``ticket_id`` stands for: itself if it is not merged, else the end of
    the chain of tickets it was merged into; None for a chain longer than
    :data:`MAX_MERGE_HOPS` hops (or a loop, which merging never makes)."""
    seen: set[int] = set()
    current = ticket_id
    while len(seen) <= MAX_MERGE_HOPS:
        following = (
            Ticket.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
        )
        if following is None:
            return current
        seen.add(current)
        if following in seen:
            return None
        current = following
    return None

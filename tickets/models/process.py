"""Process management (OTRS/Znuny ProcessManagement): processes made of activities, the
dialogs agents (and customers) fill in each activity, the transitions between activities with
their conditions and actions, where each process ticket stands, and the trace of its steps.

Definitions are written only by :mod:`tickets.processes.definitions` (checked, importable and
exportable as YAML); a ticket's place in its process only by :mod:`tickets.processes.engine`
(through the ticket actions, with history and events).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProcessState(models.TextChoices):
    """Znuny's process states: only active processes start tickets; a fading process goes on
    for the tickets it has."""

    ACTIVE = "active", _("active")
    FADE_AWAY = "fade_away", _("fading away")
    INACTIVE = "inactive", _("inactive")


class Interface(models.TextChoices):
    """Where an activity dialog is offered."""

    AGENT = "agent", _("agent portal")
    CUSTOMER = "customer", _("customer portal")
    BOTH = "both", _("agent and customer portal")


class Process(models.Model):
    """A process: its activities, dialogs and transitions, and where its tickets start."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ProcessState.choices, default=ProcessState.INACTIVE
    )
    # The queue new process tickets are created in.
    queue = models.ForeignKey(
        "tickets.Queue", on_delete=models.PROTECT, related_name="+", verbose_name=_("queue")
    )
    start_activity = models.ForeignKey(
        "tickets.Activity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("start activity"),
    )
    # The dialog that creates the ticket (its fields are asked before the ticket exists).
    start_dialog = models.ForeignKey(
        "tickets.ActivityDialog",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("start dialog"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """A step of a process; while a ticket stands in it, its dialogs are offered."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="activities", verbose_name=_("process")
    )
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)
    dialogs = models.ManyToManyField(
        "tickets.ActivityDialog", blank=True, related_name="activities", verbose_name=_("dialogs")
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["process", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["process", "name"], name="process_activity_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ActivityDialog(models.Model):
    """A form of a process: which ticket fields and custom fields it shows, which of them are
    required, and where it is offered.

    ``fields``: ``[{"name": "title" | "queue" | ... | "article" | "field:<Name>",
    "required": bool}, ...]`` in the order shown (see :mod:`tickets.processes.dialogs`)."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="dialogs", verbose_name=_("process")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    interface = models.CharField(
        _("offered in"), max_length=10, choices=Interface.choices, default=Interface.AGENT
    )
    submit_text = models.CharField(_("submit button text"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("activity dialog")
        verbose_name_plural = _("activity dialogs")
        ordering = ["process", "name"]
        constraints = [
            models.UniqueConstraint(fields=["process", "name"], name="process_dialog_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def for_agents(self) -> bool:
        return self.interface in (Interface.AGENT, Interface.BOTH)

    def for_customers(self) -> bool:
        return self.interface in (Interface.CUSTOMER, Interface.BOTH)


class Transition(models.Model):
    """The sequence flow from one activity to the next: taken when its condition holds on the
    ticket (transitions of an activity are checked in their order, the first that holds
    wins), doing its actions on the way (GenericAgent's changes,
    :mod:`tickets.automation.changes`)."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("process")
    )
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)
    from_activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="outgoing", verbose_name=_("from")
    )
    to_activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="incoming", verbose_name=_("to")
    )
    # A condition tree (otrs.conditions) on the ticket's attributes; empty: always.
    condition = models.JSONField(
        _("condition"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    # GenericAgent's changes (tickets.automation.changes), applied when the transition fires.
    actions = models.JSONField(_("actions"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["process", "from_activity", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["process", "name"], name="process_transition_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TicketProcess(models.Model):
    """Where a process ticket stands: its process and current activity (Znuny keeps both in
    dynamic fields)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="process_place"
    )
    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("process ticket")
        verbose_name_plural = _("process tickets")

    def __str__(self) -> str:
        return f"{self.process} / {self.activity}"


class ProcessStep(models.Model):
    """One step of a process ticket (its start, a submitted dialog, or a change made elsewhere
    that let a transition hold) and the transitions it checked: which held, which did not and
    why, which one fired (the trace).

    A step after a change (``dialog_name`` empty) names the events that caused it
    (``trigger_events``), who made that change (``caused_by``) and how deep it stands in a
    chain of automatic changes (``depth``); ``trigger_key`` (the delivered batch and the
    ticket) makes a redelivered batch find its step and move nothing again.

    ``checks``: ``[{"transition": name, "from": activity name, "held": bool,
    "lines": [[condition line, held], ...], "to": activity name}, ...]``, in the order
    checked; names are kept as they were (a trace outlives renames)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="process_steps"
    )
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="+")
    dialog_name = models.CharField(_("dialog"), max_length=200, blank=True)
    activity_before = models.CharField(_("activity before"), max_length=200, blank=True)
    activity_after = models.CharField(_("activity after"), max_length=200, blank=True)
    checks = models.JSONField(_("transitions checked"), default=list, encoder=DjangoJSONEncoder)
    message = models.TextField(_("message"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    trigger_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    trigger_events = models.JSONField(_("after the events"), default=list, blank=True)
    caused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("change made by"),
    )
    depth = models.PositiveSmallIntegerField(_("depth in a chain of automatic changes"), default=0)

    class Meta:
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        ordering = ["ticket", "created_at", "pk"]
        indexes = [
            # A ticket's trace in order (the zoom and the admin).
            models.Index(fields=["ticket", "created_at"], name="process_step_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.dialog_name}: {self.activity_before} → {self.activity_after}"

    def fired(self) -> list[dict]:
        return [check for check in self.checks if check.get("held")]

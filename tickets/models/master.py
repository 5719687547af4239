"""Master data of the ticket domain: queues, states, priorities, types, services, SLAs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import Group
from otrs.calendars.models import Calendar

from ..choices import VIEWABLE_STATE_TYPES, FollowUpOption, StateType

HIERARCHY_SEPARATOR = "::"

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


class ValidQuerySet(models.QuerySet):
    def valid(self):
        return self.filter(is_valid=True)


class HierarchicalName(models.Model):
    """A name with an optional parent; ``full_name`` is ``Parent::Child`` as in OTRS.

    ``full_name`` is stored (unique, indexed) because trees are listed and sorted by it and
    mail filters address queues by it; saving a node rewrites the names below it.
    """

    name = models.CharField(_("name"), max_length=120)
    full_name = models.CharField(_("full name"), max_length=250, unique=True, editable=False)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)
    # The reverse side of ``parent`` in each concrete subclass (the stubs cannot infer it here).
    children: RelatedManager[HierarchicalName]

    objects = ValidQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            self.full_name = self._compute_full_name()
            super().save(*args, **kwargs)
            for child in self.children.all():
                child.save()

    def clean(self) -> None:
        if HIERARCHY_SEPARATOR in self.name:
            raise ValidationError(
                {"name": _("A name may not contain “::”; choose a parent instead.")}
            )
        node = self.parent
        while node is not None:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": _("A node cannot be its own ancestor.")})
            node = node.parent
        # ``full_name`` is unique but not a form field, so the form's unique check skips
        # it: without this, a duplicate name is an IntegrityError (a 500 in the admin).
        same = type(self)._default_manager.filter(full_name=self._compute_full_name())
        if same.exclude(pk=self.pk).exists():
            raise ValidationError(
                {
                    "name": _("“%(name)s” exists already here; choose another name.")
                    % {"name": self.name}
                }
            )

    @property
    def depth(self) -> int:
        return self.full_name.count(HIERARCHY_SEPARATOR)

    def _compute_full_name(self) -> str:
        if self.parent is None:
            return self.name
        return f"{self.parent.full_name}{HIERARCHY_SEPARATOR}{self.name}"


_NOTIFY_FIELDS = ("first_response_notify", "update_notify", "solution_notify")


def check_escalation_settings(obj: Queue | SLA) -> None:
    """Escalation settings of a queue or SLA: a calendar that exists (empty: the default),
    warning shares from 0 to 100 %. Times are minutes, 0 meaning none (as in OTRS)."""
    errors: dict[str, object] = {}
    for name in _NOTIFY_FIELDS:
        if getattr(obj, name) > 100:
            errors[name] = _("Enter a percentage from 0 to 100.")
    calendar = obj.calendar
    if calendar is not None and not calendar.is_valid:
        errors["calendar"] = _("There is no valid calendar “%(name)s”.") % {"name": calendar.name}
    if errors:
        raise ValidationError(errors)


class Queue(HierarchicalName):
    """Where tickets live; its group decides who may see and change them."""

    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="queues", verbose_name=_("group")
    )
    unlock_timeout = models.PositiveIntegerField(
        _("unlock timeout (minutes)"), default=0, help_text=_("0 means never.")
    )
    first_response_time = models.PositiveIntegerField(_("first response time (minutes)"), default=0)
    first_response_notify = models.PositiveSmallIntegerField(
        _("first response time: notify at (%)"), default=0
    )
    update_time = models.PositiveIntegerField(_("update time (minutes)"), default=0)
    update_notify = models.PositiveSmallIntegerField(_("update time: notify at (%)"), default=0)
    solution_time = models.PositiveIntegerField(_("solution time (minutes)"), default=0)
    solution_notify = models.PositiveSmallIntegerField(_("solution time: notify at (%)"), default=0)
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calendar"),
        help_text=_("Empty: the default calendar."),
    )
    follow_up = models.CharField(
        _("follow-up on closed tickets"),
        max_length=16,
        choices=FollowUpOption.choices,
        default=FollowUpOption.POSSIBLE,
    )
    follow_up_lock = models.BooleanField(
        _("lock ticket on follow-up"),
        default=False,
        help_text=_("Lock a closed ticket to its old owner when a follow-up reopens it."),
    )
    customer_selectable = models.BooleanField(
        _("customers may choose it"),
        default=False,
        help_text=_("Offered to customers for new tickets in the customer portal."),
    )
    system_address = models.ForeignKey(
        "tickets.SystemAddress",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("system address"),
        help_text=_("The sender of mail from this queue."),
    )
    salutation = models.ForeignKey(
        "tickets.Salutation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("salutation"),
    )
    signature = models.ForeignKey(
        "tickets.Signature",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signature"),
    )

    class Meta(HierarchicalName.Meta):
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def clean(self) -> None:
        super().clean()
        check_escalation_settings(self)


class StateQuerySet(ValidQuerySet):
    def of_types(self, *types: str):
        return self.filter(state_type__in=types)

    def viewable(self):
        return self.of_types(*VIEWABLE_STATE_TYPES)


class State(models.Model):
    """A ticket state; its type (new, open, closed, pending ..., merged) drives behaviour."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    state_type = models.CharField(_("state type"), max_length=20, choices=StateType.choices)
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)
    pauses_sla = models.BooleanField(
        _("pauses the SLA clocks"),
        default=False,
        help_text=_(
            "While a ticket is in this state its response and solution times stand still "
            "(on for the pending states by default)."
        ),
    )
    after_pending = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("state after pending"),
        help_text=_("For a pending auto state: the state a ticket gets when its time is up."),
    )

    objects = StateQuerySet.as_manager()

    class Meta:
        verbose_name = _("state")
        verbose_name_plural = _("states")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pending(self) -> bool:
        return self.state_type in (StateType.PENDING_REMINDER, StateType.PENDING_AUTO)

    @property
    def is_closed(self) -> bool:
        return self.state_type == StateType.CLOSED

    @property
    def is_merged(self) -> bool:
        return self.state_type == StateType.MERGED


class Priority(models.Model):
    """A priority from 1 (very low) to 5 (very high); 3 normal is the default."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    level = models.PositiveSmallIntegerField(_("level"), unique=True)
    is_valid = models.BooleanField(_("valid"), default=True)

    objects = ValidQuerySet.as_manager()

    class Meta:
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
        ordering = ["level"]

    def __str__(self) -> str:
        return self.name


class TicketType(models.Model):
    """A ticket type such as Unclassified, Incident or Service Request."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_default = models.BooleanField(_("default for new tickets"), default=False)
    customer_selectable = models.BooleanField(
        _("customers may choose it"),
        default=False,
        help_text=_("Offered to customers for new tickets in the customer portal."),
    )
    is_valid = models.BooleanField(_("valid"), default=True)

    objects = ValidQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_ticket_type",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Service(HierarchicalName):
    """A service offered to customers; hierarchical like queues."""

    customer_selectable = models.BooleanField(
        _("customers may choose it"),
        default=False,
        help_text=_("Offered to customers for new tickets in the customer portal."),
    )

    class Meta(HierarchicalName.Meta):
        verbose_name = _("service")
        verbose_name_plural = _("services")


class SLA(models.Model):
    """A service level agreement; its times replace the queue's when a ticket has it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    services = models.ManyToManyField(
        Service, related_name="slas", blank=True, verbose_name=_("services")
    )
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calendar"),
        help_text=_("Empty: the default calendar."),
    )
    first_response_time = models.PositiveIntegerField(_("first response time (minutes)"), default=0)
    first_response_notify = models.PositiveSmallIntegerField(
        _("first response time: notify at (%)"), default=0
    )
    update_time = models.PositiveIntegerField(_("update time (minutes)"), default=0)
    update_notify = models.PositiveSmallIntegerField(_("update time: notify at (%)"), default=0)
    solution_time = models.PositiveIntegerField(_("solution time (minutes)"), default=0)
    solution_notify = models.PositiveSmallIntegerField(_("solution time: notify at (%)"), default=0)
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)

    objects = ValidQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA")
        verbose_name_plural = _("SLAs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_escalation_settings(self)

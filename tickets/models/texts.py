"""What a queue says by mail: system addresses, salutations, signatures, answer templates and
auto responses (spec section 4). Texts are tag templates (``<OTRS_TICKET_Number>`` ...),
expanded by :mod:`tickets.mailtexts` when a mail is written."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import AutoResponseType, TemplateType
from .master import Queue, ValidQuerySet


class SystemAddress(models.Model):
    """An address we receive mail on and send from; mail to it is dispatched to its queue."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=200)
    queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        related_name="dispatching_addresses",
        verbose_name=_("queue"),
        help_text=_("Mail to this address without a ticket number opens a ticket here."),
    )
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)

    objects = ValidQuerySet.as_manager()

    class Meta:
        verbose_name = _("system address")
        verbose_name_plural = _("system addresses")
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class _Text(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    text = models.TextField(_("text"), blank=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)

    objects = ValidQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Salutation(_Text):
    class Meta(_Text.Meta):
        verbose_name = _("salutation")
        verbose_name_plural = _("salutations")


class Signature(_Text):
    class Meta(_Text.Meta):
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")


class StandardTemplate(_Text):
    """A ready answer (or note, forward ...) that agents pick in the queues it is linked to."""

    template_type = models.CharField(
        _("type"), max_length=20, choices=TemplateType.choices, default=TemplateType.ANSWER
    )
    queues = models.ManyToManyField(
        Queue, blank=True, related_name="standard_templates", verbose_name=_("queues")
    )

    class Meta(_Text.Meta):
        verbose_name = _("template")
        verbose_name_plural = _("templates")


class AutoResponse(_Text):
    """An automatic mail of one type; linked to queues through :class:`QueueAutoResponse`."""

    subject = models.CharField(_("subject"), max_length=250)
    response_type = models.CharField(_("type"), max_length=30, choices=AutoResponseType.choices)
    system_address = models.ForeignKey(
        SystemAddress,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sender"),
        help_text=_("Empty: the queue's system address."),
    )

    class Meta(_Text.Meta):
        verbose_name = _("auto response")
        verbose_name_plural = _("auto responses")


class QueueAutoResponse(models.Model):
    """At most one auto response of each type per queue (OTRS ``queue_auto_response``)."""

    queue = models.ForeignKey(
        Queue, on_delete=models.CASCADE, related_name="auto_responses", verbose_name=_("queue")
    )
    response_type = models.CharField(_("type"), max_length=30, choices=AutoResponseType.choices)
    auto_response = models.ForeignKey(
        AutoResponse, on_delete=models.CASCADE, related_name="links", verbose_name=_("response")
    )

    class Meta:
        verbose_name = _("queue auto response")
        verbose_name_plural = _("queue auto responses")
        constraints = [
            models.UniqueConstraint(
                fields=["queue", "response_type"], name="one_auto_response_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.queue} {self.response_type}"

    def save(self, *args, **kwargs) -> None:
        # The link's type is always its response's: the constraint counts on it.
        self.response_type = self.auto_response.response_type
        super().save(*args, **kwargs)


class PersonalQueue(models.Model):
    """A queue an agent follows ("My Queues"): notifications of new tickets and follow-ups."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_queues"
    )
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("personal queue")
        verbose_name_plural = _("personal queues")
        constraints = [
            models.UniqueConstraint(fields=["user", "queue"], name="uniq_personal_queue")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.queue_id}"

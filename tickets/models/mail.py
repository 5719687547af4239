"""The ticket e-mail channel's tables: the raw inbound store with its ticket link (and
quarantine), postmaster filters, how a mail account dispatches into queues, and which queued
mail carries which ticket's mail.

The transport below (:mod:`otrs.mail`) knows none of these: it hands raw bytes to the channel
(:mod:`tickets.postmaster.intake`) and reports delivery outcomes by message id
(:mod:`tickets.deliveries`). The inbound store and the filters were ``otrs.mail`` models once;
they keep their tables (``mail_*``), see migration ``0007_mail_channel``.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- mail accounts' dispatch -------------------------------------------------------------------


class Dispatch(models.TextChoices):
    QUEUE = "queue", _("into the account's queue")
    RECIPIENT = "recipient", _("by recipient (system addresses)")


class MailAccountDispatch(models.Model):
    """Where the mail fetched from one account goes (OTRS ``mail_account.queue_id`` and
    ``dispatching_by``); an account without a row dispatches by recipient."""

    account = models.OneToOneField(
        "mail.MailAccount",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="dispatching",
        verbose_name=_("mail account"),
    )
    dispatch = models.CharField(
        _("dispatching"), max_length=20, choices=Dispatch.choices, default=Dispatch.RECIPIENT
    )
    queue = models.ForeignKey(
        "tickets.Queue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("queue"),
        help_text=_("Required when dispatching into the account's queue."),
    )

    class Meta:
        verbose_name = _("dispatching")
        verbose_name_plural = _("dispatching")

    def __str__(self) -> str:
        return f"{self.account}: {self.get_dispatch_display()}"

    @property
    def forced_queue(self):
        """The queue every message of the account goes into, or None (by recipient)."""
        return self.queue if self.dispatch == Dispatch.QUEUE else None


# --- the raw inbound store ---------------------------------------------------------------------


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("received, not processed yet")
    PROCESSED = "processed", _("processed")
    IGNORED = "ignored", _("ignored by a filter")
    QUARANTINED = "quarantined", _("quarantined")


class InboundSource(models.TextChoices):
    PIPE = "pipe", _("MTA pipe")
    ACCOUNT = "account", _("mail account")
    UPLOAD = "upload", _("uploaded by an administrator")
    LMTP = "lmtp", _("LMTP delivery")


class Outcome(models.TextChoices):
    NEW_TICKET = "new_ticket", _("new ticket")
    FOLLOW_UP = "follow_up", _("follow-up")
    REJECTED = "rejected", _("follow-up rejected (stored on the closed ticket)")
    NEW_TICKET_FOR_CLOSED = "new_ticket_for_closed", _("new ticket for a closed one")
    BOUNCE = "bounce", _("bounce of our mail")
    IGNORED = "ignored", _("ignored")
    DUPLICATE = "duplicate", _("already stored")


class InboundMessage(models.Model):
    """One received mail, stored before anything else happens to it (design rule 7).

    A message that fails to process stays here, quarantined with its error, until an
    administrator reprocesses it. Once processed, its raw bytes live on in the article
    (``ArticleRaw``) and are cleared here; the hash stays to recognise a re-delivery.
    """

    raw = models.BinaryField(_("raw message"))
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, db_index=True)
    message_id = models.TextField(_("message id"), blank=True)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    from_address = models.TextField(_("from"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    account = models.ForeignKey(
        "mail.MailAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mail account"),
    )
    trusted = models.BooleanField(_("trusted"), default=False)
    forced_queue = models.ForeignKey(
        "tickets.Queue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("forced queue"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    article = models.ForeignKey(
        "tickets.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("article"),
    )

    class Meta:
        db_table = "mail_inboundmessage"
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status")]

    # Set by tickets.postmaster.intake.receive on the row it returns for a re-delivery.
    is_duplicate = False

    def __str__(self) -> str:
        return self.subject or self.message_id or f"#{self.pk}"


# --- postmaster filters ------------------------------------------------------------------------


class PostmasterFilter(models.Model):
    """Match header rules (all must hold) and set X-OTRS headers; run in name order."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    stop = models.BooleanField(
        _("stop after match"), default=False, help_text=_("Later filters do not run.")
    )
    is_valid = models.BooleanField(_("valid"), default=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)

    class Meta:
        db_table = "mail_postmasterfilter"
        verbose_name = _("postmaster filter")
        verbose_name_plural = _("postmaster filters")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FilterMatch(models.Model):
    """One header rule of a filter: the header's value must (or must not) match."""

    filter = models.ForeignKey(PostmasterFilter, on_delete=models.CASCADE, related_name="matches")
    header = models.CharField(
        _("header"), max_length=200, help_text=_("For example From, Subject or X-Spam-Flag.")
    )
    pattern = models.CharField(
        _("regular expression"),
        max_length=1000,
        help_text=_("Case-insensitive; EMAILADDRESS:<expression> tests each address."),
    )
    negate = models.BooleanField(_("must not match"), default=False)

    class Meta:
        db_table = "mail_filtermatch"
        verbose_name = _("match rule")
        verbose_name_plural = _("match rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.header} {'!~' if self.negate else '=~'} {self.pattern}"


class FilterSet(models.Model):
    """One header a matching filter sets on the mail."""

    filter = models.ForeignKey(PostmasterFilter, on_delete=models.CASCADE, related_name="sets")
    header = models.CharField(
        _("header"), max_length=200, help_text=_("An X-OTRS-* header, such as X-OTRS-Queue.")
    )
    value = models.CharField(
        _("value"),
        max_length=1000,
        help_text=_("[***] is the first group of the last match; [** \\name **] a named group."),
    )

    class Meta:
        db_table = "mail_filterset"
        verbose_name = _("set rule")
        verbose_name_plural = _("set rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.header}: {self.value}"


# --- deliveries of ticket mail -----------------------------------------------------------------


class MailDelivery(models.Model):
    """Which queued mail (:class:`otrs.mail.models.OutboundMessage`) carries a ticket's mail,
    and of which article; how it fared is on the queued message."""

    message = models.OneToOneField(
        "mail.OutboundMessage",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ticket_delivery",
        verbose_name=_("outgoing message"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="mail_deliveries",
        verbose_name=_("ticket"),
    )
    article = models.ForeignKey(
        "tickets.Article",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("article"),
    )

    class Meta:
        verbose_name = _("mail delivery")
        verbose_name_plural = _("mail deliveries")

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.article_id or '-'}: {self.message_id}"

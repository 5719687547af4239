"""The email channel's tables: mail accounts, the raw inbound store (and its quarantine),
postmaster filters, the outgoing queue and the loop-protection counters."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- mail accounts -----------------------------------------------------------------------------


class Protocol(models.TextChoices):
    IMAP = "imap", _("IMAP")
    IMAP_STARTTLS = "imap_starttls", _("IMAP with STARTTLS")
    IMAPS = "imaps", _("IMAPS (TLS)")
    POP3 = "pop3", _("POP3")
    POP3_STARTTLS = "pop3_starttls", _("POP3 with STLS")
    POP3S = "pop3s", _("POP3S (TLS)")


DEFAULT_PORTS = {
    Protocol.IMAP: 143,
    Protocol.IMAP_STARTTLS: 143,
    Protocol.IMAPS: 993,
    Protocol.POP3: 110,
    Protocol.POP3_STARTTLS: 110,
    Protocol.POP3S: 995,
}


class Dispatch(models.TextChoices):
    QUEUE = "queue", _("into the account's queue")
    RECIPIENT = "recipient", _("by recipient (system addresses)")


class AfterFetch(models.TextChoices):
    DELETE = "delete", _("delete it from the server")
    MARK_SEEN = "seen", _("keep it, marked as read (IMAP only)")


class MailAccount(models.Model):
    """A mailbox the daemon fetches from (OTRS ``mail_account``)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    protocol = models.CharField(_("protocol"), max_length=20, choices=Protocol.choices)
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), null=True, blank=True, help_text=_("Empty: the protocol's standard port.")
    )
    login = models.CharField(_("login"), max_length=255)
    password = models.CharField(_("password"), max_length=255)
    folder = models.CharField(
        _("IMAP folder"), max_length=255, default="INBOX", help_text=_("Ignored for POP3.")
    )
    verify_certificate = models.BooleanField(
        _("verify the server's certificate"),
        default=True,
        help_text=_("Turn off only for a server with a self-signed certificate you trust."),
    )
    trusted = models.BooleanField(
        _("trusted"),
        default=False,
        help_text=_("Honour X-OTRS-* headers in mail from this account."),
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
    after_fetch = models.CharField(
        _("after storing a message"),
        max_length=10,
        choices=AfterFetch.choices,
        default=AfterFetch.DELETE,
    )
    interval_minutes = models.PositiveIntegerField(_("fetch every (minutes)"), default=10)
    is_valid = models.BooleanField(_("valid"), default=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    last_fetch_at = models.DateTimeField(_("last fetched"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("mail account")
        verbose_name_plural = _("mail accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[Protocol(self.protocol)]


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
        MailAccount,
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
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status")]

    # Set by otrs.mail.inbound.receive on the row it returns for a re-delivered message.
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
        verbose_name = _("postmaster filter")
        verbose_name_plural = _("postmaster filters")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FilterMatch(models.Model):
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
        verbose_name = _("match rule")
        verbose_name_plural = _("match rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.header} {'!~' if self.negate else '=~'} {self.pattern}"


class FilterSet(models.Model):
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
        verbose_name = _("set rule")
        verbose_name_plural = _("set rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.header}: {self.value}"


# --- the outgoing queue ------------------------------------------------------------------------


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    # Claimed by a worker that is talking to the mail server right now; ``next_attempt_at``
    # is then when that claim runs out (a worker that died mid-send is retried after it).
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed for good")
    BOUNCED = "bounced", _("bounced")


class OutboundKind(models.TextChoices):
    ARTICLE = "article", _("ticket article")
    AUTO_RESPONSE = "auto_response", _("auto response")
    AGENT_NOTIFICATION = "agent_notification", _("agent notification")
    CUSTOMER_NOTIFICATION = "customer_notification", _("customer notification")
    SYSTEM = "system", _("system mail")


class OutboundMessage(models.Model):
    """A mail waiting to go out, or gone; the daemon sends it after the commit that made it."""

    kind = models.CharField(_("kind"), max_length=24, choices=OutboundKind.choices)
    envelope_from = models.CharField(_("envelope sender"), max_length=255)
    recipients = models.JSONField(_("recipients"), default=list)
    raw = models.BinaryField(_("message"))
    message_id = models.TextField(_("message id"), blank=True)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_messages",
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
    status = models.CharField(
        _("status"), max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Set by a caller that may run twice for the same reason (an event handler given the same
    # batch again): a second message with the same key is never queued (see enqueue()).
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=255, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_due")]

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"


class LoopProtection(models.Model):
    """How many automatic mails went to an address on one day (OTRS PostmasterMaxEmails)."""

    address = models.CharField(max_length=255)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address", "day"], name="uniq_loop_protection")
        ]

    def __str__(self) -> str:
        return f"{self.address} {self.day}: {self.count}"

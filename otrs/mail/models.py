"""The mail transport's tables: mail accounts (where to fetch from), the outgoing queue and the
loop-protection counters.

Nothing here refers to a domain app: what a fetched mail becomes, where an account's mail is
dispatched and which ticket a queued mail belongs to are the ticket e-mail channel's tables
(:mod:`tickets.models.mail`)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import hooks

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


class AfterFetch(models.TextChoices):
    DELETE = "delete", _("delete it from the server")
    MARK_SEEN = "seen", _("keep it, marked as read (IMAP only)")


class AuthMethod(models.TextChoices):
    PASSWORD = "password", _("password")
    OAUTH2 = "oauth2", _("OAuth2 (XOAUTH2)")


class OAuthProvider(models.TextChoices):
    MICROSOFT = "microsoft", _("Microsoft 365")
    GOOGLE = "google", _("Google Workspace")
    CUSTOM = "custom", _("other (own authorization and token URLs)")


class TokenState(models.TextChoices):
    NONE = "", _("not connected")
    CONNECTED = "connected", _("connected")
    NEEDS_RECONNECT = "needs_reconnect", _("needs reconnecting")


# Why a fetch failed, stored on the account as a code with its figures (``last_error_code``,
# ``last_error_params``) and put into words in the reader's language when shown, as the
# inbound store's quarantine reasons are. ``reason`` and ``error`` are the technical detail
# (a server's or library's own words, never translated).
FETCH_ERROR_TEXTS = {
    "lock": _("The fetch lock could not be taken (%(reason)s); nothing was fetched."),
    "store_database": _(
        "A message could not be stored (database error: %(reason)s); it stays on the server "
        "with the ones after it for the next run."
    ),
    "store": _(
        "A message could not be stored (%(reason)s); it stays on the server with the ones "
        "after it for the next run."
    ),
    "protocol": _("Unknown protocol “%(protocol)s”."),
    "no_starttls": _(
        "%(server)s does not offer STARTTLS; the password is not sent unencrypted. Choose "
        "plain IMAP or IMAPS if that is what it speaks."
    ),
    "no_stls": _(
        "%(server)s does not offer STLS (%(reason)s); the password is not sent unencrypted. "
        "Choose plain POP3 or POP3S if that is what it speaks."
    ),
    "pop3_keep": _(
        "POP3 cannot mark messages as read, only delete them: set the account to delete "
        "fetched mail, or use IMAP."
    ),
    "folder": _("The folder %(folder)s cannot be opened: %(reason)s"),
    "list": _("Listing the messages failed: %(reason)s"),
    "download": _("Downloading message %(uid)s failed: %(reason)s"),
    "mark": _("Marking message %(uid)s on the server failed: %(reason)s"),
    "expunge": _("Deleting the fetched messages failed: %(reason)s"),
    "login": _("%(server)s refused the login %(login)s: %(reason)s"),
    "certificate": _(
        "The certificate of %(server)s is not trusted: %(reason)s. If you trust this server "
        "(a self-signed certificate), turn off certificate verification for the account."
    ),
    "tls": _("The TLS connection to %(server)s failed: %(reason)s"),
    "refused": _("%(server)s refused the connection (are the host and port right?)."),
    "dns": _("The host name %(host)s cannot be resolved: %(reason)s"),
    "timeout": _("%(server)s did not answer within %(seconds)d seconds."),
    "connection": _("The connection to %(server)s failed: %(reason)s"),
    "server": _("%(server)s answered with an error: %(reason)s"),
    "unexpected": _("Unexpected error: %(reason)s"),
    "oauth_reconnect": _(
        "The OAuth2 token can no longer be refreshed (%(error)s): connect the account again."
    ),
    "oauth_refresh": _("Refreshing the access token failed: %(error)s"),
    "oauth_no_token": _("The provider answered without an access token."),
    "oauth_setup": _("Set the client ID (and for “other”, the URLs) first."),
    "oauth_refused": _("The provider refused the authorization: %(error)s"),
    "oauth_unreachable": _("The token endpoint could not be reached: %(reason)s"),
    "oauth_busy": _("Another refresh of this account's token is still running."),
    "oauth_no_refresh": _("No OAuth2 refresh token is stored: connect the account again."),
}


def fetch_error_text(code: str, params: dict | None) -> str:
    """The sentence for a fetch error code in the active language ("" for an unknown code)."""
    text = FETCH_ERROR_TEXTS.get(code)
    if text is None:
        return ""
    try:
        return str(text) % (params or {})
    except (KeyError, TypeError, ValueError):
        # Figures that do not fit the sentence (a code's wording changed): the sentence alone.
        return str(text).split("%(")[0].rstrip(" (:") or code


class MailAccount(models.Model):
    """A mailbox the daemon fetches from (OTRS ``mail_account``); where its mail goes is the
    receiver's business (the ticket channel keeps it in ``tickets.MailAccountDispatch``)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    protocol = models.CharField(_("protocol"), max_length=20, choices=Protocol.choices)
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), null=True, blank=True, help_text=_("Empty: the protocol's standard port.")
    )
    login = models.CharField(_("login"), max_length=255)
    auth_method = models.CharField(
        _("authentication"),
        max_length=10,
        choices=AuthMethod.choices,
        default=AuthMethod.PASSWORD,
    )
    password = models.CharField(_("password"), max_length=255, blank=True)
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
    # The last fetch's failure: a code of FETCH_ERROR_TEXTS and its figures, shown in the
    # reader's language (``last_error_text``); ``last_error`` holds only a sentence stored
    # before failures were codes (or one no code matched), shown as it is.
    last_error_code = models.CharField(_("last error"), max_length=20, blank=True, editable=False)
    last_error_params = models.JSONField(default=dict, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    # Counters for the mail-health page (otrs.mail.health).
    fetched_total = models.PositiveBigIntegerField(_("messages fetched"), default=0, editable=False)
    fetched_last_run = models.PositiveIntegerField(
        _("messages fetched in the last run"), default=0, editable=False
    )
    consecutive_failures = models.PositiveIntegerField(
        _("failures in a row"), default=0, editable=False
    )

    # --- OAuth2 (otrs.mail.oauth); used when auth_method is OAuth2 ---
    oauth_provider = models.CharField(
        _("OAuth2 provider"), max_length=12, choices=OAuthProvider.choices, blank=True
    )
    oauth_client_id = models.CharField(_("client ID"), max_length=255, blank=True)
    oauth_client_secret = models.CharField(_("client secret"), max_length=1000, blank=True)
    oauth_authorize_url = models.URLField(
        _("authorization URL"), max_length=500, blank=True, help_text=_("Only for “other”.")
    )
    oauth_token_url = models.URLField(
        _("token URL"), max_length=500, blank=True, help_text=_("Only for “other”.")
    )
    oauth_scopes = models.CharField(
        _("scopes"),
        max_length=1000,
        blank=True,
        help_text=_("Separated by spaces. Empty: the provider's defaults for mail."),
    )
    # The tokens are secrets: never shown in a page, a log line or an error text.
    oauth_access_token = models.TextField(blank=True, editable=False)
    oauth_refresh_token = models.TextField(blank=True, editable=False)
    oauth_expires_at = models.DateTimeField(
        _("access token expires"), null=True, blank=True, editable=False
    )
    oauth_state = models.CharField(
        _("token state"),
        max_length=16,
        choices=TokenState.choices,
        blank=True,
        default=TokenState.NONE,
        editable=False,
    )
    oauth_error = models.TextField(_("token error"), blank=True, editable=False)
    # SQLite only (no row locks there): a refresh under way claims the account until then.
    oauth_refresh_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    oauth_connected_at = models.DateTimeField(_("connected"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("mail account")
        verbose_name_plural = _("mail accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[Protocol(self.protocol)]

    @property
    def uses_oauth(self) -> bool:
        return self.auth_method == AuthMethod.OAUTH2

    @property
    def oauth_error_text(self) -> str:
        """Why the OAuth2 token cannot be refreshed, as one sentence in the active language
        (``oauth_error`` holds only the provider's own words); "" when it can."""
        if self.oauth_error:
            return fetch_error_text("oauth_reconnect", {"error": self.oauth_error})
        if self.oauth_state == TokenState.NEEDS_RECONNECT:
            return fetch_error_text("oauth_no_refresh", {})
        return ""

    @property
    def last_error_text(self) -> str:
        """The last fetch's failure in the active language; "" when it went well."""
        if self.last_error_code:
            return fetch_error_text(self.last_error_code, self.last_error_params)
        return self.last_error


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
    # The bytes to send: here, or (``raw`` empty) the channel's raw mail store holds them as
    # ``raw_blob_id``, shared with the article that shows them (stored once; see
    # :func:`otrs.mail.hooks.set_raw_store`). No foreign key: the store belongs to the
    # channel above the transport; the article's own reference keeps the row alive.
    raw = models.BinaryField(_("message"), blank=True)
    raw_blob_id = models.BigIntegerField(null=True, blank=True, editable=False, db_index=True)
    message_id = models.TextField(_("message id"), blank=True)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # When the current round of attempts began (queued, or queued again by an operator): the
    # lifetime and the admins' alert count from here.
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    # When the administrators were told this message keeps failing (once per round).
    alerted_at = models.DateTimeField(_("admins alerted"), null=True, blank=True)
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

    def content(self) -> bytes:
        """The bytes of the message, wherever they are kept."""
        if self.raw_blob_id is not None:
            return hooks.read_raw(self.raw_blob_id)
        return bytes(self.raw)


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

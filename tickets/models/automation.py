"""GenericAgent: jobs that select tickets and change them, and the trace of every run."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# OTRS Ticket::GenericAgentRunLimit: a job touches at most this many tickets per run unless
# it says otherwise.
DEFAULT_RUN_LIMIT = 4000


class GenericAgentJob(models.Model):
    """A GenericAgent job: a ticket selection, when it runs and what it changes.

    ``selection`` is a condition tree (:mod:`otrs.conditions`) on the ticket attributes of
    :mod:`tickets.automation.attributes`; ``changes`` maps change names to raw values (ids,
    codes) as :mod:`tickets.automation.changes` reads them. Only the actions in
    :mod:`tickets.automation.actions` write jobs (they keep the beat schedule in step)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    valid = models.BooleanField(_("active"), default=False)
    selection = models.JSONField(
        _("selection"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    # A cron expression (minute hour day-of-month month day-of-week) in the daemon's time zone;
    # empty: no schedule.
    schedule = models.CharField(_("schedule (cron)"), max_length=100, blank=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # Ticket event names (TicketEvent values); the job then runs for the ticket of the event.
    events = models.JSONField(_("events"), default=list, blank=True)
    # {payload key: [accepted values as text]}; every key must match (empty: any event).
    event_filter = models.JSONField(_("event filter"), default=dict, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    run_limit = models.PositiveIntegerField(
        _("at most N tickets per run"), default=DEFAULT_RUN_LIMIT
    )
    # Who the changes are made as; empty: the system user.
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("run as"),
    )
    # Claimed by a conditional update while a scheduled or manual run is in progress, so that
    # two workers never run the same job at once.
    running_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("GenericAgent job")
        verbose_name_plural = _("GenericAgent jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("schedule")
    EVENT = "event", _("event")
    MANUAL = "manual", _("manual")
    COMMAND = "command", _("command")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    NOTHING_MATCHED = "nothing_matched", _("nothing matched")
    WITH_FAILURES = "with_failures", _("done with failures")
    FAILED = "failed", _("failed")
    LOOP_STOPPED = "loop_stopped", _("stopped: event loop")
    REFUSED = "refused", _("refused")


class GenericAgentRun(models.Model):
    """One run of one job (a dry run too): what it matched, changed, skipped and why."""

    job = models.ForeignKey(
        GenericAgentJob, on_delete=models.CASCADE, related_name="runs", verbose_name=_("job")
    )
    job_name = models.CharField(_("job name"), max_length=200)
    trigger = models.CharField(_("trigger"), max_length=10, choices=RunTrigger.choices)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # The outbox event that triggered the run (its id): a redelivered event finds its run here.
    event_id = models.BigIntegerField(_("event"), null=True, blank=True)
    event_name = models.CharField(_("event name"), max_length=100, blank=True)
    # How many GenericAgent runs led to the event that triggered this one (0: a person's or
    # the schedule's change).
    depth = models.PositiveIntegerField(_("event depth"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    limit = models.PositiveIntegerField(_("limit"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # Matched but not taken because of the limit.
    over_limit = models.PositiveIntegerField(_("left over by the limit"), default=0)

    class Meta:
        verbose_name = _("GenericAgent run")
        verbose_name_plural = _("GenericAgent runs")
        ordering = ["-started_at", "-pk"]
        constraints = [
            # An event-triggered job runs once per event, whatever the redeliveries (other
            # runs have no event: NULLs never collide).
            models.UniqueConstraint(
                fields=["job", "event_id"], name="genericagent_run_once_per_event"
            ),
        ]
        indexes = [
            # A job's runs, latest first (the job's admin page).
            models.Index(fields=["job", "started_at"], name="genericagent_run_job"),
        ]

    def __str__(self) -> str:
        return f"{self.job_name} #{self.pk}"


class ItemOutcome(models.TextChoices):
    CHANGED = "changed", _("changed")
    WOULD_CHANGE = "would_change", _("would change")
    SKIPPED = "skipped", _("skipped")
    FAILED = "failed", _("failed")


class GenericAgentRunItem(models.Model):
    """What one run did (or would do) to one ticket, or why it did not."""

    run = models.ForeignKey(GenericAgentRun, on_delete=models.CASCADE, related_name="items")
    # Plain values, not a foreign key: the trace outlives a ticket the job deleted.
    ticket_id = models.BigIntegerField(_("ticket id"))
    ticket_number = models.CharField(_("ticket number"), max_length=50)
    outcome = models.CharField(_("outcome"), max_length=20, choices=ItemOutcome.choices)
    # [[change name, old raw value, new raw value], ...]
    changes = models.JSONField(_("changes"), default=list, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("GenericAgent run ticket")
        verbose_name_plural = _("GenericAgent run tickets")
        ordering = ["pk"]
        indexes = [models.Index(fields=["ticket_id"], name="genericagent_item_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket_number}: {self.outcome}"


class AclRule(models.Model):
    """An ACL (spec section 10): when its properties hold (a condition on the ticket, the
    agent and the screen), it restricts the values a form offers.

    ``changes`` maps a field (``queue``, ``state``, ``priority``, ``type``, ``service``,
    ``sla``) to ``{"possible": [ids], "possible_add": [ids], "possible_not": [ids]}``; rules
    apply in name order (see :mod:`tickets.automation.acl`)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    valid = models.BooleanField(_("active"), default=True)
    stop_after_match = models.BooleanField(_("stop after match"), default=False)
    properties = models.JSONField(
        _("properties"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("ACL")
        verbose_name_plural = _("ACLs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NotificationRecipient(models.TextChoices):
    """Who a notification goes to, by their part in the ticket (OTRS recipient keywords)."""

    OWNER = "owner", _("the owner")
    RESPONSIBLE = "responsible", _("the responsible agent")
    WATCHERS = "watchers", _("the watchers")
    MY_QUEUES = "my_queues", _("agents who chose the ticket's queue in “My queues”")
    WRITE_PERMISSIONS = "write_permissions", _("agents with rw on the ticket's queue")
    # The agent the event's data names as ``new``: the new owner, the new responsible, the
    # agent mentioned.
    NAMED = "named", _("the agent the change names (new owner, new responsible, mentioned)")
    # OTRS Customer: the ticket's customer user (or the mail address the ticket was opened
    # from); gets the mail as an Email article of the system.
    CUSTOMER = "customer", _("the ticket's customer")


class NotificationTransport(models.TextChoices):
    """How a notification reaches an agent (OTRS Transports: Email, Web)."""

    EMAIL = "email", _("email")
    # OTRS's "Web" (NotificationView): a WebNotification the agent sees in the agent portal.
    WEB = "web", _("in the agent portal")


def default_transports() -> list[str]:
    return [NotificationTransport.EMAIL]


class TicketNotification(models.Model):
    """A ticket notification (spec section 11) to agents, the customer or given addresses:
    on which events, for which tickets and articles, to whom, and with which text per
    language.

    ``events`` holds ticket event names (:class:`tickets.events.TicketEvent`) and the article
    kinds ``FollowUp`` and ``AddNote`` (an ArticleCreate of that history type); ``ticket_filter``
    is a condition tree (:mod:`otrs.conditions`) on the ticket attributes of
    :mod:`tickets.automation.attributes`. ``key`` names the notification in the agents'
    preferences and in the trace. Sent by :mod:`tickets.notifications`."""

    key = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    comment = models.TextField(_("comment"), blank=True)
    valid = models.BooleanField(_("active"), default=True)
    events = models.JSONField(_("events"), default=list, blank=True)
    ticket_filter = models.JSONField(
        _("ticket filter"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    # Empty: any. Raw codes (SenderType, Channel values).
    article_sender_types = models.JSONField(_("article sender types"), default=list, blank=True)
    article_channels = models.JSONField(_("article channels"), default=list, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    recipient_agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("agents")
    )
    # Agents with ro (or more) on these groups, directly or through a role.
    recipient_groups = models.ManyToManyField(
        "accounts.Group", blank=True, related_name="+", verbose_name=_("agents of groups")
    )
    recipient_roles = models.ManyToManyField(
        "accounts.Role", blank=True, related_name="+", verbose_name=_("agents of roles")
    )
    # One address per line; they get the mail whatever their access.
    recipient_addresses = models.TextField(_("further addresses"), blank=True)
    # NotificationTransport values, one or both. The customer and given addresses get mail
    # whatever is ticked; agents get what is ticked.
    transports = models.JSONField(_("transports"), default=default_transports, blank=True)
    once_per_day = models.BooleanField(_("once per day"), default=False)
    agent_may_choose = models.BooleanField(
        _("agents may switch it off in their preferences"), default=True
    )
    enabled_by_default = models.BooleanField(_("on unless the agent switched it off"), default=True)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket notification")
        verbose_name_plural = _("ticket notifications")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketNotificationText(models.Model):
    """The subject and body of a notification in one language, with OTRS tags."""

    notification = models.ForeignKey(
        TicketNotification, on_delete=models.CASCADE, related_name="texts"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("notification text")
        verbose_name_plural = _("notification texts")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "language"], name="notification_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.language}"


class NotificationOutcome(models.TextChoices):
    SENT = "sent", _("sent")
    SKIPPED = "skipped", _("skipped")


class NotificationSkip(models.TextChoices):
    """Why a notification did not go to a candidate (or to anybody)."""

    FILTER = "filter", _("the ticket or article does not match the filter")
    ACTOR = "actor", _("made the change")
    SYSTEM = "system", _("the system user")
    INACTIVE = "inactive", _("not an active agent")
    NO_ADDRESS = "no_address", _("no mail address")
    MAY_NOT_READ = "may_not_read", _("may not read the ticket")
    PREFERENCE = "preference", _("switched off in the preferences")
    ONCE_PER_DAY = "once_per_day", _("had it today already")
    MENTIONED = "mentioned", _("gets the mention instead")
    NO_TEXT = "no_text", _("the notification has no text")
    NO_CUSTOMER = "no_customer", _("the ticket has no customer who can be written to")
    DAILY_LIMIT = "daily_limit", _("the address had its automatic mails for today")


class NotificationTrace(models.Model):
    """One decision of the notification sender: sent to whom, or skipped and why."""

    notification = models.ForeignKey(
        TicketNotification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="traces",
        verbose_name=_("notification"),
    )
    notification_name = models.CharField(_("notification"), max_length=200)
    # Plain values: the trace outlives tickets and users.
    ticket_id = models.BigIntegerField(_("ticket id"))
    ticket_number = models.CharField(_("ticket number"), max_length=50)
    event_name = models.CharField(_("event"), max_length=100)
    recipient_id = models.BigIntegerField(_("recipient id"), null=True, blank=True)
    recipient = models.CharField(_("recipient"), max_length=250, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=NotificationOutcome.choices)
    reason = models.CharField(
        _("reason"), max_length=20, choices=NotificationSkip.choices, blank=True
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification trace")
        verbose_name_plural = _("notification traces")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # "Once per day": what this notification sent this recipient since midnight.
            models.Index(
                fields=["notification", "recipient", "created_at"], name="notification_trace_once"
            ),
            # A ticket's traces (linked from the admin).
            models.Index(fields=["ticket_id"], name="notification_trace_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_name} {self.ticket_number} {self.recipient}"


class WebNotification(models.Model):
    """A notification shown to one agent in the agent portal (OTRS's Web transport), until
    they mark it read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("agent"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    notification = models.ForeignKey(
        TicketNotification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("notification"),
    )
    event_name = models.CharField(_("event"), max_length=100)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("text"))
    # The permission that let the agent be told ("ro", or "note" for a note or mention): the
    # portal shows it only while the agent still holds it on the ticket.
    need = models.CharField(_("permission"), max_length=20, default="ro")
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The sender's key (delivery, event, notification, recipient): a redelivered batch makes
    # no second one.
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=255, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("notification in the agent portal")
        verbose_name_plural = _("notifications in the agent portal")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The bell's count and the list: an agent's unread ones, newest first.
            models.Index(fields=["user", "read_at", "-created_at"], name="web_notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.subject}"

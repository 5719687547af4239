"""Agents, customers' logins, permission groups, roles and the grants between them."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otrs.permissions.keys import PermissionKey

SYSTEM_USERNAME = "system"


class UserKind(models.TextChoices):
    AGENT = "agent", _("agent")
    CUSTOMER = "customer", _("customer")
    SYSTEM = "system", _("system")


class User(AbstractUser):
    """A login: an agent, a customer user, or the built-in system actor (OTRS user 1)."""

    kind = models.CharField(
        _("kind"), max_length=16, choices=UserKind.choices, default=UserKind.AGENT
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    rows_per_page = models.PositiveSmallIntegerField(_("rows per page"), default=25)
    # The agent portal's colours: "auto" (or empty, as forms that predate the setting save
    # it) follows the system's light or dark setting.
    theme = models.CharField(
        _("theme"),
        max_length=8,
        choices=[("auto", _("As the system")), ("light", _("Light")), ("dark", _("Dark"))],
        default="auto",
        blank=True,
    )
    # The agent's own keys for the "g then key" shortcuts, by menu entry ({"nav:queues": "k"};
    # "" switches one off; a missing entry means the app's default; otrs/agent/shortcuts.py).
    shortcuts = models.JSONField(_("keyboard shortcuts"), default=dict, blank=True)
    # Agent notification choices by notification key (tickets.notifications); a missing key
    # means the notification's default.
    notification_preferences = models.JSONField(
        _("notification preferences"), default=dict, blank=True
    )
    # The columns of the agent's ticket lists, in order, per overview ({"queue": ["number",
    # "title", "field:Topic"]}); a missing overview shows the default (tickets.columns).
    list_columns = models.JSONField(_("list columns"), default=dict, blank=True)
    # The dashboard's widgets, in order (["locked", "escalated"]); empty: all, in the
    # default order (tickets.dashboard).
    dashboard_widgets = models.JSONField(_("dashboard widgets"), default=list, blank=True)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    @property
    def is_agent(self) -> bool:
        return self.kind == UserKind.AGENT

    @property
    def is_customer(self) -> bool:
        return self.kind == UserKind.CUSTOMER

    @property
    def is_system(self) -> bool:
        return self.kind == UserKind.SYSTEM


def system_user() -> User:
    """The actor of automatic changes; created by the accounts migrations."""
    return User.objects.get(username=SYSTEM_USERNAME, kind=UserKind.SYSTEM)


class Group(models.Model):
    """A permission group; each queue belongs to one, and grants are given per group."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A named bundle of group grants that agents can be members of."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)
    members = models.ManyToManyField(
        User,
        related_name="agent_roles",
        blank=True,
        verbose_name=_("members"),
        limit_choices_to={"kind": UserKind.AGENT},
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GroupGrant(models.Model):
    """One permission key of one agent on one group (OTRS ``group_user``)."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="group_grants",
        verbose_name=_("agent"),
        limit_choices_to={"kind": UserKind.AGENT},
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="user_grants", verbose_name=_("group")
    )
    key = models.CharField(_("permission"), max_length=16, choices=PermissionKey.choices)

    class Meta:
        verbose_name = _("agent grant")
        verbose_name_plural = _("agent grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "group", "key"], name="uniq_group_grant")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.key} {self.group}"


class RoleGrant(models.Model):
    """One permission key of one role on one group (OTRS ``group_role``)."""

    role = models.ForeignKey(
        Role, on_delete=models.CASCADE, related_name="grants", verbose_name=_("role")
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="role_grants", verbose_name=_("group")
    )
    key = models.CharField(_("permission"), max_length=16, choices=PermissionKey.choices)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["role", "group", "key"], name="uniq_role_grant")
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.key} {self.group}"


class ThrottleScope(models.TextChoices):
    """What is being tried. Each scope counts on its own: failures at the customer portal
    never slow an agent's sign-in, nor the admin's."""

    AGENT_SIGN_IN = "agent-sign-in", _("agent sign-in")
    CUSTOMER_SIGN_IN = "customer-sign-in", _("customer sign-in")
    ADMIN_SIGN_IN = "admin-sign-in", _("admin sign-in")
    PASSWORD_RESET = "password-reset", _("customer password reset")


class ThrottleCounter(models.Model):
    """Attempts within one time window, in one scope, for one login at one address, for one
    address whatever the login (``login`` blank), or for one account from anywhere
    (``address`` blank). Written only by ``otrs.accounts.throttle``."""

    scope = models.CharField(_("scope"), max_length=32, choices=ThrottleScope.choices)
    # Lower case, as typed (or as stored): the row exists whether or not the login does.
    login = models.CharField(_("login"), max_length=150, blank=True)
    # An IPv4 address, or an IPv6 /64 network (one subscriber's share).
    address = models.CharField(_("address"), max_length=45, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    window_ends = models.DateTimeField(_("window ends"))

    class Meta:
        verbose_name = _("sign-in throttle")
        verbose_name_plural = _("sign-in throttles")
        ordering = ["-window_ends"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "login", "address"], name="uniq_throttle_counter"
            )
        ]
        # The admin's list of current locks and the removal of expired rows.
        indexes = [models.Index(fields=["window_ends"], name="throttle_window_ends")]

    def __str__(self) -> str:
        return f"{self.get_scope_display()}: {self.login or '*'} @ {self.address or '*'}"


class GrantChangeKind(models.TextChoices):
    AGENT_GRANT = "agent_grant", _("agent grant")
    ROLE_GRANT = "role_grant", _("role grant")
    ROLE_MEMBER = "role_member", _("role membership")


class GrantChange(models.Model):
    """One permission granted or revoked, by whom and when (append-only; written by
    ``otrs.accounts.actions`` only). Raw ids and keys; the page renders the names."""

    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=GrantChangeKind.choices)
    granted = models.BooleanField(_("granted"))
    # The subject: an agent (agent grant, membership) or a role; and the group (grants) or
    # the role (membership). PROTECT: what has a permission history is invalidated, never
    # deleted, so the history keeps saying who had access.
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("agent")
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("role")
    )
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("group")
    )
    key = models.CharField(
        _("permission"), max_length=16, choices=PermissionKey.choices, blank=True
    )

    class Meta:
        verbose_name = _("permission change")
        verbose_name_plural = _("permission changes")
        ordering = ["-changed_at", "-pk"]
        # The latest changes of one group's (or role's) matrix page.
        indexes = [
            models.Index(fields=["group", "-changed_at"], name="grant_change_group"),
            models.Index(fields=["role", "-changed_at"], name="grant_change_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} {self.changed_at:%Y-%m-%d %H:%M}"


class AccountEventKind(models.TextChoices):
    SESSIONS_ENDED = "sessions_ended", _("sessions ended")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("two-factor sign-in enabled")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("two-factor sign-in switched off")
    TWO_FACTOR_RESET = "two_factor_reset", _("two-factor sign-in reset")


class AccountEvent(models.Model):
    """Something that happened to a user's sign-in (append-only): sessions ended, the second
    factor enabled, switched off or reset; who did it (the user, an admin) and raw details
    (how many sessions, which ones: ``scope``)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="account_events", verbose_name=_("user")
    )
    kind = models.CharField(_("event"), max_length=32, choices=AccountEventKind.choices)
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["-at", "-pk"]
        # One user's history, newest first (the admin's user page).
        indexes = [models.Index(fields=["user", "-at"], name="account_event_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    def details(self) -> str:
        """The raw details in words (rendered at display time, in the reader's language)."""
        count = self.data.get("count")
        if self.kind == AccountEventKind.SESSIONS_ENDED and count is not None:
            scope = SCOPE_LABELS.get(self.data.get("scope", ""), "")
            return f"{count} ({scope})" if scope else str(count)
        return ""


# What the ending of sessions covered (``AccountEvent.data["scope"]``).
SCOPE_LABELS = {
    "one": _("one session"),
    "user": _("all sessions of the user"),
    "agents": _("all agents' sessions"),
    "customers": _("all customers' sessions"),
    "others": _("the user's other sessions"),
}

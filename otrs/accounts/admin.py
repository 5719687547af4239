"""Django admin for agents, groups and roles, and the sign-in throttles.

Agents only: customers' logins are managed with their customer user (the customers app), the
system user not at all. Nothing with a history is deleted here: agents, groups and roles are
invalidated (their tickets, articles and permission history keep naming them). Grants and
role memberships are changed in the permission matrices (``admin_portal``), which write their
history through :mod:`otrs.accounts.actions`; these pages show them.
"""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group as AuthGroup
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static import admin as _otp_static_admin  # noqa: F401 - registers
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as _otp_totp_admin  # noqa: F401 - registers
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import throttle, twofactor
from .models import AccountEvent, Group, Role, ThrottleCounter, User, UserKind

# Django's own auth groups are not used: OTRS-style groups with permission keys replace them.
admin.site.unregister(AuthGroup)
# django-otp's own device pages would show every user's TOTP key (and its QR code) and the
# recovery codes' digests; a second factor is reset with the agent list's action instead.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)

INVALIDATE_HELP = _(
    "Never deleted: tickets, articles and the permission history keep naming it. Clear this "
    "to invalidate it instead; it is then offered nowhere and grants nothing."
)
INVALIDATE_AGENT_HELP = _(
    "Agents are never deleted: their tickets, articles and history keep naming them. Clear "
    "this to invalidate the agent instead: they can no longer sign in and are offered nowhere."
)


def language_choices():
    return [("", _("Browser default"))] + [(code, _(name)) for code, name in settings.LANGUAGES]


def time_zone_choices():
    return [("", _("Site default"))] + [
        (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
    ]


class AgentChangeForm(UserChangeForm):
    """Language and time zone as choices, never free text ("xx-nonsense", "Mars/Olympus")."""

    language = forms.ChoiceField(label=_("language"), required=False, choices=language_choices)
    time_zone = forms.ChoiceField(label=_("time zone"), required=False, choices=time_zone_choices)

    class Meta(UserChangeForm.Meta):
        model = User
        help_texts = {"is_active": INVALIDATE_AGENT_HELP}


def reset_two_factor_of(model_admin, request, users: list[tuple[User, Model]]) -> None:
    """The admin action of agents and customer users: each enrolled user's second factor is
    reset (an account history row, and the admin's log entry on the object listed, the
    agent or the customer user)."""
    count = 0
    for user, listed in users:
        if twofactor.reset(user, actor=request.user):
            changed = [{"changed": {"fields": ["two-factor sign-in"]}}]
            model_admin.log_change(request, listed, changed)
            count += 1
    model_admin.message_user(
        request,
        ngettext(
            "Two-factor sign-in reset for %(count)d user.",
            "Two-factor sign-in reset for %(count)d users.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


def account_history(user: User, limit: int = 20) -> str:
    """The user's newest account events as a small table (read-only admin field)."""
    events = list(
        AccountEvent.objects.filter(user=user)
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    if not events:
        return str(_("Nothing recorded."))
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                date_format(timezone.localtime(event.at), "SHORT_DATETIME_FORMAT"),
                event.get_kind_display(),
                event.actor.get_username() if event.actor else "-",
                event.details(),
            )
            for event in events
        ),
    )
    return format_html(
        '<table class="otrs-account-history"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
        "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
        _("at"),
        _("event"),
        _("by"),
        _("details"),
        rows,
    )


class NoDeleteMixin:
    """What has history is invalidated, not deleted (see the field's help text)."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(NoDeleteMixin, BaseUserAdmin):
    form = AgentChangeForm
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "is_superuser",
    ]
    list_filter = ["is_active", "is_superuser"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ())[:2],
        (_("Preferences"), {"fields": ["language", "time_zone", "rows_per_page"]}),
        (_("Administration"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Permissions"), {"fields": ["permission_matrices"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
        (_("Sign-in history"), {"fields": ["sign_in_history"]}),
    ]
    readonly_fields = ["permission_matrices", "sign_in_history"]
    actions = ["reset_two_factor"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=UserKind.AGENT)

    @admin.action(description=_("Reset two-factor sign-in"), permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """Removes the authenticator and recovery codes (a lost phone); the agent signs in
        with the password alone and may enrol again."""
        reset_two_factor_of(self, request, [(user, user) for user in queryset])

    @admin.display(description=_("sign-in history"))
    def sign_in_history(self, obj: User) -> str:
        return account_history(obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.kind = UserKind.AGENT
        super().save_model(request, obj, form, change)

    @admin.display(description=_("groups and roles"))
    def permission_matrices(self, obj: User) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:permissions"),
            _("Grant groups and roles in the permission matrices"),
        )


class ValidForm(forms.ModelForm):
    class Meta:
        help_texts = {"is_valid": INVALIDATE_HELP}


@admin.register(Group)
class GroupAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = ValidForm
    list_display = ["name", "comment", "is_valid", "matrices"]
    search_fields = ["name"]
    list_filter = ["is_valid"]

    @admin.display(description=_("permissions"))
    def matrices(self, obj: Group) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:permissions_group_agents", args=[obj.pk]),
            _("Agents"),
            reverse("admin:permissions_group_roles", args=[obj.pk]),
            _("Roles"),
        )


@admin.register(Role)
class RoleAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = ValidForm
    list_display = ["name", "comment", "is_valid", "matrices"]
    search_fields = ["name"]
    fields = ["name", "comment", "is_valid"]

    @admin.display(description=_("permissions"))
    def matrices(self, obj: Role) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:permissions_role_agents", args=[obj.pk]),
            _("Members"),
        )


class LockedNowFilter(admin.SimpleListFilter):
    title = _("locked now")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        locked = throttle.locked_counters().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=locked)
        if self.value() == "no":
            return queryset.exclude(pk__in=locked)
        return queryset


@admin.register(ThrottleCounter)
class ThrottleCounterAdmin(admin.ModelAdmin):
    """The sign-in and password reset counters: who is held back now, and until when. The
    counters are written by the sign-in only; an admin can lift a lock (delete its counter)
    and nothing else."""

    list_display = ["scope", "login", "address", "attempts", "limit", "window_ends", "locked"]
    list_filter = [LockedNowFilter, "scope"]
    search_fields = ["login", "address"]
    actions = ["lift_locks"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "lift" says what deleting a counter means
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("limit"))
    def limit(self, counter: ThrottleCounter) -> int:
        return throttle.limit_of(counter)

    @admin.display(description=_("locked now"), boolean=True)
    def locked(self, counter: ThrottleCounter) -> bool:
        return counter.attempts >= throttle.limit_of(counter) and (
            counter.window_ends > timezone.now()
        )

    @admin.action(description=_("Lift the selected locks"), permissions=["delete"])
    def lift_locks(self, request, queryset):
        count, _by_model = queryset.delete()
        self.message_user(
            request,
            ngettext("%(count)d lock lifted.", "%(count)d locks lifted.", count) % {"count": count},
            messages.SUCCESS,
        )

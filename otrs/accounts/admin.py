"""Django admin for agents, groups, roles and their grants, and the sign-in throttles."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group as AuthGroup
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import throttle
from .models import Group, GroupGrant, Role, RoleGrant, ThrottleCounter, User

# Django's own auth groups are not used: OTRS-style groups with permission keys replace them.
admin.site.unregister(AuthGroup)


class GroupGrantInline(admin.TabularInline):
    model = GroupGrant
    extra = 1
    autocomplete_fields = ["group"]


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 1
    autocomplete_fields = ["group"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "kind",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "is_superuser",
    ]
    list_filter = ["kind", "is_active", "is_superuser"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ())[:2],
        (_("Kind and preferences"), {"fields": ["kind", "language", "time_zone", "rows_per_page"]}),
        (_("Administration"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    inlines = [GroupGrantInline]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "comment", "is_valid"]
    search_fields = ["name"]
    list_filter = ["is_valid"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "comment", "is_valid"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    inlines = [RoleGrantInline]


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

"""Django admin for agents, groups, roles and their grants."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group as AuthGroup
from django.utils.translation import gettext_lazy as _

from .models import Group, GroupGrant, Role, RoleGrant, User

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
        *BaseUserAdmin.fieldsets[:2],
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

"""Django admin for customer companies and customer users: read only.

Every change goes through :mod:`customers.actions` (validity and login sync, unique logins,
addresses and customer ids, history and events); agents with the customer manager right
edit them in the agent portal (*Customers*). The admin shows them and their history.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from otrs.accounts.admin import account_history, reset_two_factor_of

from .models import CustomerCompany, CustomerHistory, CustomerUser


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class HistoryInline(admin.TabularInline):
    model = CustomerHistory
    readonly_fields = ["created_at", "event", "actor", "changes"]
    fields = list(readonly_fields)
    extra = 0
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CompanyHistoryInline(HistoryInline):
    fk_name = "company"


class UserHistoryInline(HistoryInline):
    fk_name = "customer_user"


@admin.register(CustomerCompany)
class CustomerCompanyAdmin(ReadOnlyAdmin):
    list_display = ["customer_id", "name", "city", "is_valid"]
    search_fields = ["customer_id", "name"]
    inlines = [CompanyHistoryInline]


@admin.register(CustomerUser)
class CustomerUserAdmin(ReadOnlyAdmin):
    list_display = ["user", "email", "company", "is_valid"]
    search_fields = ["user__username", "email"]
    list_select_related = ["user", "company"]
    inlines = [UserHistoryInline]
    readonly_fields = ["sign_in_history"]
    actions = ["reset_two_factor"]

    def has_reset_two_factor_permission(self, request) -> bool:
        """Resetting a customer's second factor takes what resetting an agent's does."""
        return request.user.has_perm("accounts.change_user")

    @admin.action(description=_("Reset two-factor sign-in"), permissions=["reset_two_factor"])
    def reset_two_factor(self, request, queryset):
        """A customer lost the phone and the recovery codes: the password alone signs them
        in again, and they may enrol anew."""
        reset_two_factor_of(self, request, [(c.user, c) for c in queryset.select_related("user")])

    @admin.display(description=_("sign-in history"))
    def sign_in_history(self, obj: CustomerUser) -> str:
        return account_history(obj.user)

"""Django admin for customer companies and customer users: read only.

Every change goes through :mod:`customers.actions` (validity and login sync, unique logins,
addresses and customer ids, history and events); agents with the customer manager right
edit them in the agent portal (*Customers*). The admin shows them and their history.
"""

from django.contrib import admin

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

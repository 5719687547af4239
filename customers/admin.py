"""Django admin for customer companies and customer users."""

from django.contrib import admin

from .models import CustomerCompany, CustomerUser


@admin.register(CustomerCompany)
class CustomerCompanyAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "name", "city", "is_valid"]
    search_fields = ["customer_id", "name"]


@admin.register(CustomerUser)
class CustomerUserAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "company", "is_valid"]
    search_fields = ["user__username", "email"]
    list_select_related = ["user", "company"]
    autocomplete_fields = ["company"]
    filter_horizontal = ["other_companies"]

"""Django admin for customer companies and customer users."""

from django.contrib import admin
from django.db import models

from .models import CustomerCompany, CustomerUser


@admin.register(CustomerCompany)
class CustomerCompanyAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "name", "city", "is_valid"]
    search_fields = ["customer_id", "name"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(CustomerUser)
class CustomerUserAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "company", "is_valid"]
    search_fields = ["user__username", "email"]
    list_select_related = ["user", "company"]
    autocomplete_fields = ["company"]
    filter_horizontal = ["other_companies"]

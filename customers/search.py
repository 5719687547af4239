"""What the customers app indexes (otrs.search.registry): customer users (login, name,
mail, phone) and companies (id, name, address); ``customers.access`` filters the ids."""

from __future__ import annotations

from otrs.search import registry

from .models import CustomerCompany, CustomerUser


class CustomerUserIndex(registry.ModelIndex):
    kind = "customer_user"
    model = CustomerUser
    object_type = "customer_user"
    title_field = "user__username"
    text_fields = ("user__first_name", "user__last_name", "email", "phone")
    keyword_fields = ("user__username", "email")


class CustomerCompanyIndex(registry.ModelIndex):
    kind = "customer_company"
    model = CustomerCompany
    object_type = "customer_company"
    title_field = "name"
    text_fields = ("street", "zip_code", "city", "country", "comment")
    keyword_fields = ("customer_id",)


registry.register(CustomerUserIndex())
registry.register(CustomerCompanyIndex())

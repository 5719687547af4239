"""The customer object types of the custom-field engine (:mod:`otrs.fields`): customer users
and customer companies carry custom fields and can be the target of reference fields."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from otrs.fields import registry
from otrs.fields.registry import ObjectType, Screen

CUSTOMER_USER = "customer_user"
CUSTOMER_COMPANY = "customer_company"
# The agent portal's add/edit forms (one screen each for adding and editing).
CUSTOMER_USER_SCREEN = "customer_user_edit"
CUSTOMER_COMPANY_SCREEN = "customer_company_edit"


def _describe_customer_user(customer_user) -> str:
    return str(customer_user)


def register() -> None:
    registry.register_object_type(
        ObjectType(
            key=CUSTOMER_USER,
            label=_("Customer user"),
            model="customers.CustomerUser",
            screens=(Screen(CUSTOMER_USER_SCREEN, _("Customer user form")),),
            describe=_describe_customer_user,
            lookup_fields=("user__username", "email"),
            # What describe() reads, so that a page of references costs one query.
            extra={"select_related": ("user",)},
        )
    )
    registry.register_object_type(
        ObjectType(
            key=CUSTOMER_COMPANY,
            label=_("Customer company"),
            model="customers.CustomerCompany",
            screens=(Screen(CUSTOMER_COMPANY_SCREEN, _("Customer company form")),),
            lookup_fields=("customer_id", "name"),
        )
    )

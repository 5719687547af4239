"""What customer users and companies offer to webhooks (:mod:`otrs.webhooks`): their events,
a filter by company, and their main fields in each payload."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from otrs import webhooks

from ..events import CustomerEvent
from ..models import CustomerCompany, CustomerUser


def _companies():
    return CustomerCompany.objects.order_by("name").values_list("pk", "name")


def _user_companies(ids: set[int]) -> dict[int, int | None]:
    return dict(CustomerUser.objects.filter(pk__in=ids).values_list("pk", "company_id"))


def _describe_users(ids: set[int]) -> dict[int, dict]:
    rows = CustomerUser.objects.filter(pk__in=ids).select_related("user", "company")
    return {
        c.pk: {
            "id": c.pk,
            "login": c.user.username,
            "first_name": c.user.first_name,
            "last_name": c.user.last_name,
            "email": c.email,
            "phone": c.phone,
            "company": c.company.customer_id if c.company is not None else None,
            "is_valid": c.is_valid,
        }
        for c in rows
    }


def _describe_companies(ids: set[int]) -> dict[int, dict]:
    return {
        row["id"]: dict(row)
        for row in CustomerCompany.objects.filter(pk__in=ids).values(
            "id", "customer_id", "name", "street", "zip_code", "city", "country", "is_valid"
        )
    }


webhooks.register(
    webhooks.Source(
        object_type="customer_user",
        label=_("Customer users"),
        events=[CustomerEvent.CUSTOMER_USER_ADD, CustomerEvent.CUSTOMER_USER_UPDATE],
        filters=[webhooks.Filter("company", _("Companies"), _companies, _user_companies)],
        describe=_describe_users,
    )
)
webhooks.register(
    webhooks.Source(
        object_type="customer_company",
        label=_("Customer companies"),
        events=[CustomerEvent.CUSTOMER_COMPANY_ADD, CustomerEvent.CUSTOMER_COMPANY_UPDATE],
        filters=[
            webhooks.Filter("company", _("Companies"), _companies, lambda ids: {i: i for i in ids})
        ],
        describe=_describe_companies,
    )
)

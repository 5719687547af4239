"""The form of a ticket's customer, and finding customer users for it."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy

from customers.models import CustomerUser

from .versioned import VersionedForm


def find_customer_user(text: str) -> CustomerUser | None:
    """The valid customer user with this login, else the only one with this address."""
    text = text.strip()
    if not text:
        return None
    users = CustomerUser.objects.filter(is_valid=True).select_related("user", "company")
    found = users.filter(user__username__iexact=text).first()
    if found is None:
        by_email = list(users.filter(email__iexact=text)[:2])
        found = by_email[0] if len(by_email) == 1 else None
    return found


class CustomerForm(VersionedForm):
    """The ticket's customer user (a login or an address) and customer id. A known customer
    user is stored by login, and their company fills an empty customer id; anything else is
    kept as typed, as OTRS does for senders who are no known customer."""

    customer_user = forms.CharField(
        label=gettext_lazy("Customer user"),
        max_length=250,
        help_text=gettext_lazy("Login or email address."),
    )
    customer_id = forms.CharField(
        label=gettext_lazy("Customer ID"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Left empty, it is taken from the customer user's company."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer_user"].initial = self.ticket.customer_user
        self.fields["customer_id"].initial = self.ticket.customer_id

    def clean(self):
        data = super().clean()
        typed = (data.get("customer_user") or "").strip()
        known = find_customer_user(typed) if typed else None
        if known is not None:
            data["customer_user"] = known.login
            if not data.get("customer_id") and known.company_id:
                data["customer_id"] = known.company.customer_id
        data["customer_id"] = (data.get("customer_id") or "").strip()
        return data


def customer_label(customer: CustomerUser) -> str:
    """The label "Name <email> (company)" that the autocomplete and the search list show."""
    name = customer.user.get_full_name() or customer.login
    label = f"{name} <{customer.email}>" if customer.email else name
    company = customer.company  # None without a query when company_id is unset
    return f"{label} ({company.name})" if company is not None else label


def search_customer_users(term: str, *, limit: int = 20) -> list[CustomerUser]:
    """Valid customer users whose login, name, address, company or customer id contains
    ``term``; at most ``limit``."""
    term = term.strip()
    if len(term) < 2:
        return []
    match = (
        Q(user__username__icontains=term)
        | Q(user__first_name__icontains=term)
        | Q(user__last_name__icontains=term)
        | Q(email__icontains=term)
        | Q(company__name__icontains=term)
        | Q(company__customer_id__icontains=term)
    )
    return list(
        CustomerUser.objects.filter(match, is_valid=True)
        .select_related("user", "company")
        .order_by("user__username")[:limit]
    )

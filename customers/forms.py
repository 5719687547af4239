"""Forms of the agent's customer screens: the list filters, the customer user and company
editors, and the valid/invalid switch.

The filters read the query string field by field and fall back to the default for anything
unreadable (a bad link shows the first page, never an error). The editors parse into the
inputs of :mod:`customers.actions`, which owns the rules (unique login, customer id and
address, password validators); the view shows the action's refusals on the field their
error code names (:class:`otrs.errors.ErrorCode`).
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User
from otrs.fields.forms import add_form_fields, field_values_from
from otrs.web.pagination import MAX_PAGE

from .actions import CompanyInput, CustomerUserInput
from .fields import (
    CUSTOMER_COMPANY,
    CUSTOMER_COMPANY_SCREEN,
    CUSTOMER_USER,
    CUSTOMER_USER_SCREEN,
)
from .models import CustomerCompany, CustomerUser

ORDER_CHOICES = [("asc", _("Ascending")), ("desc", _("Descending"))]
VALID_CHOICES = [("", _("Valid and invalid")), ("valid", _("Valid")), ("invalid", _("Invalid"))]


# --- the lists ---------------------------------------------------------------------------------


class _ListFilter(forms.Form):
    """Search words, validity, sort, order and page of a customer list."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    valid = forms.ChoiceField(label=_("Validity"), choices=VALID_CHOICES, required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)
    order = forms.ChoiceField(label=_("Order"), choices=ORDER_CHOICES, required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    sort_choices: list = []
    orderings: dict[str, tuple[str, ...]] = {}
    search_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = self.sort_choices
        self.defaults = {"q": "", "valid": "", "sort": "name", "order": "asc", "page": 1}

    def get(self, name: str):
        """The cleaned value of ``name``, or its default when it is missing or invalid."""
        self.is_valid()  # cleans once; a field that fails is left out of cleaned_data
        value = self.cleaned_data.get(name)
        return self.defaults.get(name) if value in (None, "") else value

    def current(self) -> dict:
        """Every parameter's effective value (what the page shows and its links keep)."""
        return {name: self.get(name) for name in self.fields}

    def words(self) -> list[str]:
        return self.get("q").split()[:10]

    def apply(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` filtered and ordered as asked; every search word must match one of
        :attr:`search_fields`. The primary key ends the ordering so that pages never
        overlap."""
        for word in self.words():
            match = Q()
            for name in self.search_fields:
                match |= Q(**{f"{name}__icontains": word})
            queryset = queryset.filter(match)
        if self.get("valid"):
            queryset = queryset.filter(is_valid=self.get("valid") == "valid")
        sign = "-" if self.get("order") == "desc" else ""
        return queryset.order_by(*(f"{sign}{name}" for name in self.orderings[self.get("sort")]))


class CustomerUserFilter(_ListFilter):
    """``?company=`` narrows the list to the contacts of one company (the Customer
    Information Center links to it)."""

    company = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    sort_choices = [("name", _("Name")), ("login", _("Login"))]
    orderings = {
        "name": ("user__last_name", "user__first_name", "user__username", "pk"),
        "login": ("user__username", "pk"),
    }
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "email",
        "company__customer_id",
        "company__name",
    )

    def apply(self, queryset: QuerySet) -> QuerySet:
        company = self.get("company")
        if company:
            queryset = queryset.filter(contact_of(company))
        return super().apply(queryset)


class CompanyFilter(_ListFilter):
    sort_choices = [("name", _("Name")), ("customer_id", _("Customer ID"))]
    orderings = {"name": ("name", "customer_id", "pk"), "customer_id": ("customer_id", "pk")}
    search_fields = ("customer_id", "name", "city")


def contact_of(company_id: int) -> Q:
    """Customer users of a company: it is their company or one of their further ones."""
    further = CustomerUser.other_companies.through.objects.filter(customercompany_id=company_id)
    return Q(company_id=company_id) | Q(pk__in=further.values("customeruser_id"))


# --- the editors -------------------------------------------------------------------------------


class CompanyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CustomerCompany) -> str:
        return f"{obj.name} ({obj.customer_id})"


class CompanyMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: CustomerCompany) -> str:
        return f"{obj.name} ({obj.customer_id})"


class CustomerUserForm(forms.Form):
    """A customer user's details and, optionally, a new password (asked twice)."""

    login = forms.CharField(
        label=_("Login"),
        max_length=150,
        help_text=_(
            "Letters, digits and @ . + - _ only. Tickets keep the login they were created with."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
        validators=[User.username_validator],
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    company = CompanyChoiceField(
        label=_("Company"),
        queryset=CustomerCompany.objects.none(),
        required=False,
        empty_label=_("No company"),
    )
    other_companies = CompanyMultipleChoiceField(
        label=_("Further companies"),
        queryset=CustomerCompany.objects.none(),
        required=False,
        help_text=_("The customer user also sees the tickets of these companies."),
    )
    # Named like the model field. Django's form metaclass moves declared fields off the class,
    # so Form.is_valid() stays the method; mypy sees the name shadow it (ignored here).
    is_valid = forms.BooleanField(  # type: ignore[assignment]
        label=_("Valid"),
        required=False,
        initial=True,
        help_text=_("An invalid customer user cannot sign in to the customer portal."),
    )
    password1 = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Repeat the new password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, customer: CustomerUser | None = None, **kwargs):
        if customer is not None:
            kwargs.setdefault("initial", {}).update(self.initial_for(customer))
        super().__init__(*args, **kwargs)
        self.customer = customer
        # Valid companies, and those the customer user has now (even if invalid since).
        current = []
        if customer is not None:
            current = [customer.company_id, *customer.other_companies.values_list("pk", flat=True)]
        offered = CustomerCompany.objects.filter(Q(is_valid=True) | Q(pk__in=current))
        for name in ("company", "other_companies"):
            field = cast(forms.ModelChoiceField, self.fields[name])
            field.queryset = offered.order_by("name", "customer_id")
        # Built per form, so that it speaks the language of the request.
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()
        if customer is None:
            self.fields["password1"].label = _("Password")
            self.fields["password2"].label = _("Repeat the password")
        add_form_fields(
            self,
            CUSTOMER_USER,
            CUSTOMER_USER_SCREEN,
            object_id=customer.pk if customer is not None else None,
        )

    @staticmethod
    def initial_for(customer: CustomerUser) -> dict:
        return {
            "login": customer.login,
            "first_name": customer.user.first_name,
            "last_name": customer.user.last_name,
            "email": customer.email,
            "phone": customer.phone,
            "company": customer.company_id,
            "other_companies": [c.pk for c in customer.other_companies.all()],
            "is_valid": customer.is_valid,
        }

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if (first or second) and first != second:
            self.add_error(
                "password2",
                ValidationError(_("The two passwords differ."), code="password_mismatch"),
            )
        return data

    def to_input(self) -> CustomerUserInput:
        data = self.cleaned_data
        return CustomerUserInput(
            login=data["login"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            phone=data["phone"],
            company=data["company"],
            other_companies=tuple(data["other_companies"]),
            is_valid=data["is_valid"],
        )

    def field_values(self) -> dict:
        """The custom fields' values, for the action."""
        return field_values_from(self.cleaned_data)

    def password(self) -> str | None:
        """The new password, or None to leave it."""
        return self.cleaned_data.get("password1") or None


class CompanyForm(forms.Form):
    customer_id = forms.CharField(
        label=_("Customer ID"),
        max_length=150,
        help_text=_(
            "The id tickets carry for this company. Tickets keep the id they were created "
            "with when it changes."
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    street = forms.CharField(label=_("Street"), max_length=200, required=False)
    zip_code = forms.CharField(label=_("Zip code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=200, required=False)
    country = forms.CharField(label=_("Country"), max_length=200, required=False)
    url = forms.URLField(label=_("URL"), max_length=200, required=False, assume_scheme="https")
    comment = forms.CharField(label=_("Comment"), max_length=250, required=False)
    # Named like the model field. Django's form metaclass moves declared fields off the class,
    # so Form.is_valid() stays the method; mypy sees the name shadow it (ignored here).
    is_valid = forms.BooleanField(  # type: ignore[assignment]
        label=_("Valid"),
        required=False,
        initial=True,
        help_text=_("An invalid company is offered for no new customer user."),
    )

    def __init__(self, *args, company: CustomerCompany | None = None, **kwargs):
        if company is not None:
            kwargs.setdefault("initial", {}).update(
                {name: getattr(company, name) for name in self.base_fields}
            )
        super().__init__(*args, **kwargs)
        self.company = company
        add_form_fields(
            self,
            CUSTOMER_COMPANY,
            CUSTOMER_COMPANY_SCREEN,
            object_id=company.pk if company is not None else None,
        )

    def to_input(self) -> CompanyInput:
        return CompanyInput(**{name: self.cleaned_data[name] for name in self.base_fields})

    def field_values(self) -> dict:
        """The custom fields' values, for the action."""
        return field_values_from(self.cleaned_data)


class ValidityForm(forms.Form):
    """The valid/invalid switch on a Customer Information Center."""

    valid = forms.TypedChoiceField(
        choices=[("1", _("Valid")), ("0", _("Invalid"))], coerce=lambda value: value == "1"
    )

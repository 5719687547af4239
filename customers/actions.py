"""Every change to customer users and companies, one function per intent.

Each action checks the actor (the system user is trusted; an agent needs the right of
:func:`customers.access.can_manage_customers`), validates what it is given, and writes in one
transaction with the changed rows locked, so a refusal (:class:`otrs.errors.DomainError`,
raised before anything is written or inside the transaction) leaves nothing half done.

The rules:

* a login is unique among all logins, compared without regard to case (the portal and the
  mail intake look customers up that way), and never an agent's or the system's;
* a company's customer id is unique, also without regard to case;
* an email address is well formed and unique among customer users (OTRS's default), so
  that a sender's address names one customer user;
* a password passes Django's password validators; a customer user created without one has
  an unusable password until one is set;
* validity: an invalid customer user cannot sign in to the customer portal (the portal
  checks ``CustomerUser.is_valid``; the login's ``is_active`` follows it as a second lock).
  An invalid company stays on its tickets and users but is offered for no new ones.

Every change writes an append-only :class:`~customers.models.CustomerHistory` row and records
its event (:class:`customers.events.CustomerEvent`) in the same place (:func:`_record`), in
the change's transaction; a call that changes nothing writes neither.

Tickets keep the customer login and customer id they carry as plain strings (as in OTRS):
renaming a login or a customer id does not rewrite old tickets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from otrs import events
from otrs.accounts.models import User, UserKind
from otrs.errors import DomainError, ErrorCode
from otrs.fields.actions import clean_values, write_values

from .access import can_manage_customers
from .events import CustomerEvent
from .fields import CUSTOMER_COMPANY, CUSTOMER_USER
from .models import CustomerCompany, CustomerHistory, CustomerUser


@dataclass(frozen=True)
class CustomerUserInput:
    """A customer user's details as a form or an API gives them."""

    login: str
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    company: CustomerCompany | None = None
    other_companies: tuple[CustomerCompany, ...] = field(default=())
    is_valid: bool = True


@dataclass(frozen=True)
class CompanyInput:
    """A company's details."""

    customer_id: str
    name: str
    street: str = ""
    zip_code: str = ""
    city: str = ""
    country: str = ""
    url: str = ""
    comment: str = ""
    is_valid: bool = True


# --- customer users ----------------------------------------------------------------------------


def create_customer_user(
    data: CustomerUserInput,
    *,
    password: str | None = None,
    actor: User,
    field_values: Mapping[str, Any] | None = None,
) -> CustomerUser:
    """A new customer user and their login (``kind=customer``). Without ``password`` the
    login has an unusable password until :func:`set_customer_user_password`.
    ``field_values``: custom fields (``{name: value}``), refused all or nothing."""
    _require_manager(actor)
    data = _checked_user_input(data)
    with transaction.atomic():
        _check_login_free(data.login)
        _check_email_free(data.email)
        user = User(
            username=data.login,
            kind=UserKind.CUSTOMER,
            first_name=data.first_name,
            last_name=data.last_name,
            email=data.email,
            is_active=data.is_valid,
        )
        if password:
            _check_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        _save_new(user, _login_taken)
        customer = CustomerUser.objects.create(
            user=user,
            email=data.email,
            phone=data.phone,
            company=data.company,
            is_valid=data.is_valid,
        )
        customer.other_companies.set(_further(data))
        _record(
            CustomerEvent.CUSTOMER_USER_ADD,
            actor,
            customer_user=customer,
            changes={
                **_changes({}, _user_snapshot(customer)),
                **_write_fields(CUSTOMER_USER, customer.pk, field_values),
            },
        )
    return customer


def update_customer_user(
    customer: CustomerUser,
    data: CustomerUserInput,
    *,
    actor: User,
    field_values: Mapping[str, Any] | None = None,
) -> CustomerUser:
    """Replace a customer user's details (login, names, address, phone, companies, validity)
    with ``data`` and set the custom fields named in ``field_values``; the password stays as
    it is."""
    _require_manager(actor)
    data = _checked_user_input(data)
    with transaction.atomic():
        locked = _locked_customer_user(customer)
        before = _user_snapshot(locked)
        user = locked.user
        if data.login.casefold() != user.username.casefold():
            _check_login_free(data.login, exclude_user=user.pk)
        if data.email.casefold() != locked.email.casefold():
            _check_email_free(data.email, exclude=locked.pk)
        user.username = data.login
        user.first_name, user.last_name, user.email = data.first_name, data.last_name, data.email
        user.is_active = data.is_valid
        _save_existing(
            user, _login_taken, "username", "first_name", "last_name", "email", "is_active"
        )
        locked.email, locked.phone = data.email, data.phone
        locked.company, locked.is_valid = data.company, data.is_valid
        locked.save(update_fields=["email", "phone", "company", "is_valid"])
        locked.other_companies.set(_further(data))
        fields = _write_fields(CUSTOMER_USER, locked.pk, field_values)
        _record_user_update(locked, before, actor, fields)
    customer.refresh_from_db()
    return customer


def set_customer_user_password(customer: CustomerUser, password: str, *, actor: User) -> None:
    """Give the customer user's login a new password (checked by Django's validators)."""
    _require_manager(actor)
    with transaction.atomic():
        locked = _locked_customer_user(customer)
        user = locked.user
        _check_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        # The field is named, the password never.
        _record(
            CustomerEvent.CUSTOMER_USER_UPDATE,
            actor,
            customer_user=locked,
            changes={"password": ["", ""]},
        )


def set_customer_user_validity(customer: CustomerUser, is_valid: bool, *, actor: User) -> None:
    """Mark a customer user valid or invalid; an invalid one cannot sign in."""
    _require_manager(actor)
    with transaction.atomic():
        locked = _locked_customer_user(customer)
        before = _user_snapshot(locked)
        locked.is_valid = is_valid
        locked.save(update_fields=["is_valid"])
        locked.user.is_active = is_valid
        locked.user.save(update_fields=["is_active"])
        _record_user_update(locked, before, actor)
    customer.is_valid = is_valid
    customer.user.is_active = is_valid


def _checked_user_input(data: CustomerUserInput) -> CustomerUserInput:
    login, email = data.login.strip(), data.email.strip()
    if not login:
        raise DomainError(_("A customer user needs a login."), code=ErrorCode.LOGIN_REQUIRED)
    try:
        User.username_validator(login)
    except ValidationError:
        raise DomainError(
            _("A login may contain only letters, digits and the characters @ . + - _."),
            code=ErrorCode.INVALID_LOGIN,
        ) from None
    if len(login) > (User._meta.get_field("username").max_length or 0):
        raise DomainError(_("The login is too long."), code=ErrorCode.INVALID_LOGIN)
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Enter a valid email address."), code=ErrorCode.INVALID_EMAIL) from None
    return CustomerUserInput(
        login=login,
        email=email,
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        phone=data.phone.strip(),
        company=data.company,
        other_companies=tuple(data.other_companies),
        is_valid=data.is_valid,
    )


def _further(data: CustomerUserInput) -> list[CustomerCompany]:
    """The further companies without the main one (it would say nothing twice)."""
    main = data.company.pk if data.company is not None else None
    return [company for company in _unique(data.other_companies) if company.pk != main]


def _unique(companies: Iterable[CustomerCompany]) -> list[CustomerCompany]:
    return list({company.pk: company for company in companies}.values())


def _check_login_free(login: str, *, exclude_user: int | None = None) -> None:
    taken = User.objects.filter(username__iexact=login)
    if exclude_user is not None:
        taken = taken.exclude(pk=exclude_user)
    kind = taken.values_list("kind", flat=True).first()
    if kind is None:
        return
    if kind != UserKind.CUSTOMER:
        raise DomainError(
            _("The login “%(login)s” belongs to an agent; choose another one.") % {"login": login},
            code=ErrorCode.LOGIN_OF_AGENT,
        )
    raise _login_taken(login)


def _login_taken(login: str) -> DomainError:
    return DomainError(
        _("The login “%(login)s” is already taken.") % {"login": login}, code=ErrorCode.LOGIN_TAKEN
    )


def _check_email_free(email: str, *, exclude: int | None = None) -> None:
    taken = CustomerUser.objects.filter(email__iexact=email)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    owner = taken.select_related("user").first()
    if owner is not None:
        raise DomainError(
            _("The email address %(email)s already belongs to customer user %(login)s.")
            % {"email": email, "login": owner.login},
            code=ErrorCode.EMAIL_TAKEN,
        )


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code=ErrorCode.INVALID_PASSWORD) from None


def _locked_customer_user(customer: CustomerUser) -> CustomerUser:
    locked = CustomerUser.objects.select_for_update().get(pk=customer.pk)
    # The login row is locked too: its name, password and active flag change with it.
    locked.user = User.objects.select_for_update().get(pk=locked.user_id)
    return locked


# --- companies ---------------------------------------------------------------------------------


def create_company(
    data: CompanyInput, *, actor: User, field_values: Mapping[str, Any] | None = None
) -> CustomerCompany:
    _require_manager(actor)
    data = _checked_company_input(data)
    with transaction.atomic():
        _check_customer_id_free(data.customer_id)
        company = CustomerCompany(**_company_fields(data))
        _save_new(company, _customer_id_taken)
        _record(
            CustomerEvent.CUSTOMER_COMPANY_ADD,
            actor,
            company=company,
            changes={
                **_changes({}, _company_snapshot(company)),
                **_write_fields(CUSTOMER_COMPANY, company.pk, field_values),
            },
        )
    return company


def update_company(
    company: CustomerCompany,
    data: CompanyInput,
    *,
    actor: User,
    field_values: Mapping[str, Any] | None = None,
) -> CustomerCompany:
    """Replace a company's details with ``data`` and the custom fields ``field_values``
    names. A changed customer id applies to the company's users at once (they point at the
    company); tickets keep the id they carry."""
    _require_manager(actor)
    data = _checked_company_input(data)
    with transaction.atomic():
        locked = CustomerCompany.objects.select_for_update().get(pk=company.pk)
        before = _company_snapshot(locked)
        if data.customer_id.casefold() != locked.customer_id.casefold():
            _check_customer_id_free(data.customer_id, exclude=locked.pk)
        fields = _company_fields(data)
        for name, value in fields.items():
            setattr(locked, name, value)
        _save_existing(locked, _customer_id_taken, *fields)
        custom = _write_fields(CUSTOMER_COMPANY, locked.pk, field_values)
        _record_company_update(locked, before, actor, custom)
    company.refresh_from_db()
    return company


def set_company_validity(company: CustomerCompany, is_valid: bool, *, actor: User) -> None:
    _require_manager(actor)
    with transaction.atomic():
        locked = CustomerCompany.objects.select_for_update().get(pk=company.pk)
        before = _company_snapshot(locked)
        locked.is_valid = is_valid
        locked.save(update_fields=["is_valid"])
        _record_company_update(locked, before, actor)
    company.is_valid = is_valid


def _checked_company_input(data: CompanyInput) -> CompanyInput:
    customer_id, name, url = data.customer_id.strip(), data.name.strip(), data.url.strip()
    if not customer_id:
        raise DomainError(_("A company needs a customer id."), code=ErrorCode.CUSTOMER_ID_REQUIRED)
    if not name:
        raise DomainError(_("A company needs a name."), code=ErrorCode.NAME_REQUIRED)
    if url:
        try:
            URLValidator()(url)
        except ValidationError:
            raise DomainError(_("Enter a valid URL."), code=ErrorCode.INVALID_URL) from None
    return CompanyInput(
        customer_id=customer_id,
        name=name,
        street=data.street.strip(),
        zip_code=data.zip_code.strip(),
        city=data.city.strip(),
        country=data.country.strip(),
        url=url,
        comment=data.comment.strip(),
        is_valid=data.is_valid,
    )


def _company_fields(data: CompanyInput) -> dict:
    return {
        "customer_id": data.customer_id,
        "name": data.name,
        "street": data.street,
        "zip_code": data.zip_code,
        "city": data.city,
        "country": data.country,
        "url": data.url,
        "comment": data.comment,
        "is_valid": data.is_valid,
    }


def _check_customer_id_free(customer_id: str, *, exclude: int | None = None) -> None:
    taken = CustomerCompany.objects.filter(customer_id__iexact=customer_id)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise _customer_id_taken(customer_id)


def _customer_id_taken(customer_id: str) -> DomainError:
    return DomainError(
        _("The customer id “%(customer_id)s” is already taken.") % {"customer_id": customer_id},
        code=ErrorCode.CUSTOMER_ID_TAKEN,
    )


# --- history and events ------------------------------------------------------------------------


def _user_snapshot(customer: CustomerUser) -> dict:
    """A customer user's details as raw values, to compare before and after a change."""
    user = customer.user
    return {
        "login": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "company_id": customer.company_id,
        "other_company_ids": sorted(customer.other_companies.values_list("pk", flat=True)),
        "is_valid": customer.is_valid,
    }


def _company_snapshot(company: CustomerCompany) -> dict:
    return {name: getattr(company, name) for name in _company_fields_names()}


def _company_fields_names() -> list[str]:
    return [f.name for f in CompanyInput.__dataclass_fields__.values()]


def _changes(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the fields that differ (all of them for a new object)."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if name not in before or before[name] != value
    }


def _write_fields(
    object_type: str, object_id: int, values: Mapping[str, Any] | None
) -> dict[str, list[str]]:
    """Validate (all or nothing: :class:`otrs.fields.actions.FieldErrors` names each refused
    field) and store custom field values in the caller's transaction; the history changes
    ``{"field:<Name>": [old, new]}`` with raw values as text."""
    if not values:
        return {}
    changes = write_values(object_type, object_id, clean_values(object_type, values))
    return {
        f"field:{change.definition.name}": [change.old_text, change.new_text] for change in changes
    }


def _record_user_update(
    customer: CustomerUser, before: dict, actor: User, fields: dict | None = None
) -> None:
    changes = {**_changes(before, _user_snapshot(customer)), **(fields or {})}
    if changes:
        _record(CustomerEvent.CUSTOMER_USER_UPDATE, actor, customer_user=customer, changes=changes)


def _record_company_update(
    company: CustomerCompany, before: dict, actor: User, fields: dict | None = None
) -> None:
    changes = {**_changes(before, _company_snapshot(company)), **(fields or {})}
    if changes:
        _record(CustomerEvent.CUSTOMER_COMPANY_UPDATE, actor, company=company, changes=changes)


def _record(
    event: CustomerEvent,
    actor: User,
    *,
    customer_user: CustomerUser | None = None,
    company: CustomerCompany | None = None,
    changes: dict,
) -> None:
    """The one place a customer change is logged: its history row and its event, in the
    caller's transaction."""
    CustomerHistory.objects.create(
        event=event, customer_user=customer_user, company=company, changes=changes, actor=actor
    )
    if customer_user is not None:
        object_type, object_id = "customer_user", customer_user.pk
        extra = {"login": customer_user.user.username}
    else:
        assert company is not None, "history of a customer user or of a company"
        object_type, object_id = "customer_company", company.pk
        extra = {"customer_id": company.customer_id}
    events.record(
        events.Event(
            name=event,
            object_type=object_type,
            object_id=object_id,
            actor_id=actor.pk,
            payload={"changes": changes, **extra},
        )
    )


# --- shared ------------------------------------------------------------------------------------


def _require_manager(actor: User) -> None:
    if actor.is_system or can_manage_customers(actor):
        return
    raise DomainError(
        _("You may not manage customer users and companies."), code=ErrorCode.NOT_ALLOWED
    )


def _save_new(obj, taken) -> None:
    """Insert ``obj``; a concurrent insert of the same unique value (which slipped past the
    checks above) becomes the same refusal those checks give."""
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        raise taken(_unique_value(obj)) from None


def _save_existing(obj, taken, *update_fields: str) -> None:
    try:
        with transaction.atomic():
            obj.save(update_fields=list(update_fields))
    except IntegrityError:
        raise taken(_unique_value(obj)) from None


def _unique_value(obj) -> str:
    return obj.username if isinstance(obj, User) else obj.customer_id


def edit_customer_user(
    customer: CustomerUser,
    data: CustomerUserInput,
    *,
    password: str = "",
    actor: User,
    field_values: Mapping[str, Any] | None = None,
) -> CustomerUser:
    """The agent's edit of a customer user: new details and, when ``password`` is given, a
    new password, saved together or not at all."""
    with transaction.atomic():
        update_customer_user(customer, data, actor=actor, field_values=field_values)
        if password:
            set_customer_user_password(customer, password, actor=actor)
    return customer

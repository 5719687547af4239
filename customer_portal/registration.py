"""Self-registration of customers (``CUSTOMER_SELF_REGISTRATION``), confirmed by mail.

Why a confirmation, and why the page never says whether an address is known:

* An account must not become usable before the owner of the address has shown they read its
  mail. The mail intake files mail from an address under the customer user with that address,
  so whoever could register someone else's address and sign in at once would read that
  person's tickets. The account is therefore created *invalid* (it cannot sign in) and made
  valid by the link sent to the address, together with the password chosen at registration:
  the link proves the mailbox, the password proves it is the same person who registered (so
  someone who registers another person's address cannot get in even if that person clicks).
* Whether an address already has an account is nobody's business but the address owner's.
  The page answers every registration the same way ("check your mail"); what differs is
  the mail, and only the owner of the address reads it: a confirmation link for a new
  account; for a known address a reminder that an account exists (with the way to reset its
  password) or, when the address belongs to an agent or to an account that cannot use the
  portal, a note that it cannot be registered. OTRS instead says on the page that the address
  exists; we do not.

The account itself is made by the customer domain's actions (``customers.actions``), with
the system user as the actor, so every rule about logins and addresses applies here too.
The login is the address in lower case; the customer user has no company, so its tickets
carry its own login as customer id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.db.models import Q
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from customers.access import customer_profile
from customers.actions import (
    CustomerUserInput,
    create_customer_user,
    set_customer_user_validity,
)
from customers.models import CustomerUser
from otrs.accounts.models import User, UserKind, system_user
from otrs.errors import DomainError, ErrorCode
from otrs.web.links import absolute_url

from .mail import reader_language, send_account_mail

# Refusals of customers.actions meaning "this address or login is taken": two
# registrations of one address at once, or a login that an agent already has.
_TAKEN = {ErrorCode.LOGIN_TAKEN, ErrorCode.LOGIN_OF_AGENT, ErrorCode.EMAIL_TAKEN}


class RegistrationTokenGenerator(PasswordResetTokenGenerator):
    """Confirmation links: like password-reset links (signed, expiring after
    ``PASSWORD_RESET_TIMEOUT``, dead once the password or last sign-in changes) and also
    dead once the account is active, so each link confirms once."""

    key_salt = "customer_portal.registration.RegistrationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


registration_tokens = RegistrationTokenGenerator()


@dataclass(frozen=True)
class Registration:
    """What a visitor entered to register."""

    email: str
    first_name: str
    last_name: str
    password: str = field(repr=False)

    @property
    def login(self) -> str:
        return self.email.lower()


def register(registration: Registration, *, language: str) -> None:
    """Create the (not yet valid) account and mail its confirmation link; or, for an address
    already in use, mail its owner about that. Either way the caller learns nothing.

    Raises :class:`DomainError` only for input the customer rules refuse (never for a taken
    address)."""
    if _holders(registration):
        _send_address_in_use(registration, language)
        return
    try:
        with transaction.atomic():
            customer = create_customer_user(
                CustomerUserInput(
                    login=registration.login,
                    email=registration.email,
                    first_name=registration.first_name,
                    last_name=registration.last_name,
                    is_valid=False,
                ),
                password=registration.password,
                actor=system_user(),
            )
            _send_confirmation(customer, language)
    except DomainError as error:
        if error.code not in _TAKEN:
            raise
        _send_address_in_use(registration, language)


def pending_registration(uidb64: str, token: str) -> User | None:
    """The account a confirmation link is for, if the link is genuine, unexpired and unused."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    # Never signed in, too: confirming signs the customer in, so a confirmed account that an
    # agent later made invalid cannot be switched on again with its old link.
    user = User.objects.filter(
        pk=pk, kind=UserKind.CUSTOMER, is_active=False, last_login__isnull=True
    ).first()
    if user is None or not registration_tokens.check_token(user, token):
        return None
    return user


def confirm_registration(user: User) -> CustomerUser:
    """Make the registered account valid: from now on it signs in like any customer."""
    customer = CustomerUser.objects.select_related("user").get(user=user)
    set_customer_user_validity(customer, True, actor=system_user())
    user.refresh_from_db()
    return customer


def _holders(registration: Registration) -> list[User]:
    """Every login that already uses the address: as its login, as its address, or as the
    address of its customer user."""
    address = registration.email
    return list(
        User.objects.filter(
            Q(username__iexact=registration.login)
            | Q(email__iexact=address)
            | Q(customer_profile__email__iexact=address)
        )
        .select_related("customer_profile")
        .distinct()
        .order_by("pk")
    )


def _send_confirmation(customer: CustomerUser, language: str) -> None:
    user = customer.user
    url = absolute_url(
        "customer:register_confirm",
        uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
        token=registration_tokens.make_token(user),
    )
    send_account_mail(
        "register_confirm",
        {"user": user, "login": user.get_username(), "url": url},
        to=customer.email,
        language=language,
    )


def _send_address_in_use(registration: Registration, language: str) -> None:
    accounts = [user for user in _holders(registration) if customer_profile(user)]
    if accounts:
        send_account_mail(
            "register_account_exists",
            {
                "logins": [user.get_username() for user in accounts],
                "login_url": absolute_url("customer:login"),
                "reset_url": absolute_url("customer:password_reset"),
            },
            to=registration.email,
            language=reader_language(accounts[0], language),
        )
    else:
        send_account_mail("register_address_in_use", {}, to=registration.email, language=language)

"""Sign-in, password reset, registration and preference forms of the customer portal."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.encoding import force_bytes
from django.utils.functional import Promise
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from customers.models import CustomerUser
from otrs.accounts import throttle
from otrs.accounts.models import User, UserKind
from otrs.web.links import absolute_url

from ..decorators import valid_customer_profile
from ..mail import reader_language, send_account_mail
from ..registration import Registration


def _stored_login(username: str) -> str:
    """The login as stored, for a login typed in another case; as typed if none (or, in old
    data, more than one) matches."""
    found = list(
        User.objects.filter(username__iexact=username).values_list("username", flat=True)[:2]
    )
    return found[0] if len(found) == 1 else username


class LoginForm(throttle.ThrottledSignInMixin, AuthenticationForm):
    """Django's sign-in, for customers with a valid customer user only, throttled after
    repeated failures like the agents' sign-in (but counted apart from it).

    An agent, the system user, an invalid customer user or a deactivated login get the very
    message a wrong password gets: the portal does not tell who has an account. The login
    is found without regard to case (logins are unique that way, and a registered login is
    an email address, which people type in any case)."""

    throttle_scope = throttle.ThrottleScope.CUSTOMER_SIGN_IN
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The login or the password is not correct."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Login")
        self.fields["password"].label = _("Password")

    def clean(self):
        username = self.cleaned_data.get("username")
        if username:
            self.cleaned_data["username"] = _stored_login(username)
        return super().clean()

    def confirm_login_allowed(self, user: User) -> None:
        if valid_customer_profile(user) is None:
            raise self.get_invalid_login_error()


class PasswordResetForm(forms.Form):
    """Asks for a login or an address and mails a reset link to every valid customer user it
    names. The page after it reads the same whether anyone was found or not.

    Requests are throttled per client address (the form then says to wait), and the mails
    per account: beyond the limit none is sent, and nothing on the page says so."""

    login = forms.CharField(
        label=_("Login or email address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            throttle.take_reset_request(throttle.client_address(self.request))
        return cleaned

    def get_customer_users(self, value: str) -> QuerySet[CustomerUser]:
        # Customers without a usable password count too (Django's own form skips them):
        # here that is a customer user an agent created without one, and setting one through
        # their mailbox is exactly how they should get in. There is no outside login system.
        value = value.strip()
        return CustomerUser.objects.select_related("user").filter(
            Q(user__username__iexact=value) | Q(email__iexact=value),
            is_valid=True,
            user__is_active=True,
            user__kind=UserKind.CUSTOMER,
        )

    def save(self, *, token_generator=default_token_generator, **_django_options) -> None:
        """Called by Django's ``PasswordResetView`` (whose mail options do not apply: the
        link points at ``SITE_URL`` and the mail goes to the customer user's address)."""
        for customer in self.get_customer_users(self.cleaned_data["login"]):
            user = customer.user
            if not throttle.take_reset_mail(user.get_username()):
                continue
            url = absolute_url(
                "customer:password_reset_confirm",
                uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
                token=token_generator.make_token(user),
            )
            send_account_mail(
                "password_reset",
                {"user": user, "login": user.get_username(), "url": url},
                to=customer.email,
                language=reader_language(user),
            )


class RegistrationForm(SetPasswordMixin, forms.Form):
    """A new customer account: name, address (which becomes the login) and a password that
    passes the site's password validators."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput({"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput({"autocomplete": "family-name"}),
    )
    # 150: the address becomes the login, and logins are at most that long.
    email = forms.EmailField(
        label=_("Email address"),
        max_length=150,
        widget=forms.EmailInput({"autocomplete": "email"}),
        help_text=_("You sign in with this address. We send a link to confirm it."),
    )
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        try:
            User.username_validator(email.lower())
        except ValidationError:
            raise ValidationError(
                _("This address cannot be used as a login. Please write to us for an account."),
                code="unusable_address",
            ) from None
        return email

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        email = cleaned.get("email") or ""
        # Checked against the account as it will be, so that a password too close to the
        # name or address is refused here with the validators' own words.
        self.validate_password_for_user(
            User(
                username=email.lower(),
                email=email,
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
            )
        )
        return cleaned

    @sensitive_variables()
    def registration(self) -> Registration:
        data = self.cleaned_data
        return Registration(
            email=data["email"],
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            password=data["password1"],
        )


class RegistrationConfirmForm(forms.Form):
    """The second half of a confirmation link: the password chosen when registering."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        help_text=_("The password you chose when you registered."),
    )

    def __init__(self, *args, user: User, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password is None:
            return cleaned
        # Counted as a customer's sign-in: it is one, with the registration's password.
        with throttle.sign_in_attempt(
            throttle.ThrottleScope.CUSTOMER_SIGN_IN,
            self.user.get_username(),
            throttle.client_address(self.request),
        ):
            if not self.user.check_password(password):
                raise ValidationError(
                    _(
                        "This is not the password chosen when registering. If you forgot "
                        "it, register again and use the link of the new mail."
                    ),
                    code="wrong_password",
                )
        return cleaned


def _time_zone_choices() -> list[tuple[str, str | Promise]]:
    return [("", _("Site default"))] + [
        (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
    ]


class PreferencesForm(forms.ModelForm):
    """The customer's language and time zone, which every page then uses."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    class Meta:
        model = User
        fields = ["language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser default"))] + [
            (code, _(name)) for code, name in settings.LANGUAGES
        ]
        self.fields["time_zone"].choices = _time_zone_choices()

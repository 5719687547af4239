"""Two-factor sign-in: a TOTP authenticator app and one-time recovery codes (django-otp's
``otp_totp`` and ``otp_static`` devices).

- Enrolment keeps a new key in the session (no device row yet: opening the page writes
  nothing); one right code makes the confirmed TOTP device, and ten recovery codes are made
  and shown once. Enabling, switching off and an admin's reset each write an account history
  row (:class:`~otrs.accounts.models.AccountEvent`). django-otp keeps static tokens as
  typed, so ours keeps a SHA-256 digest of each (cut to the column's 16 characters) and
  looks codes up by digest: a copy of the database does not hold usable recovery codes.
- Sign-in: a right password for a user with a confirmed device does not sign in. The portal's
  sign-in view keeps the user's id in the session (:func:`start_second_step`) and sends the
  browser to the code step, which signs in only after a right code; wrong codes count in the
  sign-in throttle of that portal, like wrong passwords.
- ``TWO_FACTOR_REQUIRED_FOR_ADMINS``: :class:`RequireEnrolmentMiddleware` keeps a signed-in
  admin without a device on the enrolment page (and sign-out) until enrolled.
- An admin may reset a user's second factor (:func:`reset`, logged by the admin action).
- The daemon removes unconfirmed devices older than a day (:func:`remove_unconfirmed_devices`),
  left by the enrolment page of earlier releases.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from base64 import b32encode
from dataclasses import dataclass
from datetime import timedelta

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from . import throttle
from .models import AccountEvent, AccountEventKind

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery"
# The session key of a sign-in waiting for its code: user id, backend, where to go next.
PENDING = "_twofactor_pending"
# How long a right password waits for its code before the sign-in starts again.
PENDING_SECONDS = 300
# Unconfirmed devices older than this are removed by the daemon.
UNCONFIRMED_MAX_AGE = timedelta(days=1)


class TwoFactorError(ValueError):
    """A code that is wrong, or an enrolment that is not in the expected state."""


# --- devices ---------------------------------------------------------------------------------


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user) -> bool:
    return (
        bool(getattr(user, "pk", None))
        and TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )


# The session key of an enrolment under way: the new key (hex), until a right code confirms
# it. No device row exists before that, so opening the page writes nothing.
ENROLMENT_KEY = "_twofactor_enrolment_key"


def pending_totp(request) -> TOTPDevice:
    """The (unsaved) device of the enrolment under way in this session; its key is made on
    the first call and kept in the session, so the page shows the same key until confirmed."""
    key = request.session.get(ENROLMENT_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = random_hex(20)
        request.session[ENROLMENT_KEY] = key
    return TOTPDevice(user=request.user, name=DEVICE_NAME, key=key, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URL as an inline SVG QR code (no JavaScript, no image)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode()
    return text[text.index("<svg") :]


def recovery_digest(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


def new_recovery_code() -> str:
    raw = (StaticToken.random_token() + StaticToken.random_token())[:10]
    return f"{raw[:5]}-{raw[5:]}"


# --- actions ---------------------------------------------------------------------------------


def confirm_enrolment(request, code: str) -> list[str]:
    """Makes the enrolment's device with one right code for its key; returns the new
    recovery codes (the only time they are shown). A user's earlier devices go."""
    user = request.user
    device = pending_totp(request)
    counter = _verify_new(device, code)
    if counter is None:
        raise TwoFactorError(_("The code is not right. Please try again."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device.confirmed = True
        device.last_t = counter  # the code that confirmed it is used
        device.save()
        codes = _replace_recovery_codes(user)
        _history(user, AccountEventKind.TWO_FACTOR_ENABLED, actor=user)
    del request.session[ENROLMENT_KEY]
    logger.info("Two-factor sign-in enabled for %s.", user.get_username())
    return codes


def _verify_new(device: TOTPDevice, code: str) -> int | None:
    """The time step a right code for the unsaved ``device`` belongs to, or None (checked
    without saving anything, as ``verify_token`` would save the device)."""
    digits = "".join((code or "").split())
    if not digits.isdigit():
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return totp.t() if totp.verify(int(digits), device.tolerance) else None


def _history(user, kind: str, *, actor) -> None:
    AccountEvent.objects.create(user=user, kind=kind, actor=actor)


def _replace_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [new_recovery_code() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=static, token=recovery_digest(code)) for code in codes]
    )
    return codes


def verify(user, code: str):
    """The device a right code (a current TOTP code or an unused recovery code) belongs to,
    or None. A recovery code is used up."""
    code = (code or "").strip()
    if not code:
        return None
    totp = confirmed_totp(user)
    if totp is None:
        return None
    digits = "".join(code.split())
    if digits.isdigit() and totp.verify_token(digits):
        return totp
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if static.verify_token(recovery_digest(code)):
            return static
    return None


def disable(user, code: str) -> None:
    """Switches two-factor sign-in off, with a current code (or a recovery code)."""
    if verify(user, code) is None:
        raise TwoFactorError(_("The code is not right. Please try again."))
    with transaction.atomic():
        remove_devices(user)
        _history(user, AccountEventKind.TWO_FACTOR_DISABLED, actor=user)
    logger.info("Two-factor sign-in disabled by %s.", user.get_username())


def remove_devices(user) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def remove_unconfirmed_devices(*, older_than: timedelta = UNCONFIRMED_MAX_AGE) -> int:
    """Delete authenticator devices never confirmed and made more than ``older_than`` ago
    (the daemon, daily); the number deleted. Only the enrolment page of before this release
    made them (a row with a key for every visit); today's page makes a device only with a
    right code. An unconfirmed device signs no one in, but its key need not stay. A row
    without a creation time (django-otp before its timestamps) counts as old."""
    cutoff = timezone.now() - older_than
    stale = TOTPDevice.objects.filter(confirmed=False).filter(
        Q(created_at__lt=cutoff) | Q(created_at__isnull=True)
    )
    deleted, _by_model = stale.delete()
    if deleted:
        logger.info("Removed %d unconfirmed authenticator device(s).", deleted)
    return deleted


def reset(user, *, actor) -> bool:
    """An admin removes a user's second factor (a lost phone and lost codes); False when
    there was none."""
    with transaction.atomic():
        if not is_enrolled(user):
            return False
        remove_devices(user)
        _history(user, AccountEventKind.TWO_FACTOR_RESET, actor=actor)
    logger.info("Two-factor sign-in of %s reset by %s.", user.get_username(), actor.get_username())
    return True


def required_for(user) -> bool:
    """Whether this signed-in user must enrol before doing anything else."""
    return bool(
        getattr(settings, "TWO_FACTOR_REQUIRED_FOR_ADMINS", False)
        and user.is_authenticated
        and user.is_staff
        and getattr(user, "is_agent", False)
        and not is_enrolled(user)
    )


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


# --- the sign-in's second step -------------------------------------------------------------


def start_second_step(request, user, next_url: str, scope: str) -> None:
    """After a right password at the sign-in of ``scope``: remember who signed in, not
    signed in yet (only that portal's code step finishes it)."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
        "next": next_url,
        "at": int(time.time()),
        "scope": str(scope),
    }


def pending_user(request, scope: str):
    data = request.session.get(PENDING)
    if not isinstance(data, dict) or data.get("scope") != str(scope):
        return None
    if not isinstance(data.get("at"), int) or time.time() - data["at"] > PENDING_SECONDS:
        return None
    if not isinstance(data.get("user"), int):
        return None
    user = get_user_model().objects.filter(pk=data["user"], is_active=True).first()
    return user if user is not None and is_enrolled(user) else None


class SecondStepLoginMixin:
    """For a ``LoginView``: a user with a confirmed device goes to the code step
    (``code_step_url``, a URL name) instead of being signed in."""

    code_step_url: str

    def form_valid(self, form):
        user = form.get_user()
        if is_enrolled(user):
            scope = form.throttle_scope
            start_second_step(self.request, user, self.get_success_url(), scope)
            return redirect(self.code_step_url)
        return super().form_valid(form)


@dataclass
class CodeStepResult:
    done: bool
    error: str | None = None
    redirect_to: str | None = None


def finish_second_step(request, code: str, scope: throttle.ThrottleScope) -> CodeStepResult:
    """Checks the code of a pending sign-in inside the sign-in throttle; signs in if right."""
    user = pending_user(request, scope)
    if user is None:
        return CodeStepResult(done=False, error="expired")
    data = request.session[PENDING]
    device = None
    try:
        with throttle.code_attempt(scope, user.get_username(), throttle.client_address(request)):
            device = verify(user, code)
            if device is None:
                raise TwoFactorError("wrong code")
    except TwoFactorError:
        return CodeStepResult(done=False, error="wrong")
    except ValidationError as refusal:
        return CodeStepResult(done=False, error=str(refusal.messages[0]))
    del request.session[PENDING]
    auth_login(request, user, backend=data["backend"])
    otp_login(request, device)
    next_url = data.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    return CodeStepResult(done=True, redirect_to=next_url)


def code_step_view(*, template: str, scope: throttle.ThrottleScope, login_url: str):
    """The code step of one portal's sign-in (its template, throttle scope and sign-in)."""

    @sensitive_post_parameters("code")
    @never_cache
    @require_http_methods(["GET", "POST"])
    def view(request):
        if pending_user(request, scope) is None:
            return redirect(login_url)
        error = None
        if request.method == "POST":
            result = finish_second_step(request, request.POST.get("code", ""), scope)
            if result.done:
                return redirect(result.redirect_to)
            if result.error == "expired":
                return redirect(login_url)
            error = (
                gettext_now("The code is not right. Please try again.")
                if result.error == "wrong"
                else result.error
            )
        return render(
            request,
            template,
            {"error": error, "login_url": reverse(login_url)},
            status=200 if error is None else 400,
        )

    return view


def enrolment_page(request, *, template: str, here: str):
    """Enrolment, the recovery codes shown once, and switching off (one page, three forms)."""
    user = request.user
    context: dict = {"here": reverse(here)}
    if request.method == "POST":
        action = request.POST.get("action")
        code = request.POST.get("code", "")
        try:
            if action == "confirm":
                context["recovery_codes"] = confirm_enrolment(request, code)
                context["enrolled"] = True
                return render(request, template, context)
            if action == "disable":
                disable(user, code)
                return redirect(here)
            context["error"] = gettext_now("Unknown action.")
        except TwoFactorError as refused:
            context["error"] = str(refused.args[0])
            context["error_action"] = action
    enrolled = is_enrolled(user)
    context["enrolled"] = enrolled
    context["required"] = required_for(user)
    if enrolled:
        context["recovery_left"] = recovery_codes_left(user)
    else:
        device = pending_totp(request)
        context["secret"] = secret_text(device)
        context["qr_svg"] = qr_svg(device)
    return render(request, template, context, status=400 if context.get("error") else 200)


# --- required enrolment for admins --------------------------------------------------------


class RequireEnrolmentMiddleware:
    """With ``TWO_FACTOR_REQUIRED_FOR_ADMINS``: an admin without a device reaches only the
    enrolment page, sign-out and static files until enrolled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and getattr(settings, "TWO_FACTOR_REQUIRED_FOR_ADMINS", False)
            and user.is_authenticated
            and user.is_staff
        ):
            allowed = {
                reverse("agent:two_factor"),
                reverse("agent:logout"),
                reverse("admin:logout"),
            }
            static = settings.STATIC_URL or "/static/"
            if (
                request.path not in allowed
                and not request.path.startswith(static)
                and required_for(user)
            ):
                return redirect("agent:two_factor")
        return self.get_response(request)

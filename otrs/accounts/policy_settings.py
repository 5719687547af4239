"""Sign-in throttling as policy the admin edits (see :mod:`otrs.policy`)."""

from django.utils.translation import gettext_lazy as _

from otrs.policy import Definition

GROUP = _("Sign-in")

settings = [
    Definition(
        "login_failure_limit",
        _("Failed sign-ins per login"),
        _("Wrong passwords allowed for one login from one address before it has to wait."),
        GROUP,
        "LOGIN_FAILURE_LIMIT",
        minimum=1,
        maximum=1000,
    ),
    Definition(
        "login_address_failure_limit",
        _("Failed sign-ins per address"),
        _("Failed sign-ins from one address, whatever the login, before it has to wait."),
        GROUP,
        "LOGIN_ADDRESS_FAILURE_LIMIT",
        minimum=1,
        maximum=10000,
    ),
    Definition(
        "login_failure_window_minutes",
        _("Sign-in wait"),
        _("How long failed sign-ins are counted, and how long a blocked login waits."),
        GROUP,
        "LOGIN_FAILURE_WINDOW",
        env="LOGIN_FAILURE_WINDOW_MINUTES",
        minimum=1,
        maximum=24 * 60,
        scale=60,
        unit=_("minutes"),
    ),
    Definition(
        "password_reset_limit",
        _("Password reset mails per account"),
        _("Password reset mails one customer account receives in the reset window."),
        GROUP,
        "PASSWORD_RESET_LIMIT",
        minimum=1,
        maximum=100,
    ),
    Definition(
        "password_reset_address_limit",
        _("Password reset requests per address"),
        _("Password reset requests one address may send in the reset window."),
        GROUP,
        "PASSWORD_RESET_ADDRESS_LIMIT",
        minimum=1,
        maximum=1000,
    ),
    Definition(
        "password_reset_window_minutes",
        _("Password reset window"),
        _("The time over which password reset mails and requests are counted."),
        GROUP,
        "PASSWORD_RESET_WINDOW",
        env="PASSWORD_RESET_WINDOW_MINUTES",
        minimum=1,
        maximum=7 * 24 * 60,
        scale=60,
        unit=_("minutes"),
    ),
    Definition(
        "session_idle_minutes",
        _("Session idle time"),
        _(
            "Minutes without a request after which an agent or customer is signed out "
            "(applies to each session from its next request)."
        ),
        _("Sessions"),
        "SESSION_COOKIE_AGE",
        env="SESSION_IDLE_MINUTES",
        minimum=5,
        maximum=30 * 24 * 60,
        scale=60,
        unit=_("minutes"),
    ),
]

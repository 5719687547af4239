"""The API's policy settings (see :mod:`otrs.policy`)."""

from django.utils.translation import gettext_lazy as _

from otrs.policy import Definition

settings = [
    Definition(
        "api_token_max_days",
        _("Longest token lifetime"),
        _("The longest time a personal access token for the REST API may live."),
        _("REST API"),
        "API_TOKEN_MAX_DAYS",
        minimum=1,
        maximum=3650,
        unit=_("days"),
    ),
]

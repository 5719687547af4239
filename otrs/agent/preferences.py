"""The agent's preferences page: the general settings, then what the apps add.

The shell owns language, time zone and rows per page. An app adds a section (for example the
ticket notifications and "My queues") by declaring a :class:`PreferencesSection` subclass in
the ``preferences`` list of its ``agent_urls`` module. The page validates every section and
saves them together, in one transaction.
"""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User


def _time_zone_choices():
    return [("", _("Site default"))] + [
        (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
    ]


class GeneralPreferencesForm(forms.ModelForm):
    """Language, time zone, rows per page and the colour theme."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)
    rows_per_page = forms.TypedChoiceField(
        label=_("Rows per page"), coerce=int, choices=[(n, n) for n in (10, 25, 50, 100)]
    )

    class Meta:
        model = User
        fields = ["language", "time_zone", "rows_per_page", "theme"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser default"))] + [
            (code, _(name)) for code, name in settings.LANGUAGES
        ]
        self.fields["time_zone"].choices = _time_zone_choices()


class PreferencesSection(forms.Form):
    """A part of the preferences page that an app contributes.

    Subclasses declare fields (their names must differ from every other section's, since the
    page is one HTML form), a ``template_name`` that renders them (it gets the section as
    ``section``) and :meth:`save`, which runs only when every section of the page is valid.
    """

    template_name = ""

    def __init__(self, data=None, *, user: User, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user

    def save(self) -> None:
        raise NotImplementedError

"""Forms of the admin dashboard's own screens: they parse, the actions write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User, UserKind
from otrs.accounts.sessions import Scope
from otrs.permissions.keys import PermissionKey


class MatrixForm(forms.Form):
    """A grid of checkboxes: one row per id in ``rows`` (hidden ``row`` fields, the rows the
    page showed), the checked columns of row ``n`` in ``cell_<n>``. Rows not shown are
    not touched. ``cleaned_data["grid"]`` maps each row id to its checked columns."""

    row = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args, rows, columns, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_ids = list(rows)
        self.columns = list(columns)
        self.fields["row"].choices = [(pk, pk) for pk in self.row_ids]
        for pk in self.row_ids:
            self.fields[f"cell_{pk}"] = forms.MultipleChoiceField(
                required=False, choices=[(c, c) for c in self.columns]
            )

    def clean(self):
        cleaned = super().clean()
        rows = cleaned.get("row") or []
        if not rows and not self.errors:
            raise forms.ValidationError(_("Nothing to save: no row was shown."))
        cleaned["grid"] = {pk: set(cleaned.get(f"cell_{pk}") or ()) for pk in rows}
        return cleaned


def key_columns() -> list[str]:
    return list(PermissionKey.values)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100, strip=True)


class EndSessionForm(forms.Form):
    session = forms.CharField(max_length=64)


class EndSessionsForm(forms.Form):
    """Whose sessions to end: all agents', all customers', or one user's (by login)."""

    scope = forms.ChoiceField(label=_("End"), choices=Scope.choices)
    username = forms.CharField(label=_("Login"), required=False, max_length=150, strip=True)

    def clean(self):
        data = super().clean()
        if data.get("scope") != Scope.USER:
            data["user"] = None
            return data
        login = data.get("username", "")
        if not login:
            raise forms.ValidationError(
                {"username": _("Enter the login of the user whose sessions should end.")}
            )
        user = User.objects.filter(username=login).exclude(kind=UserKind.SYSTEM).first()
        if user is None:
            raise forms.ValidationError(
                {
                    "username": _("There is no agent or customer with the login “%(login)s”.")
                    % {"login": login}
                }
            )
        data["user"] = user
        return data


class SessionFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("all")), ("agent", _("agents")), ("customer", _("customers"))],
    )
    q = forms.CharField(label=_("Filter"), required=False, max_length=100, strip=True)


class LogFilterForm(forms.Form):
    level = forms.ChoiceField(
        label=_("From level"),
        required=False,
        choices=[
            ("ERROR", _("errors")),
            ("WARNING", _("warnings and errors")),
            ("INFO", _("information, warnings and errors")),
            ("DEBUG", _("everything")),
        ],
    )
    q = forms.CharField(label=_("Filter"), required=False, max_length=100, strip=True)


class PolicyForm(forms.Form):
    """One policy setting's value, with the field its definition asks for."""

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"] = definition.form_field()

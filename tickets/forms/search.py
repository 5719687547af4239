"""The ticket search form (a GET form: results are links) and the form that names a
search to save it.

:class:`SearchForm` parses query parameters into :class:`tickets.search.Criteria`: queues
limited to those the agent may read, dates read as whole days in the agent's time zone.
A saved search is the same parameters (:meth:`SearchForm.saved_criteria`), so a saved
search is parsed and checked again like a typed one whenever it is used.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import cast

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User, UserKind
from otrs.permissions import PermissionKey, grants_for
from tickets.fields import add_search_fields, search_conditions
from tickets.models import Priority, Queue, State
from tickets.search import (
    DEFAULT_SORT,
    STATE_TYPE_CLOSED,
    STATE_TYPE_OPEN,
    Criteria,
    ticket_number_in,
)

SORT_CHOICES = [
    ("", _("Default (last changed first)")),
    ("number", _("Ticket#")),
    ("age", _("Age")),
    ("changed", _("Changed")),
    ("title", _("Title")),
    ("state", _("State")),
    ("priority", _("Priority")),
    ("queue", _("Queue")),
]
ORDER_CHOICES = [("", _("Default")), ("asc", _("Ascending")), ("desc", _("Descending"))]
STATE_TYPE_CHOICES = [
    ("", _("Any")),
    (STATE_TYPE_OPEN, _("Open")),
    (STATE_TYPE_CLOSED, _("Closed")),
]
DATE_FIELDS = ("created_from", "created_to", "changed_from", "changed_to")


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        # The browser's date picker sends and expects ISO dates, whatever the language.
        super().__init__(format="%Y-%m-%d")


class _TranslatedMultipleChoice(forms.ModelMultipleChoiceField):
    """States and priorities: their names are translated (the default data's names are
    in the catalogue)."""

    def label_from_instance(self, obj):
        return gettext(obj.name)


class _QueueChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


class _AgentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


def _start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in the active (the agent's) time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Ticket number or text"),
        required=False,
        max_length=1000,
        help_text=_("A ticket number, or words from the title or the articles."),
    )
    number = forms.CharField(
        label=_("Ticket#"),
        required=False,
        max_length=60,
        help_text=_("Exact, or with * as a wildcard."),
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=255)
    fulltext = forms.CharField(
        label=_("Full text"),
        required=False,
        max_length=1000,
        help_text=_("Words in the subject or text of any article, internal notes included."),
    )
    customer = forms.CharField(
        label=_("Customer"),
        required=False,
        max_length=250,
        help_text=_("Customer user or customer ID, or a part of it."),
    )
    queue = _QueueChoice(label=_("Queues"), queryset=Queue.objects.none(), required=False)
    state_type = forms.ChoiceField(
        label=_("State type"), choices=STATE_TYPE_CHOICES, required=False
    )
    state = _TranslatedMultipleChoice(
        label=_("States"),
        queryset=State.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = _TranslatedMultipleChoice(
        label=_("Priorities"),
        queryset=Priority.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    owner = _AgentChoice(
        label=_("Owner"),
        queryset=User.objects.filter(kind=UserKind.AGENT, is_active=True),
        required=False,
        empty_label=_("Anyone"),
    )
    created_from = forms.DateField(label=_("Created from"), required=False, widget=_DateInput())
    created_to = forms.DateField(label=_("Created until"), required=False, widget=_DateInput())
    changed_from = forms.DateField(label=_("Changed from"), required=False, widget=_DateInput())
    changed_to = forms.DateField(label=_("Changed until"), required=False, widget=_DateInput())
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)
    order = forms.ChoiceField(label=_("Order"), choices=ORDER_CHOICES, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        readable = sorted(grants_for(user).group_ids(PermissionKey.RO))
        self.fields["queue"].queryset = Queue.objects.filter(
            is_valid=True, group_id__in=readable
        ).order_by("full_name")
        add_search_fields(self)

    def clean(self):
        cleaned = super().clean()
        for start, end in (("created_from", "created_to"), ("changed_from", "changed_to")):
            if cleaned.get(start) and cleaned.get(end) and cleaned[start] > cleaned[end]:
                self.add_error(end, gettext("The end date is before the start date."))
        # Custom-field values parsed by their types (a refused one is its field's error).
        self.field_conditions = search_conditions(self)
        return cleaned

    def criteria(self) -> Criteria:
        """Call after ``is_valid()``. Dates become the agent's whole days: "until" a day
        includes that day."""
        data = self.cleaned_data
        days = {name: data.get(name) for name in DATE_FIELDS}
        return Criteria(
            q=data["q"],
            number=data["number"],
            title=data["title"],
            fulltext=data["fulltext"],
            customer=data["customer"],
            queues=tuple(data["queue"]),
            states=tuple(data["state"]),
            state_type=data["state_type"],
            priorities=tuple(data["priority"]),
            owner=data["owner"],
            created_from=_start_of_day(days["created_from"]) if days["created_from"] else None,
            created_to=(
                _start_of_day(days["created_to"] + timedelta(days=1))
                if days["created_to"]
                else None
            ),
            changed_from=_start_of_day(days["changed_from"]) if days["changed_from"] else None,
            changed_to=(
                _start_of_day(days["changed_to"] + timedelta(days=1))
                if days["changed_to"]
                else None
            ),
            sort=data["sort"] or DEFAULT_SORT,
            order=data["order"],
            fields=self.field_conditions,
        )

    def saved_criteria(self) -> dict[str, list[str]]:
        """The submitted, non-empty parameters of this form's fields: what a saved search
        keeps and replays as a link."""
        saved = {}
        for name in self.fields:
            values = [v for v in cast(QueryDict, self.data).getlist(name) if v.strip()]
            if values:
                saved[name] = values
        return saved

    def more_chosen(self) -> bool:
        """Whether anything besides the quick search box is filled in (or wrong): the
        page then shows the other criteria opened."""
        if not self.is_bound:
            return False
        return any(name != "q" for name in [*self.saved_criteria(), *self.errors])

    def is_number_lookup(self) -> bool:
        """Only a ticket number in the quick search box, nothing else chosen: the search
        may go straight to that ticket, as OTRS does. Call after ``is_valid()``."""
        others = [name for name in self.saved_criteria() if name != "q"]
        return not others and bool(ticket_number_in(self.cleaned_data["q"]))


class SaveSearchForm(forms.Form):
    """Names the current search; ``query`` carries its parameters (a query string)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=10_000)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(gettext("Please give the search a name."))
        return name

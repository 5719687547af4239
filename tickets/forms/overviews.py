"""The query string of the ticket overviews (and of the customer information center's ticket
tabs): sort, order, page, and the queue or the view chosen."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from otrs.web.pagination import MAX_PAGE

SORT_CHOICES = [
    ("age", _("Age")),
    ("number", _("Ticket#")),
    ("title", _("Title")),
    ("state", _("State")),
    ("priority", _("Priority")),
    ("escalation", _("Escalation time")),
]
ORDER_CHOICES = [("asc", _("Ascending")), ("desc", _("Descending"))]


class ListParams(forms.Form):
    """Sort, order and page of an overview. Anything unreadable falls back to the default,
    field by field: a bad link shows the first page, never an error."""

    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)
    order = forms.ChoiceField(label=_("Order"), choices=ORDER_CHOICES, required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    defaults = {"sort": "age", "order": "asc", "page": 1}

    def get(self, name: str):
        """The cleaned value of ``name``, or its default when it is missing or invalid."""
        self.is_valid()  # cleans once; a field that fails is left out of cleaned_data
        value = self.cleaned_data.get(name)
        return self.defaults.get(name) if value in (None, "") else value


class QueueParams(ListParams):
    queue = forms.IntegerField(min_value=1, required=False)


class ViewParams(ListParams):
    """An overview with filters (``?view=``); the first choice is the default."""

    view = forms.ChoiceField(required=False)

    def __init__(self, data, *, views, **kwargs):
        super().__init__(data, **kwargs)
        self.views = views
        self.fields["view"].choices = [(key, label) for key, label, _name in views]
        self.defaults = {**self.defaults, "view": views[0][0]}

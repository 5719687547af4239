"""The FAQ's forms: they parse, and hand domain objects to the actions."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from otrs.fields.forms import add_form_fields, field_values_from

from . import access
from .actions import Content
from .choices import ItemState
from .fields import FAQ_ITEM, FAQ_ITEM_SCREEN
from .models import FaqCategory, FaqItem

RICH = {"rows": 6, "class": "rich"}


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: FaqCategory) -> str:
        return " / ".join(c.name for c in obj.path())


class ContentForm(forms.Form):
    """One revision's content and its change note."""

    title = forms.CharField(label=_("Title"), max_length=250)
    keywords = forms.CharField(
        label=_("Keywords"),
        max_length=250,
        required=False,
        help_text=_("Separated by spaces or commas."),
    )
    symptom = forms.CharField(label=_("Symptom"), required=False, widget=forms.Textarea(RICH))
    problem = forms.CharField(label=_("Problem"), required=False, widget=forms.Textarea(RICH))
    solution = forms.CharField(label=_("Solution"), required=False, widget=forms.Textarea(RICH))
    comment = forms.CharField(
        label=_("Comment (internal)"), required=False, widget=forms.Textarea(RICH)
    )
    note = forms.CharField(label=_("Change note"), max_length=250, required=False)
    expected_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def content(self) -> Content:
        data = self.cleaned_data
        return Content(
            title=data["title"],
            keywords=data["keywords"],
            symptom=data["symptom"],
            problem=data["problem"],
            solution=data["solution"],
            comment=data["comment"],
        )

    def submit(self) -> bool:
        """The button pressed: "save and submit / publish" or "save draft"."""
        return "draft" not in self.data


class ItemForm(ContentForm):
    """A new item: where it lives and who reads it, then its first revision."""

    category = CategoryChoice(label=_("Category"), queryset=FaqCategory.objects.none())
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    state = forms.ChoiceField(label=_("State"), choices=ItemState.choices)
    field_order = ["category", "language", "state"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = access.categories_for(user, access.EDIT).order_by("name")
        add_form_fields(self, FAQ_ITEM, FAQ_ITEM_SCREEN)

    def field_values(self) -> dict:
        """The custom fields' values, by field name."""
        return field_values_from(self.cleaned_data)


class PropertiesForm(forms.Form):
    """Category, state, validity and review date: no new revision."""

    category = CategoryChoice(label=_("Category"), queryset=FaqCategory.objects.none())
    state = forms.ChoiceField(label=_("State"), choices=ItemState.choices)
    valid = forms.BooleanField(label=_("Valid"), required=False)
    review_after = forms.DateField(
        label=_("Needs review after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, item: FaqItem, **kwargs):
        super().__init__(*args, **kwargs)
        categories = access.categories_for(user, access.EDIT).order_by("name")
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = categories
        add_form_fields(self, FAQ_ITEM, FAQ_ITEM_SCREEN, object_id=item.pk)

    def field_values(self) -> dict:
        return field_values_from(self.cleaned_data)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=250, required=False)


class SendBackForm(forms.Form):
    note = forms.CharField(
        label=_("What should change?"), max_length=250, widget=forms.Textarea({"rows": 3})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    inline = forms.BooleanField(label=_("Show inline (images)"), required=False)


class RelatedForm(forms.Form):
    numbers = forms.CharField(
        label=_("Related items"),
        required=False,
        help_text=_("FAQ numbers, separated by spaces or commas."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_numbers(self) -> list[FaqItem]:
        numbers = [n for n in self.cleaned_data["numbers"].replace(",", " ").split() if n]
        found = list(access.visible_to(self.user).filter(number__in=numbers))
        missing = sorted(set(numbers) - {i.number for i in found})
        if missing:
            raise forms.ValidationError(
                _("No FAQ item with the number %(numbers)s."),
                params={"numbers": ", ".join(missing)},
            )
        return found


class SearchForm(forms.Form):
    """The explorer's and the portals' filter (all optional)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("all")), *settings.LANGUAGES]
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("all")), *ItemState.choices]
    )


class VoteForm(forms.Form):
    rating = forms.IntegerField(min_value=1, max_value=5)


class DiffForm(forms.Form):
    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1)

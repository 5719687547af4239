"""Forms of linking two tickets and removing a link, and of linking an FAQ item."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from faq import access as faq_access
from faq.models import FaqItem

from .. import access
from ..choices import LinkType
from ..models import Ticket, TicketLink
from .common import ticket_number_text
from .versioned import VersionedForm


class LinkForm(VersionedForm):
    """Link this ticket with another one, found by its number among the tickets the agent may
    read. "Parent" and "child" say what *this* ticket becomes."""

    NORMAL, PARENT, CHILD = "normal", "parent", "child"

    number = forms.CharField(label=gettext_lazy("Other ticket number"), max_length=60)
    link_type = forms.ChoiceField(
        label=gettext_lazy("Link type"),
        choices=[
            (NORMAL, gettext_lazy("Normal")),
            (PARENT, gettext_lazy("Parent: this ticket is the parent of the other")),
            (CHILD, gettext_lazy("Child: this ticket is a child of the other")),
        ],
        initial=NORMAL,
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_number(self) -> Ticket:
        number = ticket_number_text(self.cleaned_data["number"])
        other = access.visible_to(self.user).filter(number=number).first()
        if other is None:
            raise ValidationError(_("No ticket with that number that you may link to."))
        if other.pk == self.ticket.pk:
            raise ValidationError(_("A ticket cannot be linked to itself."))
        return other

    def clean(self):
        data = super().clean()
        other, kind = data.get("number"), data.get("link_type")
        if other is not None and kind:
            # The action takes the parent as the source.
            parent_first = kind != self.CHILD
            data["source"], data["target"] = (
                (self.ticket, other) if parent_first else (other, self.ticket)
            )
            data["type"] = LinkType.NORMAL if kind == self.NORMAL else LinkType.PARENT_CHILD
        return data


class UnlinkForm(VersionedForm):
    """Remove the link between this ticket and ``other`` (a ticket id)."""

    other = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_other(self) -> Ticket:
        pk = self.cleaned_data["other"]
        linked = TicketLink.objects.filter(
            Q(source=self.ticket, target_id=pk) | Q(source_id=pk, target=self.ticket)
        )
        other = access.visible_to(self.user).filter(pk=pk).first()
        if other is None or not linked.exists():
            raise ValidationError(_("This ticket is not linked to that one."))
        return other


class FaqLinkForm(forms.Form):
    """Link an FAQ item to this ticket, found by its number among the items the agent reads."""

    number = forms.CharField(label=gettext_lazy("FAQ item number"), max_length=40)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_number(self) -> FaqItem:
        number = self.cleaned_data["number"].strip()
        found = faq_access.visible_to(self.user).filter(number=number).first()
        if found is None:
            raise ValidationError(_("No FAQ item with that number that you may read."))
        return found

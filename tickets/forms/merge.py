"""Forms of merging a ticket into another one and of taking it back out."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs.permissions import PermissionKey

from .. import access, actions
from ..choices import UNMERGEABLE_STATE_TYPES
from ..models import Ticket
from .common import ticket_number_text
from .versioned import VersionedForm


class MergeForm(VersionedForm):
    """Step one: the target's number. Step two (``confirm`` set): the agent saw the preview.

    The target is found as mail follow-ups find it (:func:`tickets.actions.resolve_number`
    follows earlier merges) and must allow ``rw``. An unknown number and a ticket the agent may
    not merge into give the same message, so the form does not tell which tickets exist.
    """

    number = forms.CharField(label=gettext_lazy("Merge into ticket number"), max_length=60)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_number(self) -> Ticket:
        refused = ValidationError(_("No ticket with that number that you may merge into."))
        target = actions.resolve_number(ticket_number_text(self.cleaned_data["number"]))
        if target is None:
            raise refused
        try:
            target = access.get_or_404(self.user, target.pk, PermissionKey.RW)
        except Http404:
            raise refused from None
        if target.pk == self.ticket.pk:
            raise ValidationError(_("A ticket cannot be merged into itself."))
        if target.state.state_type in UNMERGEABLE_STATE_TYPES:
            raise ValidationError(
                _("Ticket %(number)s is merged or removed; nothing can be merged into it.")
                % {"number": target.number}
            )
        return target

    def clean(self):
        data = super().clean()
        if self.ticket.merged_into_id is not None:
            raise ValidationError(
                _("Ticket %(number)s is already merged.") % {"number": self.ticket.number}
            )
        return data


class UnmergeForm(VersionedForm):
    """Confirms taking a merged ticket back out of its target."""

"""The forms of the notification admin: the notification itself (also what a YAML import
checks each entry with), the preview's and the test mail's questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User, UserKind
from otrs.conditions.forms import ConditionField

from .. import notifications
from ..choices import Channel, SenderType
from ..forms.common import ticket_number_text
from ..models import NotificationRecipient, NotificationTransport, Ticket, TicketNotification
from .attributes import ticket_schema

TAGS_HELP = _(
    "Tags: <OTRS_TICKET_Title>, <OTRS_TICKET_TicketNumber>, <OTRS_TICKET_Queue>, "
    "<OTRS_TICKET_State>, <OTRS_TICKET_Priority>, <OTRS_TICKET_DynamicField_Name>, "
    "<OTRS_OWNER_UserFullname>, <OTRS_RESPONSIBLE_UserFullname>, <OTRS_CURRENT_UserFullname> "
    "(who made the change), <OTRS_NOTIFICATION_RECIPIENT_UserFirstname>, "
    "<OTRS_NOTIFICATION_Article> (the article's sender, subject and first lines), "
    "<OTRS_TICKET_Link>, <OTRS_NOTIFICATION_PreferencesLink>; for the customer: "
    "<OTRS_NOTIFICATION_Greeting>, <OTRS_NOTIFICATION_CustomerArticle>, "
    "<OTRS_NOTIFICATION_PortalLink>, <OTRS_NOTIFICATION_PortalAnswerLink>. The subject gets "
    "the ticket number in front."
)


class TicketNotificationForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=notifications.event_choices,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    ticket_filter = ConditionField(label=_("Ticket filter"), schema=ticket_schema)
    article_sender_types = forms.MultipleChoiceField(
        label=_("Article sender"),
        choices=SenderType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any article, or none."),
    )
    article_channels = forms.MultipleChoiceField(
        label=_("Article channel"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    recipients = forms.MultipleChoiceField(
        label=_("Recipients"),
        choices=NotificationRecipient.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    transports = forms.MultipleChoiceField(
        label=_("Transports"),
        choices=NotificationTransport.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "How agents are told: by mail, in the agent portal (the bell), or both. The "
            "customer and further addresses always get mail."
        ),
    )

    class Meta:
        model = TicketNotification
        fields = [
            "name",
            "key",
            "comment",
            "valid",
            "events",
            "ticket_filter",
            "article_sender_types",
            "article_channels",
            "recipients",
            "recipient_agents",
            "recipient_groups",
            "recipient_roles",
            "recipient_addresses",
            "transports",
            "once_per_day",
            "agent_may_choose",
            "enabled_by_default",
        ]
        help_texts = {
            "key": _("Names the notification in the agents' preferences and in the trace."),
            "recipient_addresses": _("One mail address per line; they get it whatever access."),
            "once_per_day": _("A recipient gets it at most once a day per ticket."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agents = User.objects.filter(kind=UserKind.AGENT, is_active=True).order_by("username")
        self.fields["recipient_agents"].queryset = agents  # type: ignore[attr-defined]

    def clean_recipient_addresses(self) -> str:
        lines = [
            line.strip()
            for line in self.cleaned_data.get("recipient_addresses", "").splitlines()
            if line.strip()
        ]
        for number, line in enumerate(lines, 1):
            try:
                validate_email(line)
            except forms.ValidationError:
                raise forms.ValidationError(
                    gettext("Line %(number)s: “%(address)s” is no mail address.")
                    % {"number": number, "address": line}
                ) from None
        return "\n".join(lines)

    def clean(self):
        data = super().clean()
        named = (
            data.get("recipients")
            or data.get("recipient_agents")
            or data.get("recipient_groups")
            or data.get("recipient_roles")
            or data.get("recipient_addresses")
        )
        if not named:
            raise forms.ValidationError(gettext("Choose at least one recipient."))
        return data


class PreviewForm(forms.Form):
    """What the preview asks: a ticket, an event, and who made the change."""

    ticket = forms.CharField(label=_("Ticket#"), max_length=60)
    event = forms.ChoiceField(label=_("Event"), choices=notifications.event_choices)
    actor = forms.ModelChoiceField(
        User.objects.filter(kind=UserKind.AGENT, is_active=True).order_by("username"),
        label=_("Changed by"),
        required=False,
        help_text=_("Empty: the system. The one who made a change is never told of it."),
    )

    def clean_ticket(self) -> Ticket:
        number = ticket_number_text(self.cleaned_data["ticket"])
        ticket = Ticket.objects.filter(number=number).first() if number else None
        if ticket is None:
            raise forms.ValidationError(
                gettext("There is no ticket “%(number)s”.") % {"number": number}
            )
        return ticket


class TestMailForm(PreviewForm):
    """What the test mail asks: the preview's questions and the text's language."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

"""The free-fields form (OTRS AgentTicketFreeText): title, type, service, SLA and the ticket's
custom fields in one form. Choice lists hold valid entries plus the ticket's current one (an
invalidated type stays selectable on tickets that still have it)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..fields import TicketScreen, add_form_fields
from ..models import SLA, Service, TicketType
from .changes import TicketActionForm
from .common import TranslatedChoiceField


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Service) -> str:
        return obj.full_name


class FreeFieldsForm(TicketActionForm):
    title = forms.CharField(label=_("Title"), max_length=255)
    type = TranslatedChoiceField(
        label=_("Type"), queryset=TicketType.objects.none(), empty_label=None
    )
    service = ServiceChoiceField(
        label=_("Service"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("No service"),
    )
    sla = forms.ModelChoiceField(
        label=_("SLA"), queryset=SLA.objects.none(), required=False, empty_label=_("No SLA")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ticket = self.ticket
        fields = self.fields
        fields["type"].queryset = TicketType.objects.filter(Q(is_valid=True) | Q(pk=ticket.type_id))
        fields["service"].queryset = Service.objects.filter(
            Q(is_valid=True) | Q(pk=ticket.service_id)
        )
        fields["sla"].queryset = SLA.objects.filter(Q(is_valid=True) | Q(pk=ticket.sla_id))
        self.initial.update(
            {
                "title": ticket.title,
                "type": ticket.type_id,
                "service": ticket.service_id,
                "sla": ticket.sla_id,
            }
        )
        add_form_fields(self, TicketScreen.FREE_FIELDS, ticket=ticket)

    def clean(self):
        data = super().clean()
        sla, service = data.get("sla"), data.get("service")
        if sla is not None and (service is None or not sla.services.filter(pk=service.pk).exists()):
            self.add_error("sla", _("The SLA does not belong to the chosen service."))
        return data

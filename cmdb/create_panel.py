"""The new-ticket screens' "affected configuration items" panel (:mod:`tickets.create_panels`).

An agent creating a phone or email ticket is offered the CIs of the ticket's customer (their
company in a company attribute, or themselves in a customer attribute) that the agent may
see; a customer creating a ticket in the portal is offered their own, as the portal lists
them (only with ``CMDB_CUSTOMER_PORTAL``). The ones chosen are linked to the new ticket as
"relevant to" in the ticket's own transaction (:func:`cmdb.actions.link_affected_configitems`).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.create_panels import CreatePanel, Requester, register

from . import access, actions

#: The most CIs offered at once (a big company's CIs are found in the CMDB, not here).
MAX_OFFERED = 100


class AffectedChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj) -> str:
        ci_class, state = gettext(obj.ci_class.name), gettext(obj.current_incident_state.name)
        return f"{obj.number} · {obj.name} ({ci_class}, {state})"


def _offered(user, requester: Requester | None):
    if getattr(user, "is_customer", False):
        return access.visible_to(user)
    if requester is None:
        return None
    return access.of_requester(user, requester.customer_user, requester.customer_id)


def fields(user, requester: Requester | None) -> dict[str, forms.Field]:
    is_customer = getattr(user, "is_customer", False)
    if not is_customer and not access.classes_for(user).exists():
        return {}  # an agent without any CMDB class: no panel at all
    found = _offered(user, requester)
    queryset = (
        found.select_related("ci_class", "current_incident_state").order_by(
            "ci_class__name", "name", "pk"
        )
        if found is not None
        else access.visible_to(user).none()
    )
    ids = list(queryset.values_list("pk", flat=True)[:MAX_OFFERED])
    if is_customer and not ids:
        return {}  # nothing of theirs: the portal's form stays as it was
    help_text = (
        _("Choose the configuration items this ticket is about.")
        if ids
        else _(
            "No configuration items are registered for this customer. Enter the customer "
            "and update the lists to see theirs."
        )
    )
    offered = queryset.filter(pk__in=ids)
    return {
        "configitems": AffectedChoiceField(
            queryset=offered,
            required=False,
            label=_("Affected configuration items"),
            help_text=help_text,
        )
    }


def apply(ticket, values: dict, actor) -> None:
    chosen = list(values.get("configitems") or [])
    if chosen:
        actions.link_affected_configitems(ticket, chosen, actor=actor)


def register_panel() -> None:
    register(
        CreatePanel(
            key="cmdb",
            legend=_("Configuration items"),
            fields=fields,
            apply=apply,
            order=50,
        )
    )

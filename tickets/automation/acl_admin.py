"""The ACL admin: rules (checked by part), YAML export and import, and the ACL debugger.

The debugger (read-only, for those who may view ACLs) takes a ticket (or none: a new
ticket), an agent or a customer user, and a screen, and shows what
:func:`tickets.automation.acl.evaluate` decides: each active rule in order, whether it
matched, what it removed and added per field (the selection custom fields' values and the
actions included), the values each field keeps and the actions left (on the screen "zoom":
the menu entries shown; on another screen: whether it opens). It is the
same evaluation the screens run (:func:`~tickets.automation.acl.restrict_form`); a screen
offers of those values the ones it offers at all (the close screen only closed states).
"""

from __future__ import annotations

from typing import Any

import yaml
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User, UserKind
from otrs.conditions.forms import ConditionField

from ..forms.common import ticket_number_text
from ..models import AclRule, Ticket
from . import acl, admin_yaml, portable

TRANSLATED = ("state", "priority", "type")


class AclRuleForm(forms.ModelForm):
    """The rule with its properties in the condition language and its changes as YAML with
    names (as the export writes them); each error is shown on its part."""

    properties = ConditionField(label=_("Properties"), schema=acl.acl_schema)
    changes_text = forms.CharField(
        label=_("Changes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=_(
            "YAML: per field (queue, state, priority, type, service, sla, owner, "
            "responsible; a dropdown or multiselect custom field as field:<Name>, its "
            "values by key; action, the screens' names) a list of names under possible, "
            "possible_add or possible_not, e.g. “state: {possible_not: [closed "
            "successful]}” or “action: {possible_not: [close, merge]}”."
        ),
    )

    class Meta:
        model = AclRule
        fields = ["name", "description", "valid", "stop_after_match", "properties"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        changes = self.instance.changes or {}
        shown = portable.acl_changes_out(changes) if changes else ""
        self.initial.setdefault(
            "changes_text",
            yaml.safe_dump(shown, allow_unicode=True, sort_keys=False) if shown else "",
        )

    def clean_changes_text(self) -> dict:
        text = self.cleaned_data["changes_text"]
        try:
            data = yaml.safe_load(text) if text.strip() else {}
        except yaml.YAMLError as error:
            raise forms.ValidationError(
                gettext("This is no YAML: %(error)s") % {"error": error}
            ) from error
        errors: list[str] = []
        changes = portable.acl_changes_in(data or {}, "", errors)
        if errors:
            raise forms.ValidationError(errors)
        return changes

    def _post_clean(self) -> None:
        if "changes_text" in self.cleaned_data:
            self.instance.changes = self.cleaned_data["changes_text"]
        super()._post_clean()  # type: ignore[misc]
        if "changes_text" in self.errors:
            return
        for part, found in acl.rule_errors(self.instance).items():
            field = {"properties": "properties", "changes": "changes_text"}.get(part)
            if field is not None and field in self.errors:
                continue
            for message in found:
                self.add_error(field, message)


class _LoginChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_username()


class AclDebugForm(forms.Form):
    """What the debugger asks: a ticket (or none), an agent or a customer user, a screen."""

    ticket = forms.CharField(
        label=_("Ticket#"),
        max_length=60,
        required=False,
        help_text=_("Empty: a new ticket."),
    )
    agent = _LoginChoice(
        User.objects.filter(kind=UserKind.AGENT, is_active=True).order_by("username"),
        label=_("Agent"),
        required=False,
    )
    customer = forms.CharField(label=_("or customer user (login)"), max_length=150, required=False)
    screen = forms.ChoiceField(label=_("Screen"), choices=acl.SCREENS)

    def clean_ticket(self) -> Ticket | None:
        number = ticket_number_text(self.cleaned_data["ticket"])
        if not number:
            return None
        ticket = Ticket.objects.select_related("state").filter(number=number).first()
        if ticket is None:
            raise forms.ValidationError(
                gettext("There is no ticket “%(number)s”.") % {"number": number}
            )
        return ticket

    def clean_customer(self) -> User | None:
        login = self.cleaned_data["customer"].strip()
        if not login:
            return None
        user = User.objects.filter(username=login, kind=UserKind.CUSTOMER).first()
        if user is None:
            raise forms.ValidationError(
                gettext("There is no customer user “%(login)s”.") % {"login": login}
            )
        return user

    def clean(self):
        data = super().clean()
        if "customer" in self.errors:
            return data
        if bool(data.get("agent")) == bool(data.get("customer")):
            raise forms.ValidationError(
                gettext("Choose an agent or a customer user (one of them).")
            )
        return data


def debug_report(ticket: Ticket | None, user: User, screen: str) -> dict[str, Any]:
    """The debugger's answer, with names: rules in order and the lists left."""
    decision = acl.evaluate(acl.default_options(), ticket=ticket, agent=user, screen=screen)
    names = {name: acl.names_of(name, ids) for name, ids in decision.original.items()}

    def shown(name: str, ids: list[Any]) -> list[str]:
        # States, priorities and types carry English names the catalogue translates.
        label = gettext if name in TRANSLATED else str
        return [label(names[name].get(i, str(i))) for i in ids]

    steps = [
        {
            "rule": step.rule,
            "url": reverse("admin:tickets_aclrule_change", args=[step.rule.pk]),
            "matched": step.matched,
            "changes": [
                (
                    acl.label_of(name),
                    shown(name, step.removed.get(name, [])),
                    shown(name, step.added.get(name, [])),
                )
                for name in decision.original
                if name in step.removed or name in step.added
            ],
        }
        for step in decision.steps
    ]
    lists = {
        name: {
            "label": acl.label_of(name),
            "kept": shown(name, decision.final[name]),
            "removed": shown(name, [i for i in ids if i not in set(decision.final[name])]),
        }
        for name, ids in decision.original.items()
    }
    # The actions apart: a long list, and what a screen does with it differs (the zoom
    # hides the entries, a screen refuses itself).
    actions = lists.pop(acl.ACTION)
    active = len(acl.active_rules())
    return {
        "steps": steps,
        "lists": list(lists.values()),
        "actions": actions,
        "stopped": len(decision.steps) < active,
    }


@admin.register(AclRule)
class AclRuleAdmin(admin.ModelAdmin):
    form = AclRuleForm
    list_display = ("name", "valid", "stop_after_match", "changed_at")
    list_filter = ("valid",)
    search_fields = ("name", "description")
    actions = ["export_yaml"]
    change_list_template = "admin/tickets/aclrule/change_list.html"

    def save_model(self, request, obj, form, change) -> None:
        obj.changed_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Export as YAML"))
    def export_yaml(self, request, queryset):
        return admin_yaml.yaml_download(
            portable.export_acls(queryset.order_by("name")), "acls.yaml"
        )

    def get_urls(self):
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="tickets_aclrule_import",
            ),
            path(
                "debug/",
                self.admin_site.admin_view(self.debug_view),
                name="tickets_aclrule_debug",
            ),
        ]
        return own + super().get_urls()

    def import_view(self, request):
        return admin_yaml.import_view(
            self,
            request,
            importer=portable.import_acls,
            title=gettext("Import ACLs"),
            explanation=gettext(
                "A YAML file as the export writes it. An ACL of an existing name is replaced. "
                "Nothing is imported if any part is refused."
            ),
            done=admin_yaml.imported_acls,
        )

    def debug_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = AclDebugForm(request.GET if "screen" in request.GET else None)
        report = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            user = data["agent"] or data["customer"]
            report = debug_report(data["ticket"], user, data["screen"])
            report["ticket"] = data["ticket"]
            report["user"] = user
            report["screen"] = dict(acl.SCREENS)[data["screen"]]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("ACL debugger"),
            "form": form,
            "report": report,
        }
        status = 400 if form.is_bound and form.errors else 200
        return TemplateResponse(request, "admin/tickets/aclrule/debug.html", context, status=status)

"""The process admin: a process with its dialogs, activities and transitions on one page (plain
forms; no diagram editor), its drawing and its problems shown read-only, YAML export (an
admin action) and import (a page of its own), and the trace of process tickets.

Transitions are edited with the condition language (:class:`otrs.conditions.forms.ConditionField`)
and their actions as YAML in GenericAgent's change names, with names for ids (``state: closed
successful``). A process with problems is saved but switched off (:func:`save_process`).
"""

from __future__ import annotations

from typing import Any

import yaml
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs.conditions.forms import ConditionField

from ..automation.attributes import ticket_schema
from ..automation.changes import change_errors
from ..models import Activity, ActivityDialog, Process, ProcessStep, Transition
from . import definitions, diagram, dialogs


class DialogForm(forms.ModelForm):
    fields_text = forms.CharField(
        label=_("Fields"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
        help_text=_(
            "One per line, in the order shown; “required” after a name makes it required. "
            "Names: title, queue, state, priority, type, service, sla, owner, responsible, "
            "customer_user, customer_id, article, field:<custom field>."
        ),
    )

    class Meta:
        model = ActivityDialog
        fields = ["name", "description", "interface", "submit_text"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 30})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("fields_text", dialogs.format_fields(self.instance.fields or []))

    def clean_fields_text(self) -> list[dict]:
        found = dialogs.parse_fields(self.cleaned_data["fields_text"])
        errors = dialogs.field_errors(
            found, customer=self.cleaned_data.get("interface") == "customer"
        )
        if errors:
            raise ValidationError(errors)
        return found

    def save(self, commit: bool = True) -> ActivityDialog:
        self.instance.fields = self.cleaned_data.get("fields_text", [])
        return super().save(commit)


class DialogInline(admin.StackedInline):
    model = ActivityDialog
    form = DialogForm
    extra = 0


class _ForProcess:
    """Limit the choices of an inline's activity and dialog fields to the process's own."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        process = obj
        base = formset.form

        class Limited(base):
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, **inner)
                for name, field in self.fields.items():
                    if name in ("from_activity", "to_activity"):
                        field.queryset = Activity.objects.filter(process=process)
                    elif name == "dialogs":
                        field.queryset = ActivityDialog.objects.filter(process=process)

        formset.form = Limited
        return formset


class ActivityInline(_ForProcess, admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["name", "order", "dialogs"]
    formfield_overrides = {
        # Plain checkboxes: the dialogs of one process are few, and no JavaScript is needed.
        Activity.dialogs.field.__class__: {"widget": forms.CheckboxSelectMultiple},
    }


class TransitionForm(forms.ModelForm):
    condition = ConditionField(
        label=_("Condition"),
        schema=ticket_schema,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
    )
    actions_text = forms.CharField(
        label=_("Actions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_(
            "YAML with GenericAgent's changes, by name, e.g. “state: closed successful” or "
            "“note: {subject: Approved, body: ...}”."
        ),
    )

    class Meta:
        model = Transition
        fields = ["name", "order", "from_activity", "to_activity", "condition"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        condition = self.fields["condition"]
        condition.help_text = format_lazy(
            "{} {}",
            _(
                "Checked after each dialog and after every change of the ticket made anywhere "
                "else (a screen, a mail, GenericAgent, the API); empty: always holds."
            ),
            condition.help_text,
        )
        if self.instance.actions:
            self.initial.setdefault(
                "actions_text",
                yaml.safe_dump(
                    definitions.portable_changes(self.instance.actions),
                    allow_unicode=True,
                    sort_keys=False,
                ).strip(),
            )

    def clean_actions_text(self) -> dict:
        text = self.cleaned_data["actions_text"]
        try:
            data = yaml.safe_load(text) if text.strip() else {}
        except yaml.YAMLError as error:
            message = gettext("This is no YAML: %(error)s") % {"error": error}
            raise ValidationError(message) from error
        changes = definitions.local_changes(data or {}, gettext("actions"))
        errors = change_errors(changes)
        if errors:
            raise ValidationError(errors)
        return changes

    def save(self, commit: bool = True) -> Transition:
        self.instance.actions = self.cleaned_data.get("actions_text", {})
        return super().save(commit)


class TransitionInline(_ForProcess, admin.StackedInline):
    model = Transition
    form = TransitionForm
    extra = 0


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = ["name", "description", "state", "queue", "start_activity", "start_dialog"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pk = self.instance.pk
        # A new process has no activities yet: the add page leaves the start fields out.
        for name, model in (("start_activity", Activity), ("start_dialog", ActivityDialog)):
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = model.objects.filter(process_id=pk)


@admin.register(Process)
class ProcessAdmin(admin.ModelAdmin):
    form = ProcessForm
    inlines = [DialogInline, ActivityInline, TransitionInline]
    list_display = ("name", "state", "queue", "changed_at")
    list_filter = ("state",)
    search_fields = ("name",)
    readonly_fields = ("drawing", "problems")
    actions = ["export_yaml"]
    change_list_template = "admin/tickets/process/change_list.html"

    def get_fieldsets(self, request, obj=None):
        main = ["name", "description", "state", "queue"]
        if obj is None:
            return [(None, {"fields": main})]
        return [
            (None, {"fields": [*main, "start_activity", "start_dialog"]}),
            (_("Check and drawing"), {"fields": ["problems", "drawing"]}),
        ]

    @admin.display(description=_("Drawing"))
    def drawing(self, process: Process) -> str:
        return diagram.render(process)

    @admin.display(description=_("Problems"))
    def problems(self, process: Process) -> str:
        found = definitions.process_errors(process)
        if not found:
            return gettext("None: the process can be active.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{}</li>", ((m,) for messages in found.values() for m in messages)
            ),
        )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        process = form.instance
        was_active = process.state
        errors = definitions.save_process(process)
        if errors and was_active != process.state:
            messages.error(
                request,
                gettext("The process has problems and was switched off: %(problems)s")
                % {"problems": "; ".join(m for found in errors.values() for m in found)},
            )

    @admin.action(description=_("Export the selected processes as YAML"))
    def export_yaml(self, request, queryset):
        documents = [definitions.export_process(p) for p in queryset.order_by("name")]
        response = HttpResponse("---\n".join(documents), content_type="application/yaml")
        name = slugify(queryset.first().name) if len(documents) == 1 else "processes"
        response["Content-Disposition"] = f'attachment; filename="{name}.yaml"'
        return response

    def get_urls(self):
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="tickets_process_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        problems: list[str] = []
        if request.method == "POST":
            upload = request.FILES.get("file")
            text = upload.read().decode("utf-8", "replace") if upload else ""
            imported = []
            try:
                for document in text.split("\n---\n"):
                    if document.strip():
                        imported.append(definitions.import_process(document))
            except ValidationError as error:
                problems = error.messages
            else:
                for process in imported:
                    messages.success(
                        request, gettext("Process “%(name)s” imported.") % {"name": process}
                    )
                return redirect(reverse("admin:tickets_process_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import processes"),
            "explanation": gettext(
                "A YAML file as the export writes it (several processes separated by “---”). "
                "A process of an existing name is replaced. Nothing is imported if any part "
                "is refused."
            ),
            "problems": problems,
        }
        return TemplateResponse(request, "admin/yaml_import.html", context)


@admin.register(ProcessStep)
class ProcessStepAdmin(admin.ModelAdmin):
    """The trace of process tickets: every start, dialog and change made elsewhere that
    moved one, the transitions checked."""

    list_display = (
        "created_at",
        "ticket",
        "process",
        "dialog_name",
        "activity_before",
        "activity_after",
    )
    list_filter = ("process",)
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "process")
    fields = (
        "created_at",
        "ticket",
        "process",
        "actor",
        "dialog_name",
        "trigger_events",
        "caused_by",
        "depth",
        "activity_before",
        "activity_after",
        "message",
        "trace",
    )
    readonly_fields = fields

    @admin.display(description=_("Transitions checked"))
    def trace(self, step: ProcessStep) -> str:
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li><strong>{}</strong> ({} → {}): {}<ul>{}</ul></li>",
                (
                    (
                        check["transition"],
                        check["from"],
                        check["to"],
                        gettext("fired") if check["held"] else gettext("did not hold"),
                        format_html_join(
                            "",
                            "<li>{} — {}</li>",
                            (
                                (
                                    line or gettext("(no condition: always)"),
                                    gettext("yes") if held else gettext("no"),
                                )
                                for line, held in check["lines"]
                            ),
                        ),
                    )
                    for check in step.checks
                ),
            ),
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

"""The admin of custom fields: list, create, edit, reorder (the order column is editable in the
list), possible values inline, a preview of the widget, per-screen settings, YAML export and
import. Saves go through :mod:`otrs.fields.actions`, which refuse changes that would break
stored values; deleting a field says how many objects lose their value."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import actions, portable, registry
from .models import FieldDefinition, PossibleValue
from .registry import ScreenMode
from .types import field_type_choices

SCREEN_PREFIX = "screen__"


def _screen_choices(form: bool) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [(ScreenMode.OFF, _("off")), (ScreenMode.SHOWN, _("shown"))]
    if form:
        choices.append((ScreenMode.REQUIRED, _("required")))
    return choices


class PossibleValueFormSet(forms.BaseInlineFormSet):
    """Refuses removing (or re-keying) a possible value that objects still hold."""

    def clean(self):
        super().clean()
        definition = self.instance
        if definition.pk is None:
            return
        gone = []
        for form in self.forms:
            original = form.instance
            if original.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                gone.append(original.key)
            elif "key" in form.changed_data:
                gone.append(PossibleValue.objects.get(pk=original.pk).key)
        if gone:
            in_use = actions.objects_with_values(definition, value_text__in=gone)
            if in_use:
                raise ValidationError(
                    ngettext(
                        "%(keys)s cannot be removed: %(count)d object has it as its value.",
                        "%(keys)s cannot be removed: %(count)d objects have it as their value.",
                        in_use,
                    )
                    % {"keys": ", ".join(gone), "count": in_use}
                )


class PossibleValueForm(forms.ModelForm):
    """A row of the possible-value table: inputs sized for a row, so the table fits the page
    (the JSON labels were a 40-column, 10-row box per row)."""

    class Meta:
        model = PossibleValue
        fields = ["key", "label", "labels", "valid", "order"]
        widgets = {
            "key": forms.TextInput(attrs={"size": 16}),
            "label": forms.TextInput(attrs={"size": 20}),
            "labels": forms.Textarea(attrs={"rows": 2, "cols": 24}),
            "order": forms.NumberInput(attrs={"class": "vIntegerField"}),
        }


class PossibleValueInline(admin.TabularInline):
    model = PossibleValue
    form = PossibleValueForm
    formset = PossibleValueFormSet
    fields = ["key", "label", "labels", "valid", "order"]
    extra = 1


class FieldDefinitionForm(forms.ModelForm):
    object_type = forms.ChoiceField(label=_("object type"), choices=())
    field_type = forms.ChoiceField(label=_("field type"), choices=())

    class Meta:
        model = FieldDefinition
        fields = [
            "copy_on_merge",
            "name",
            "label",
            "labels",
            "object_type",
            "field_type",
            "valid",
            "order",
            "settings",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = registry.object_type_choices()
        self.fields["field_type"].choices = field_type_choices()
        self.fields["settings"].required = False
        self.fields["labels"].required = False
        screens = self.instance.screens or {}
        for object_type in registry.object_types():
            for screen in object_type.screens:
                name = f"{SCREEN_PREFIX}{object_type.key}__{screen.key}"
                self.fields[name] = forms.ChoiceField(
                    label=f"{object_type.label}: {screen.label}",
                    choices=_screen_choices(screen.form),
                    required=False,
                    initial=screens.get(screen.key, ScreenMode.OFF)
                    if self.instance.object_type == object_type.key
                    else ScreenMode.OFF,
                )

    def clean_settings(self):
        return self.cleaned_data.get("settings") or {}

    def clean_labels(self):
        return self.cleaned_data.get("labels") or {}

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("object_type")
        screens = {}
        for name, value in cleaned.items():
            if name.startswith(SCREEN_PREFIX) and value and value != ScreenMode.OFF:
                object_type, screen = name[len(SCREEN_PREFIX) :].split("__", 1)
                if object_type == chosen:
                    screens[screen] = value
        self.instance.screens = screens
        candidate = self.instance
        for attribute in ("name", "label", "object_type", "field_type", "settings"):
            if attribute in cleaned:
                setattr(candidate, attribute, cleaned[attribute])
        for attribute, problem in actions.definition_problems(candidate).items():
            self.add_error(attribute if attribute in self.fields else None, problem)
        return cleaned


@admin.register(FieldDefinition)
class FieldDefinitionAdmin(admin.ModelAdmin):
    form = FieldDefinitionForm
    inlines = [PossibleValueInline]

    class Media:
        # The possible-value table fits the page, and scrolls inside it on a phone.
        css = {"all": ["otrs/admin.css"]}

    list_display = ["name", "label", "object_type", "field_type", "valid", "order", "objects"]
    list_editable = ["valid", "order"]
    list_filter = ["object_type", "field_type", "valid"]
    search_fields = ["name", "label"]
    readonly_fields = ["preview"]
    actions = ["export_yaml"]
    change_list_template = "admin/fields/fielddefinition/change_list.html"
    delete_confirmation_template = "admin/fields/fielddefinition/delete_confirmation.html"

    def get_fieldsets(self, request, obj=None):
        form = self.get_form(request, obj)
        screen_fields = [n for n in form.base_fields if n.startswith(SCREEN_PREFIX)]
        return [
            (
                None,
                {
                    "fields": [
                        "name",
                        "label",
                        "labels",
                        "object_type",
                        "field_type",
                        "valid",
                        "order",
                        "copy_on_merge",
                        "settings",
                        "preview",
                    ]
                },
            ),
            (_("Screens"), {"fields": screen_fields}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = None
        form = super().get_form(request, obj, change=change, **kwargs)
        # The screen fields are made per instance in the form's __init__; declare them for
        # the fieldsets so the admin lays them out.
        probe = FieldDefinitionForm(instance=obj or FieldDefinition())
        form.base_fields.update(
            {n: f for n, f in probe.fields.items() if n.startswith(SCREEN_PREFIX)}
        )
        return form

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(object_count=Count("values__object_id", distinct=True))
        )

    @admin.display(description=_("objects with a value"), ordering="object_count")
    def objects(self, obj):
        return obj.object_count

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the field to see its widget.")
        field = obj.type.formfield(obj)
        return format_html(
            '<div class="field-preview"><label>{}</label> {}</div>',
            field.label,
            field.widget.render(f"preview_{obj.name}", field.initial, attrs={"id": "preview"}),
        )

    def get_actions(self, request):
        found = super().get_actions(request)
        # One field at a time: the confirmation names the objects that lose their value.
        found.pop("delete_selected", None)
        return found

    def save_model(self, request, obj, form, change):
        actions.save_definition(obj)

    def delete_model(self, request, obj):
        actions.delete_definition(obj, confirmed_count=actions.objects_with_values(obj))

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        count = actions.objects_with_values(obj) if obj is not None else 0
        return super().delete_view(
            request, object_id, {**(extra_context or {}), "objects_with_values": count}
        )

    @admin.action(description=_("Export selected as YAML"))
    def export_yaml(self, request, queryset):
        text = portable.export_definitions(queryset.prefetch_related("possible_values"))
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="custom-fields.yaml"'
        return response

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="fields_fielddefinition_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        problems: list[str] = []
        if request.method == "POST":
            upload = request.FILES.get("file")
            try:
                text = upload.read().decode("utf-8") if upload else ""
            except UnicodeDecodeError:
                text = None
                problems = [str(_("The file is not UTF-8 text."))]
            if text is not None:
                try:
                    imported = portable.import_definitions(text)
                except portable.ImportRefused as refused:
                    problems = refused.problems
                else:
                    messages.success(
                        request,
                        ngettext(
                            "Imported %(count)d field definition.",
                            "Imported %(count)d field definitions.",
                            len(imported),
                        )
                        % {"count": len(imported)},
                    )
                    return redirect(reverse("admin:fields_fielddefinition_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import custom fields"),
            "explanation": _(
                "A YAML file as the export writes it. Fields are matched by name: existing "
                "ones are updated, new ones created. Nothing is imported if any entry is "
                "refused."
            ),
            "problems": problems,
        }
        return render(
            request,
            "admin/yaml_import.html",
            context,
            status=400 if problems else 200,
        )

"""The CMDB's forms: a CI's values (built from the class definition), list filters, links,
bulk state changes and the definition editor. Forms parse; the actions decide."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from faq import access as faq_access
from otrs.web.pagination import page_number
from otrs.web.uploads import UploadField
from tickets.models import Service

from . import attributes as attrs
from .choices import REVERSE_LABELS, TICKET_LINK_TYPES, Catalog, LinkType
from .models import CatalogItem


def field_name(path: str) -> str:
    return "v_" + path.replace(":", "-").replace("/", "_")


def path_of(name: str) -> str:
    return name[2:].replace("_", "/").replace("-", ":")


class CatalogChoiceField(forms.ModelChoiceField):
    """A catalogue entry, shown by its translated name."""

    def label_from_instance(self, obj) -> str:
        return gettext(obj.name)


class CatalogMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return gettext(obj.name)


def _state_choices(catalog: str):
    return CatalogItem.objects.filter(catalog=catalog, valid=True).order_by("order", "pk")


class CIForm(forms.Form):
    """Name, states and one field per value slot of the class's attributes: the values
    there are, or the default count, plus one empty slot for a repeatable attribute."""

    name = forms.CharField(label=_("Name"), max_length=250)
    deployment_state = CatalogChoiceField(
        label=_("Deployment state"), queryset=CatalogItem.objects.none(), empty_label=None
    )
    incident_state = CatalogChoiceField(
        label=_("Incident state"), queryset=CatalogItem.objects.none(), empty_label=None
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, tree: attrs.Definition, values: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tree = tree
        for name, catalog in (
            ("deployment_state", Catalog.DEPLOYMENT_STATE),
            ("incident_state", Catalog.INCIDENT_STATE),
        ):
            field = self.fields[name]
            assert isinstance(field, CatalogChoiceField)
            field.queryset = _state_choices(catalog)
        values = values or {}
        self.slots: list[dict] = []
        used = attrs.instances(values)
        if self.is_bound:  # the slots the page had (empty ones included)
            used = attrs.instances(path_of(name) for name in self.data if name.startswith("v_"))
        self._add_slots(None, "", used, values, 0)

    def _add_slots(self, parent_id, prefix, used, values, depth) -> None:
        for attribute in self.tree.children[parent_id]:
            if attribute.field_type == attrs.ATTACHMENT:
                continue  # files are added and removed on the CI page, one by one
            taken = used.get((prefix, attribute.pk), set())
            count = max(len(taken), attribute.count_default if not prefix or taken else 0)
            count = max(count, attribute.count_min, 1 if not prefix else count)
            if not self.is_bound and attribute.count_max > count and attribute.count_max > 1:
                count += 1  # room for one more
            positions = sorted(taken) or []
            while len(positions) < min(count, attribute.count_max):
                positions.append((max(positions) + 1) if positions else 0)
            spec = self.tree.spec(attribute.pk)
            for position in positions:
                path = (
                    f"{prefix}/{attribute.pk}:{position}"
                    if prefix
                    else f"{attribute.pk}:{position}"
                )
                name = field_name(path)
                formfield = spec.formfield()
                formfield.label = self.tree.label(path)
                # Required in the page only where a value must be (the first of a top-level
                # required attribute); the definition checks the rest with a named message.
                formfield.required = bool(
                    attribute.required and not prefix and position == 0 and attribute.count_min
                )
                self.fields[name] = formfield
                if path in values:
                    self.initial[name] = spec.to_form(values[path])
                self.slots.append({"name": name, "depth": depth, "path": path})
                self._add_slots(attribute.pk, path, used, values, depth + 1)

    def slot_fields(self):
        return [(self[slot["name"]], slot["depth"]) for slot in self.slots]

    def clean(self):
        """Each slot's value typed by its attribute's type, then the definition's own rules
        (required, repetition), every message naming the attribute."""
        data = super().clean()
        errors: Any = self.errors
        for slot in self.slots:  # the widget's own messages ("Enter a valid date.")
            if slot["name"] in errors:
                label = self.tree.label(slot["path"])
                errors[slot["name"]] = self.error_class(
                    [f"{label}: {message}" for message in errors[slot["name"]]]
                )
        values: dict[str, Any] = {}
        for slot in self.slots:
            if slot["name"] in errors:
                continue
            cleaned = data.get(slot["name"])
            spec = self.tree.spec(attrs.leaf_attribute(slot["path"]))
            if spec.type.is_empty(cleaned):
                continue
            try:
                values[slot["path"]] = spec.from_form(cleaned)
            except ValidationError as exc:
                label = self.tree.label(slot["path"])
                self.add_error(slot["name"], f"{label}: {' '.join(exc.messages)}")
        try:
            self.typed_values = self.tree.clean(values)
        except ValidationError as exc:
            self.typed_values = values
            self.show_refusal({k: " ".join(v) for k, v in exc.message_dict.items()})
        return data

    def values(self) -> dict[str, Any]:
        """Path -> the typed value of each filled slot (after ``is_valid``)."""
        return self.typed_values

    def show_refusal(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            name = key if key in self.fields else field_name(key)
            if name in self.errors:
                continue
            self.add_error(name if name in self.fields else None, message)


class FilterForm(forms.Form):
    """The list's filters (GET)."""

    ci_class = CatalogChoiceField(
        label=_("Class"), queryset=CatalogItem.objects.none(), required=False
    )
    deployment_state = CatalogMultipleChoiceField(
        label=_("Deployment state"),
        queryset=CatalogItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    incident_state = CatalogMultipleChoiceField(
        label=_("Incident state"),
        queryset=CatalogItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    q = forms.CharField(label=_("Name or number"), required=False, max_length=200)
    attribute = forms.ChoiceField(label=_("Attribute"), required=False)
    value = forms.CharField(label=_("Value"), required=False, max_length=200)
    page = forms.CharField(required=False)

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ci_class"].queryset = classes
        self.fields["deployment_state"].queryset = _state_choices(Catalog.DEPLOYMENT_STATE)
        self.fields["incident_state"].queryset = _state_choices(Catalog.INCIDENT_STATE)
        self.searchable = {}
        for attribute in (
            attrs.Attribute.objects.filter(ci_class__in=classes, searchable=True, removed=False)
            .select_related("ci_class")
            .order_by("ci_class__name", "order")
        ):
            self.searchable[str(attribute.pk)] = attribute
        self.fields["attribute"].choices = [("", "-")] + [
            (key, f"{gettext(a.ci_class.name)}: {gettext(a.name)}")
            for key, a in self.searchable.items()
        ]

    def clean(self):
        data = super().clean()
        data["attributes"] = []
        key, value = data.get("attribute"), (data.get("value") or "").strip()
        if key and value:
            attribute = self.searchable[key]
            try:
                parsed = attrs.Spec(attribute).parse(value)
            except ValidationError as exc:
                self.add_error("value", f"{_(attribute.name)}: {' '.join(exc.messages)}")
                return data
            if parsed is not None:
                stored = attrs.Spec(attribute).type.to_db(parsed)[0]
                data["attributes"] = [(attribute, stored)]
        data["page"] = page_number(data.get("page"))
        return data


class LinkForm(forms.Form):
    """Link this CI to another one (by number or name)."""

    link_type = forms.ChoiceField(label=_("Link type"), choices=())
    other = forms.CharField(label=_("Configuration item (number or name)"), max_length=250)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for value, label in LinkType.choices:
            choices.append((value, label))
            if value in (LinkType.DEPENDS_ON, LinkType.INCLUDES):
                choices.append((f"-{value}", REVERSE_LABELS[value]))
        self.fields["link_type"].choices = choices


class TicketLinkForm(forms.Form):
    link_type = forms.ChoiceField(
        label=_("Link type"),
        choices=[(t.value, t.label) for t in TICKET_LINK_TYPES],
        initial=LinkType.RELEVANT_TO,
    )
    ticket = forms.CharField(label=_("Ticket number"), max_length=50)


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), label=_("Configuration items"))
    deployment_state = CatalogChoiceField(
        label=_("Deployment state"), queryset=CatalogItem.objects.none(), required=False
    )
    incident_state = CatalogChoiceField(
        label=_("Incident state"), queryset=CatalogItem.objects.none(), required=False
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = choices
        self.fields["deployment_state"].queryset = _state_choices(Catalog.DEPLOYMENT_STATE)
        self.fields["incident_state"].queryset = _state_choices(Catalog.INCIDENT_STATE)

    def clean(self):
        data = super().clean()
        if not data.get("deployment_state") and not data.get("incident_state"):
            raise ValidationError(_("Choose a deployment state or an incident state."))
        return data


class DefinitionForm(forms.Form):
    """A class definition imported as JSON (as the export writes it: attributes with their
    stable ids), from a file or pasted."""

    file = forms.FileField(label=_("Exported definition (JSON file)"), required=False)
    definition = forms.CharField(
        label=_("Or paste it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    confirm = forms.BooleanField(label=_("Confirm the migration of stored values"), required=False)

    DEFINITION_MAX = 2_000_000

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        text = data.get("definition") or ""
        if upload is not None:
            if upload.size > self.DEFINITION_MAX:
                self.add_error("file", _("The file is too large for a definition."))
                return data
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("The file is not UTF-8 text."))
                return data
        where = "file" if upload is not None else "definition"
        if not text.strip():
            self.add_error("definition", _("Choose an exported file or paste its text."))
            return data
        try:
            specs = json.loads(text)
        except ValueError as exc:
            self.add_error(where, _("Not valid JSON: %(error)s") % {"error": exc})
            return data
        if not isinstance(specs, list):
            self.add_error(where, _("The definition is a list of attributes."))
            return data
        data["text"], data["specs"] = text, specs
        return data


class CopyForm(forms.Form):
    name = forms.CharField(label=_("Name of the copy"), max_length=250, required=False)


class FaqLinkForm(forms.Form):
    """An FAQ item for a CI, by its number among the items the agent reads."""

    number = forms.CharField(label=_("FAQ item number"), max_length=40)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_number(self):
        found = faq_access.visible_to(self.user).filter(number=self.cleaned_data["number"].strip())
        item = found.first()
        if item is None:
            raise forms.ValidationError(_("No such FAQ item."))
        return item


class ServiceLinkForm(forms.Form):
    link_type = forms.ChoiceField(
        label=_("Link type"),
        choices=[
            (LinkType.DEPENDS_ON.value, _("the service depends on this item")),
            (LinkType.RELEVANT_TO.value, _("relevant to the service")),
        ],
        initial=LinkType.DEPENDS_ON,
    )
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        services = Service.objects.filter(is_valid=True).order_by("name")
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = services


class FileForm(forms.Form):
    """A file for one of the class's attachment attributes (the upload limits hold)."""

    attribute = forms.ModelChoiceField(
        label=_("Attribute"), queryset=attrs.Attribute.objects.none(), empty_label=None
    )
    file = UploadField(label=_("File"), required=True, widget=forms.FileInput)

    def __init__(self, *args, ci_class, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["attribute"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = attrs.Attribute.objects.filter(
            ci_class=ci_class, field_type=attrs.ATTACHMENT, parent=None, removed=False
        ).order_by("order", "pk")
        field.label_from_instance = lambda a: gettext(a.name)

    def clean_file(self):
        return self.cleaned_data["file"][0]  # one file input: one upload

    def has_attributes(self) -> bool:
        field = self.fields["attribute"]
        assert isinstance(field, forms.ModelChoiceField)
        return field.queryset is not None and field.queryset.exists()

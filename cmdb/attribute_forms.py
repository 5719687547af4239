"""The definition page's form for one attribute: what every attribute has (key, name, type,
flags, repetition, where it sits) and the settings of its type as fields of their own, a
dropdown's possible values as a list of lines. No JSON here: the JSON of a whole definition
is its export and import (:mod:`cmdb.definition_views`)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import attributes as attrs
from .choices import Catalog, SuppressVersion
from .models import Attribute, CatalogItem

TEXTS = ("text", "textarea")
NUMBERS = ("integer", "decimal")
DATES = ("date", "datetime")
RESTRICTIONS = (
    ("none", _("Any date")),
    ("no_future", _("Not in the future")),
    ("no_past", _("Not in the past")),
)
# The settings this form edits; others a type knows (a dropdown's "translatable", ...) are kept.
EDITED = frozenset(
    {
        "catalog",
        "options",
        "regex",
        "regex_error",
        "default",
        "rows",
        "min",
        "max",
        "places",
        "restriction",
        "years_past",
        "years_future",
    }
)
OPTION_LINE = re.compile(r"^(?P<key>[^=]+?)\s*(?:=\s*(?P<label>.*))?$")


def _optional_int(label, low: int, high: int, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=low, max_value=high, help_text=help_text
    )


def _optional_number(label) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, max_digits=24, decimal_places=6)


class AttributeForm(forms.Form):
    """One attribute of a class definition; :meth:`spec` is what the definition actions take."""

    key = forms.CharField(label=_("Key"), max_length=100)
    name = forms.CharField(label=_("Name"), max_length=200)
    field_type = forms.ChoiceField(label=_("Type"))
    required = forms.BooleanField(label=_("Required"), required=False)
    count_min = forms.IntegerField(label=_("At least"), min_value=0, max_value=99, initial=0)
    count_max = forms.IntegerField(label=_("At most"), min_value=1, max_value=99, initial=1)
    count_default = forms.IntegerField(label=_("Shown"), min_value=0, max_value=99, initial=1)
    searchable = forms.BooleanField(label=_("Searchable"), required=False)
    suppress_version = forms.ChoiceField(
        label=_("A change alone"), choices=SuppressVersion.choices, required=False
    )
    parent = forms.ChoiceField(label=_("Inside"), required=False)
    # --- the type's settings (each group is shown for its types; see GROUPS)
    catalog = forms.ChoiceField(label=_("General catalogue list"), required=False)
    options = forms.CharField(
        label=_("Possible values"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "One per line, in the order offered: a key, or a key = the label people see. "
            "The key is stored; the label may change later."
        ),
    )
    regex = forms.CharField(
        label=_("Regular expression"),
        required=False,
        max_length=500,
        help_text=_("A value must match it, for example ^[A-Z]{2}[0-9]+$"),
    )
    regex_error = forms.CharField(
        label=_("Message when it does not match"), required=False, max_length=200
    )
    text_default = forms.CharField(label=_("Default value"), required=False, max_length=255)
    rows = _optional_int(_("Lines of the input box"), 1, 40)
    number_min = _optional_number(_("Smallest value"))
    number_max = _optional_number(_("Largest value"))
    places = _optional_int(_("Decimal places"), 0, 6)
    restriction = forms.ChoiceField(label=_("Dates allowed"), choices=RESTRICTIONS, required=False)
    years_past = _optional_int(_("At most this many years back"), 0, 500)
    years_future = _optional_int(_("At most this many years ahead"), 0, 500)
    confirm = forms.BooleanField(label=_("Confirm the migration of stored values"), required=False)

    # (legend, the types it is for, its fields)
    GROUPS = (
        (_("General catalogue list"), ("catalog",), ("catalog",)),
        (_("Dropdown"), ("dropdown",), ("options",)),
        (_("Text"), TEXTS, ("regex", "regex_error", "text_default", "rows")),
        (_("Number"), NUMBERS, ("number_min", "number_max", "places")),
        (_("Date"), DATES, ("restriction", "years_past", "years_future")),
    )
    COMMON = (
        "key",
        "name",
        "field_type",
        "parent",
        "required",
        "searchable",
        "count_min",
        "count_max",
        "count_default",
        "suppress_version",
    )

    def __init__(self, *args, tree: attrs.Definition, attribute=None, adding=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.attribute = attribute
        self.fields["field_type"].choices = attrs.type_choices()  # type: ignore[attr-defined]
        lists = (
            CatalogItem.objects.exclude(
                catalog__in=[Catalog.CLASS, Catalog.DEPLOYMENT_STATE, Catalog.INCIDENT_STATE]
            )
            .order_by("catalog")
            .values_list("catalog", flat=True)
            .distinct()
        )
        self.fields["catalog"].choices = [("", "-")] + [  # type: ignore[attr-defined]
            (name, name) for name in lists
        ]
        if adding:
            del self.fields["confirm"]
            self.fields["parent"].choices = [("", _("the top level"))] + [  # type: ignore[attr-defined]
                (str(a.pk), tree.label(path_of(a, tree)))
                for a in tree.attributes
                if a.field_type != attrs.ATTACHMENT
            ]
        else:
            del self.fields["parent"]
        if attribute is not None and not self.is_bound:
            self.initial.update(_initial(attribute))

    # --- for the template: the common fields, then one fieldset per group of types
    def common_fields(self):
        return [self[name] for name in self.COMMON if name in self.fields]

    def setting_groups(self):
        return [
            {
                "legend": legend,
                "types": " ".join(types),
                "fields": [self[n] for n in names],
                "wide": names == ("options",),
            }
            for legend, types, names in self.GROUPS
        ]

    # --- checks, each naming its field
    def clean_options(self) -> list[dict]:
        text = self.cleaned_data.get("options") or ""
        options: list[dict] = []
        seen: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            match = OPTION_LINE.match(line)
            key = match["key"].strip() if match else ""
            label = ((match["label"] if match else "") or "").strip()
            if not key:
                raise ValidationError(_("Line %(n)d has no key before “=”.") % {"n": number})
            if len(key) > attrs.OPTION_KEY_MAX:
                raise ValidationError(
                    _("Line %(n)d: the key is longer than %(max)d characters.")
                    % {"n": number, "max": attrs.OPTION_KEY_MAX}
                )
            if key in seen:
                raise ValidationError(
                    _("Line %(n)d: the key %(key)s is already on line %(first)d.")
                    % {"n": number, "key": key, "first": seen[key]}
                )
            seen[key] = number
            options.append({"key": key, "label": label if label and label != key else ""})
        return options

    def clean_regex(self) -> str:
        regex = (self.cleaned_data.get("regex") or "").strip()
        if regex:
            try:
                re.compile(regex)
            except re.error as exc:
                raise ValidationError(
                    _("The regular expression is invalid: %(error)s") % {"error": exc}
                ) from None
        return regex

    def clean(self):
        data = super().clean()
        field_type = data.get("field_type")
        if field_type == "catalog" and not data.get("catalog"):
            self.add_error("catalog", _("Choose the catalogue list."))
        if field_type == "dropdown" and "options" in data and not data["options"]:
            self.add_error("options", _("A dropdown needs at least one possible value."))
        if field_type in NUMBERS:
            self._check_numbers(data, field_type)
        low, high = data.get("count_min"), data.get("count_max")
        if low is not None and high is not None and low > high:
            self.add_error("count_min", _("At least cannot be more than at most."))
        shown = data.get("count_default")
        if shown is not None and high is not None and shown > high:
            self.add_error("count_default", _("Shown cannot be more than at most."))
        if field_type in TEXTS and data.get("text_default") and not self.errors:
            self._check_default(data)
        return data

    def _check_numbers(self, data: dict, field_type: str) -> None:
        low, high = data.get("number_min"), data.get("number_max")
        if field_type == "integer":
            for name in ("number_min", "number_max"):
                value = data.get(name)
                if value is not None and value != value.to_integral_value():
                    self.add_error(name, _("A whole number, as the attribute holds whole numbers."))
        if low is not None and high is not None and low > high:
            self.add_error("number_min", _("The smallest value is larger than the largest."))

    def _check_default(self, data: dict) -> None:
        probe = attrs.Spec(Attribute(field_type=data["field_type"], settings=self._settings()))
        try:
            probe.clean(data["text_default"])
        except ValidationError as refusal:
            self.add_error("text_default", refusal.messages)

    # --- the result
    def _settings(self) -> dict:
        data = self.cleaned_data
        field_type = data["field_type"]
        kept: dict = {}
        if self.attribute is not None and self.attribute.field_type == field_type:
            kept = {k: v for k, v in (self.attribute.settings or {}).items() if k not in EDITED}
        wanted: dict[str, Any] = {}
        if field_type == "catalog":
            wanted["catalog"] = data.get("catalog")
        elif field_type == "dropdown":
            wanted["options"] = data.get("options") or []
        elif field_type in TEXTS:
            wanted.update(
                regex=data.get("regex"),
                regex_error=(data.get("regex_error") or "").strip(),
                default=(data.get("text_default") or "").strip(),
                rows=data.get("rows") if field_type == "textarea" else None,
            )
        elif field_type in NUMBERS:
            wanted.update(
                min=_number(data.get("number_min"), field_type),
                max=_number(data.get("number_max"), field_type),
                places=data.get("places") if field_type == "decimal" else None,
            )
        elif field_type in DATES:
            restriction = data.get("restriction") or "none"
            wanted.update(
                restriction=None if restriction == "none" else restriction,
                years_past=data.get("years_past"),
                years_future=data.get("years_future"),
            )
        return {**kept, **{k: v for k, v in wanted.items() if v not in (None, "")}}

    def spec(self) -> dict:
        data = self.cleaned_data
        return {
            "key": data["key"].strip(),
            "name": data["name"].strip(),
            "field_type": data["field_type"],
            "settings": self._settings(),
            "required": data["required"],
            "count_min": data["count_min"],
            "count_max": data["count_max"],
            "count_default": data["count_default"],
            "searchable": data["searchable"],
            "suppress_version": data.get("suppress_version") or "",
        }

    def parent_id(self) -> int | None:
        raw = self.cleaned_data.get("parent") or ""
        return int(raw) if raw else None


def _number(value: Decimal | None, field_type: str) -> int | float | None:
    """A bound as the engine's settings hold it (JSON: an int, or a float for decimals)."""
    if value is None:
        return None
    if field_type == "integer" or value == value.to_integral_value():
        return int(value)
    return float(value)


def _initial(attribute: Attribute) -> dict:
    settings = dict(attribute.settings or {})
    initial = {name: getattr(attribute, name) for name in AttributeForm.COMMON if name != "parent"}
    initial.update(
        catalog=settings.get("catalog", ""),
        options="\n".join(
            f"{o['key']} = {o['label']}" if o.get("label") else o["key"]
            for o in settings.get("options") or []
        ),
        regex=settings.get("regex", ""),
        regex_error=settings.get("regex_error", ""),
        text_default=settings.get("default", "") if attribute.field_type in TEXTS else "",
        rows=settings.get("rows"),
        number_min=settings.get("min"),
        number_max=settings.get("max"),
        places=settings.get("places"),
        restriction=settings.get("restriction") or "none",
        years_past=settings.get("years_past"),
        years_future=settings.get("years_future"),
    )
    return initial


def path_of(attribute, tree: attrs.Definition) -> str:
    steps = []
    while attribute is not None:
        steps.append(f"{attribute.pk}:0")
        attribute = tree.by_id.get(attribute.parent_id) if attribute.parent_id else None
    return "/".join(reversed(steps))

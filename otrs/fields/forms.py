"""Custom fields in forms, for any object type: the screens of every app add the fields a
screen shows with :func:`add_form_fields` (named ``field_<Name>``) and hand
:func:`field_values_from` of the cleaned data to their action."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import FieldDefinition
from .registry import ScreenMode
from .selectors import definitions, values_for

# Form fields of custom fields are named with this prefix, so they never clash with a form's own.
PREFIX = "field_"


def _typed(definition: FieldDefinition, form_field: forms.Field) -> forms.Field:
    """Make ``form_field`` clean to the field type's domain value (a value the type refuses
    is the form field's error, named by the field's label)."""
    plain_clean = form_field.clean

    def clean(value):
        return definition.type.from_form(definition, plain_clean(value))

    form_field.clean = clean  # type: ignore[method-assign]
    return form_field


def add_form_fields(
    form: forms.BaseForm,
    object_type: str,
    screen: str,
    *,
    object_id: int | None = None,
    fields: list[FieldDefinition] | None = None,
    optional: bool = False,
    attribute: str = "custom_fields",
) -> list[FieldDefinition]:
    """Add the fields of ``object_type`` that ``screen`` shows to ``form``, filled with the
    values of the object ``object_id`` (if any). ``optional``: no field is required (the bulk
    action, where an empty field means "unchanged"). Sets ``form.<attribute>`` (a form that
    takes the fields of two object types, a ticket's and its new article's, keeps them apart
    so) and returns the definitions."""
    fields = definitions(object_type, screen=screen) if fields is None else fields
    current = values_for(object_type, [object_id], fields)[object_id] if object_id else {}
    for definition in fields:
        required = not optional and definition.screen_mode(screen) == ScreenMode.REQUIRED
        name = PREFIX + definition.name
        form_field = _typed(definition, definition.type.formfield(definition, required=required))
        if required and not isinstance(form_field.widget, forms.CheckboxSelectMultiple):
            # Browsers announce the "required" attribute Django sets; aria-required says it
            # to every assistive technology (a group of checkboxes says it in its legend).
            form_field.widget.attrs["aria-required"] = "true"
        form.fields[name] = form_field
        if definition.name in current:
            form.initial[name] = definition.type.to_form(definition, current[definition.name])
    setattr(form, attribute, fields)
    return fields


def field_values_from(cleaned_data: dict) -> dict[str, Any]:
    """``{name: value}`` of the custom fields in a form's cleaned data (see add_form_fields)."""
    return {
        key[len(PREFIX) :]: value for key, value in cleaned_data.items() if key.startswith(PREFIX)
    }


def values_of(cleaned_data: dict, fields: list[FieldDefinition]) -> dict[str, Any]:
    """``{name: value}`` of just ``fields`` in a form's cleaned data (a form with the fields of
    two object types hands each its own)."""
    return {
        d.name: cleaned_data[PREFIX + d.name] for d in fields if PREFIX + d.name in cleaned_data
    }


def is_custom(name: str) -> bool:
    """Whether the form field ``name`` is a custom field."""
    return name.startswith(PREFIX)

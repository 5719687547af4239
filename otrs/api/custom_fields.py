"""Custom fields in the API: ``custom_fields`` is an object of the object type's fields by
name, and the schema says so field by field (each with its own JSON type, and the keys of
its possible values as an enum), from the definitions as they are when the schema is made.

A domain app declares the field on its serializer with a callable that returns its
definitions (this package does not import the custom-field engine; it reads the definitions'
``name``, ``label``, ``field_type`` and ``possible_values``)::

    custom_fields = CustomFieldsField(lambda: definitions(TICKET), component="TicketCustomFields")

In a response the values come from the serializer context's ``field_values``
(``{object id: {name: value}}``, one query per page, made by the view); in a request the
field is a plain object that the app's action checks value by value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import DatabaseError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

# The engine's field types (otrs.fields.types) as JSON: a type key, the schema of one value.
_VALUE_SCHEMAS: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "textarea": {"type": "string"},
    "checkbox": {"type": "boolean"},
    "dropdown": {"type": "string"},
    "multiselect": {"type": "array", "items": {"type": "string"}},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "reference": {"type": "integer", "description": "The referenced object's id."},
}


def value_schema(definition) -> dict[str, Any]:
    """The JSON schema of one field's value (a type this table does not know: any value)."""
    schema = dict(_VALUE_SCHEMAS.get(definition.field_type, {}))
    keys = [option.key for option in definition.possible_values.all()]
    if keys and definition.field_type == "dropdown":
        schema["enum"] = keys
    elif keys and definition.field_type == "multiselect":
        schema["items"] = {"type": "string", "enum": keys}
    if schema.get("description"):
        schema["description"] = f"{definition.label}. {schema['description']}"
    else:
        schema["description"] = str(definition.label)
    schema["nullable"] = True
    return schema


class CustomFieldsField(serializers.DictField):
    """An object type's custom fields by name (see the module's description)."""

    def __init__(
        self, definitions: Callable[[], Iterable[Any]], *, component: str, **kwargs
    ) -> None:
        kwargs.setdefault("help_text", "Custom fields by name.")
        super().__init__(**kwargs)
        self.definitions = definitions
        self.component = component

    def get_attribute(self, instance):
        return self.context.get("field_values", {}).get(instance.pk, {})

    def to_representation(self, value):
        return dict(value or {})


class CustomFieldsExtension(OpenApiSerializerFieldExtension):
    target_class = CustomFieldsField

    def get_name(self) -> str | None:
        return self.target.component

    def map_serializer_field(self, auto_schema, direction) -> dict[str, Any]:
        try:
            properties = {d.name: value_schema(d) for d in self.target.definitions()}
        except DatabaseError:
            # The schema made with no database to read (`check --deploy` on a build host,
            # drf-spectacular's own check): the fields' shape without their names.
            return {
                "type": "object",
                "description": "Custom fields by name (their definitions could not be read).",
                "additionalProperties": True,
            }
        return {
            "type": "object",
            "description": "Custom fields by name.",
            "properties": properties,
            "additionalProperties": False,
        }

"""Custom fields in the API: ``custom_fields`` is an object of the object type's fields by
name, and the schema says so field by field (each with its own JSON type, and the keys of
its possible values as an enum: the field type's own ``json_schema``), from the definitions
as they are when the schema is made.

A domain app declares the field on its serializer with a callable that returns its
definitions (this package does not import the custom-field engine; it reads the definitions'
``name``, ``label`` and ``type``)::

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


def value_schema(definition) -> dict[str, Any]:
    """The JSON schema of one field's value, as its type (the engine's registry of field
    types) describes it for this definition; the label as its description."""
    try:
        schema = dict(definition.type.json_schema(definition))
    except KeyError:  # a type no longer registered: any value
        schema = {}
    about = schema.get("description")
    schema["description"] = f"{definition.label}. {about}" if about else str(definition.label)
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

"""The API shapes of configuration items: data, states, current version and attributes; and
the input of a change (name, states, attribute values by path)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from otrs.api.serializers import ApiModelSerializer, ApiSerializer, HighlightsField

from .. import attributes as attrs
from ..choices import TICKET_LINK_TYPES, LinkType
from ..models import ConfigItem

MAX_VALUES = 500


class CatalogRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AttributeRowsField(serializers.ListField):
    """A CI's attribute values as rows (path, key, label, type, value, text), from the
    serializer context's ``attributes`` (``{CI id: [row, …]}``, made by the view)."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.DictField(), read_only=True, **kwargs)

    def get_attribute(self, instance):
        return self.context.get("attributes", {}).get(instance.pk, [])

    def to_representation(self, data):
        return list(data)


class AttributeValuesField(serializers.DictField):
    """Attribute values to set, by path (or a top-level attribute's key); null removes one."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.JSONField(allow_null=True), **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > MAX_VALUES:
            raise serializers.ValidationError(
                _("At most %(max)d values at once.") % {"max": MAX_VALUES}
            )
        return value


def _grouped() -> list[tuple[list[str], dict[str, Any]]]:
    """The attribute types grouped by the schema of their values (text and a catalogue
    entry are both a string …), in the registry's order."""
    groups: list[tuple[list[str], dict[str, Any]]] = []
    for key, schema in attrs.value_schemas().items():
        same = next((keys for keys, known in groups if known == schema), None)
        if same is None:
            groups.append(([key], schema))
        else:
            same.append(key)
    return groups


_ROW_TEXT = {
    "path": "Where the value sits: attribute id and position, nested with '/' (``12:0/13:1``); "
    "the key to send back in a change.",
    "key": "The attribute's key.",
    "label": "The attribute as people read it.",
    "type": "The attribute's type; it says the value's JSON type.",
    "text": "The value as people read it.",
}


class AttributeRowsExtension(OpenApiSerializerFieldExtension):
    """A row's ``value`` typed by its ``type``: one variant per group of attribute types
    whose values share a JSON schema (``oneOf``; the variants' ``type`` enums do not overlap)."""

    target_class = AttributeRowsField

    def map_serializer_field(self, auto_schema, direction) -> dict[str, Any]:
        variants = []
        for keys, schema in _grouped():
            properties: dict[str, Any] = {
                name: {"type": "string", "description": text} for name, text in _ROW_TEXT.items()
            }
            properties["type"] = {**properties["type"], "enum": keys}
            properties["value"] = schema
            variants.append(
                {"type": "object", "properties": properties, "required": [*_ROW_TEXT, "value"]}
            )
        return {"type": "array", "items": {"oneOf": variants}}


class AttributeValuesExtension(OpenApiSerializerFieldExtension):
    """Each value one of the attribute types' value schemas (``anyOf``: an integer is a
    number too), or null to remove it."""

    target_class = AttributeValuesField

    def map_serializer_field(self, auto_schema, direction) -> dict[str, Any]:
        return {
            "type": "object",
            "description": "Values by path (``12:0/13:1``) or, for a top-level attribute, by "
            "its key; the attribute's type says the value's JSON type; null removes a value.",
            "additionalProperties": {
                "anyOf": [schema for _keys, schema in _grouped()],
                "nullable": True,
            },
        }


class ConfigItemSerializer(ApiModelSerializer):
    ci_class = CatalogRef()
    deployment_state = CatalogRef()
    incident_state = CatalogRef()
    current_incident_state = CatalogRef()
    version = serializers.SerializerMethodField(
        help_text="The current version's number: send it back as If-Match when changing."
    )
    attributes = AttributeRowsField()
    highlights = HighlightsField()

    class Meta:
        model = ConfigItem
        fields = [
            "id",
            "number",
            "name",
            "ci_class",
            "deployment_state",
            "incident_state",
            "current_incident_state",
            "created_at",
            "changed_at",
            "version",
            "attributes",
            "highlights",
        ]

    def get_version(self, item: ConfigItem) -> int | None:
        return self.context.get("version_numbers", {}).get(item.last_version_id)


class ConfigItemUpdateSerializer(ApiSerializer):
    """Only what is given changes; ``attributes`` sets the listed paths (null removes one)
    and keeps the others."""

    name = serializers.CharField(max_length=250, required=False)
    deployment_state = serializers.IntegerField(min_value=1, required=False)
    incident_state = serializers.IntegerField(min_value=1, required=False)
    attributes = AttributeValuesField(required=False)


class ConfigItemCreateSerializer(ApiSerializer):
    """A new CI of ``ci_class``; ``attributes`` by value path (``12:0/13:1``) or, for a
    top-level attribute, by its key (``Vendor``)."""

    ci_class = serializers.IntegerField(min_value=1, help_text="The class's id.")
    name = serializers.CharField(max_length=250)
    deployment_state = serializers.IntegerField(min_value=1)
    incident_state = serializers.IntegerField(min_value=1)
    attributes = AttributeValuesField(required=False, default=dict)


class ConfigItemLinkSerializer(ApiSerializer):
    """The other end of a link: another CI or a ticket (exactly one of them)."""

    config_item = serializers.IntegerField(min_value=1, required=False)
    ticket = serializers.IntegerField(min_value=1, required=False)
    link_type = serializers.ChoiceField(
        choices=LinkType.choices,
        required=False,
        help_text="Default: RelevantTo. For DependsOn and Includes this CI is the one that "
        "depends on / includes the other.",
    )

    def validate(self, attrs: dict) -> dict:
        if ("config_item" in attrs) == ("ticket" in attrs):
            raise serializers.ValidationError(
                {"config_item": [_("Give either a configuration item or a ticket.")]}
            )
        if "ticket" in attrs and attrs.get("link_type", LinkType.RELEVANT_TO) not in (
            TICKET_LINK_TYPES
        ):
            raise serializers.ValidationError(
                {
                    "link_type": [
                        _("A ticket can be linked as RelevantTo, DependsOn or AlternativeTo.")
                    ]
                }
            )
        return attrs


class ConfigItemUnlinkSerializer(ConfigItemLinkSerializer):
    """Which link to remove; between two CIs without ``link_type``: all of their links."""


class ConfigItemLinkResultSerializer(ApiSerializer):
    config_item = serializers.IntegerField(allow_null=True)
    ticket = serializers.IntegerField(allow_null=True)
    link_type = serializers.CharField()
    source = serializers.IntegerField(
        allow_null=True, help_text="For links between CIs: the CI the link points from."
    )

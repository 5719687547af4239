"""The API shapes of configuration items: data, states, current version and attributes; and
the input of a change (name, states, attribute values by path)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otrs.api.serializers import ApiModelSerializer, ApiSerializer

from ..models import ConfigItem

MAX_VALUES = 500


class CatalogRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AttributeValueSerializer(ApiSerializer):
    path = serializers.CharField(
        help_text="Where the value sits: attribute id and position, nested with '/' "
        "(``12:0/13:1``); the key to send back in a change."
    )
    key = serializers.CharField(help_text="The attribute's key.")
    label = serializers.CharField(help_text="The attribute as people read it.")
    value = serializers.JSONField(help_text="The raw value (text, number, date, id …).")
    text = serializers.CharField(help_text="The value as people read it.")


class ConfigItemSerializer(ApiModelSerializer):
    ci_class = CatalogRef()
    deployment_state = CatalogRef()
    incident_state = CatalogRef()
    current_incident_state = CatalogRef()
    version = serializers.SerializerMethodField(
        help_text="The current version's number: send it back as If-Match when changing."
    )
    attributes = serializers.SerializerMethodField()

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
        ]

    def get_version(self, item: ConfigItem) -> int | None:
        return self.context.get("version_numbers", {}).get(item.last_version_id)

    @extend_schema_field(AttributeValueSerializer(many=True))
    def get_attributes(self, item: ConfigItem) -> list[dict]:
        return self.context.get("attributes", {}).get(item.pk, [])


class ConfigItemUpdateSerializer(ApiSerializer):
    """Only what is given changes; ``attributes`` sets the listed paths (null removes one)
    and keeps the others."""

    name = serializers.CharField(max_length=250, required=False)
    deployment_state = serializers.IntegerField(min_value=1, required=False)
    incident_state = serializers.IntegerField(min_value=1, required=False)
    attributes = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False)

    def validate_attributes(self, value: dict) -> dict:
        if len(value) > MAX_VALUES:
            raise serializers.ValidationError(
                _("At most %(max)d values at once.") % {"max": MAX_VALUES}
            )
        return value

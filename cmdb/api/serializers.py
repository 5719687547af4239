"""The API shapes of configuration items: data, states, current version and attributes; and
the input of a change (name, states, attribute values by path)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otrs.api.serializers import ApiModelSerializer, ApiSerializer

from ..choices import TICKET_LINK_TYPES, LinkType
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


class ConfigItemCreateSerializer(ApiSerializer):
    """A new CI of ``ci_class``; ``attributes`` by value path (``12:0/13:1``) or, for a
    top-level attribute, by its key (``Vendor``)."""

    ci_class = serializers.IntegerField(min_value=1, help_text="The class's id.")
    name = serializers.CharField(max_length=250)
    deployment_state = serializers.IntegerField(min_value=1)
    incident_state = serializers.IntegerField(min_value=1)
    attributes = serializers.DictField(
        child=serializers.JSONField(allow_null=True), required=False, default=dict
    )

    def validate_attributes(self, value: dict) -> dict:
        if len(value) > MAX_VALUES:
            raise serializers.ValidationError(
                _("At most %(max)d values at once.") % {"max": MAX_VALUES}
            )
        return value


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

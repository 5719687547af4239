"""The API shape of an FAQ item: its data and its published revision's content."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otrs.api.custom_fields import CustomFieldsField
from otrs.api.serializers import ApiModelSerializer, ApiSerializer
from otrs.fields.selectors import definitions

from ..fields import FAQ_ITEM
from ..models import FaqItem, FaqRevision


class CategoryRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PublishedSerializer(ApiSerializer):
    number = serializers.IntegerField(help_text="The revision's number.")
    title = serializers.CharField()
    keywords = serializers.CharField()
    symptom = serializers.CharField(help_text="Sanitised HTML.")
    problem = serializers.CharField(help_text="Sanitised HTML.")
    solution = serializers.CharField(help_text="Sanitised HTML.")
    created = serializers.DateTimeField()


class FaqItemSerializer(ApiModelSerializer):
    category = CategoryRef()
    published = serializers.SerializerMethodField(
        help_text="The published revision's content; null while nothing is published."
    )
    custom_fields = CustomFieldsField(
        lambda: definitions(FAQ_ITEM), component="FaqItemCustomFields", read_only=True
    )

    class Meta:
        model = FaqItem
        fields = [
            "id",
            "number",
            "title",
            "category",
            "language",
            "state",
            "is_valid",
            "keywords",
            "created",
            "changed",
            "published",
            "custom_fields",
        ]

    @extend_schema_field(PublishedSerializer(allow_null=True))
    def get_published(self, item: FaqItem) -> dict | None:
        revision: FaqRevision | None = item.live_revision
        if revision is None:
            return None
        return {
            "number": revision.number,
            "title": revision.title,
            "keywords": revision.keywords,
            "symptom": revision.symptom,
            "problem": revision.problem,
            "solution": revision.solution,
            "created": revision.created,
        }

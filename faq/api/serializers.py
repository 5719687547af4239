"""The API shape of an FAQ item: its data and its published revision's content."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otrs.api.custom_fields import CustomFieldsField
from otrs.api.serializers import ApiModelSerializer, ApiSerializer, HighlightsField
from otrs.fields.selectors import definitions

from .. import access
from ..choices import ItemState
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


class LatestRevisionSerializer(ApiSerializer):
    number = serializers.IntegerField()
    status = serializers.CharField(help_text="draft, pending (waiting for approval), …")


class FaqItemSerializer(ApiModelSerializer):
    category = CategoryRef()
    published = serializers.SerializerMethodField(
        help_text="The published revision's content; null while nothing is published."
    )
    latest_revision = serializers.SerializerMethodField(
        help_text="Agents: the newest revision (a draft or one waiting for approval may be "
        "newer than the published one); its number is the item's ETag. Null for customers."
    )
    custom_fields = CustomFieldsField(
        lambda: definitions(FAQ_ITEM), component="FaqItemCustomFields", read_only=True
    )
    highlights = HighlightsField(
        help_text="Where the searched words (q) occur, as HTML passages, the text escaped "
        "and each match in <mark>. Empty without a search. Customers' passages come from the "
        "text they may read (never the internal comment); agents' from every field."
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
            "latest_revision",
            "custom_fields",
            "highlights",
        ]

    @extend_schema_field(LatestRevisionSerializer(allow_null=True))
    def get_latest_revision(self, item: FaqItem) -> dict | None:
        request = self.context.get("request")
        revision: FaqRevision | None = item.latest_revision
        if revision is None or request is None or not access.is_agent(request.user):
            return None
        return {"number": revision.number, "status": revision.status}

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


_TEXT = {"required": False, "allow_blank": True, "max_length": 200_000}


class FaqContentSerializer(ApiSerializer):
    """A revision's content: rich text is cleaned by the project's sanitiser (no scripts,
    no remote images)."""

    title = serializers.CharField(max_length=250)
    keywords = serializers.CharField(required=False, allow_blank=True, max_length=250)
    symptom = serializers.CharField(**_TEXT)
    problem = serializers.CharField(**_TEXT)
    solution = serializers.CharField(**_TEXT)
    comment = serializers.CharField(**_TEXT)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=250, help_text="The change note."
    )
    submit = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Publish (or, in a category with approval, hand to the approvers); "
        "false keeps the revision a draft.",
    )


class FaqItemCreateSerializer(FaqContentSerializer):
    """A new item with its first revision."""

    category = serializers.IntegerField(min_value=1, help_text="The category's id.")
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    state = serializers.ChoiceField(choices=ItemState.choices, default=ItemState.INTERNAL)
    translation_of = serializers.IntegerField(
        min_value=1, required=False, help_text="The item this one translates."
    )


class FaqItemUpdateSerializer(FaqContentSerializer):
    """Content given (any of title … comment) makes a new revision, the fields not given
    kept from the latest one; ``category``, ``state``, ``is_valid`` and ``review_after``
    change the item itself (no revision)."""

    title = serializers.CharField(max_length=250, required=False)
    category = serializers.IntegerField(min_value=1, required=False)
    state = serializers.ChoiceField(choices=ItemState.choices, required=False)
    is_valid = serializers.BooleanField(required=False)
    review_after = serializers.DateField(required=False, allow_null=True)


class FaqReviewSerializer(ApiSerializer):
    """Approve or send back the revision waiting for approval."""

    revision = serializers.IntegerField(min_value=1, help_text="The waiting revision's number.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=250)

"""The ticket domain's API shapes: tickets, articles, attachments, history, master data, and
the inputs of the changes (parsed here, applied by :mod:`tickets.api.changes` through the
actions)."""

from __future__ import annotations

import base64
import binascii

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from otrs.accounts.models import User, UserKind
from otrs.api.custom_fields import CustomFieldsField
from otrs.api.serializers import ApiModelSerializer, ApiSerializer, HighlightsField
from otrs.fields.selectors import definitions

from ..actions import ticket_version
from ..choices import Channel, LinkType, LockState
from ..escalation import Kind, Status
from ..fields import TICKET
from ..models import (
    SLA,
    Article,
    Attachment,
    Priority,
    Queue,
    Service,
    State,
    Ticket,
    TicketHistory,
    TicketType,
)

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def _ticket_fields():
    return definitions(TICKET)


# --- references --------------------------------------------------------------------------------


# A page of 50 tickets holds 400 references. Each one builds its small object directly: DRF's
# generic walk over the declared fields (which stay, for the schema) cost about 15 ms a page.


class NamedRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    def to_representation(self, instance):
        return {"id": instance.pk, "name": str(instance.name)}


class StateRef(NamedRef):
    state_type = serializers.CharField()

    def to_representation(self, instance):
        return {
            "id": instance.pk,
            "name": str(instance.name),
            "state_type": str(instance.state_type),
        }


class QueueRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")

    def to_representation(self, instance):
        return {"id": instance.pk, "name": str(instance.full_name)}


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")

    def to_representation(self, instance):
        return {
            "id": instance.pk,
            "username": str(instance.username),
            "name": str(instance.get_full_name()),
        }


# --- master data -------------------------------------------------------------------------------


class QueueSerializer(ApiModelSerializer):
    class Meta:
        model = Queue
        fields = ["id", "name", "full_name", "parent", "group", "comment", "is_valid"]


class StateSerializer(ApiModelSerializer):
    class Meta:
        model = State
        fields = ["id", "name", "state_type", "is_valid"]


class PrioritySerializer(ApiModelSerializer):
    class Meta:
        model = Priority
        fields = ["id", "name", "level", "is_valid"]


class TicketTypeSerializer(ApiModelSerializer):
    class Meta:
        model = TicketType
        fields = ["id", "name", "is_default", "is_valid"]


class ServiceSerializer(ApiModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name", "full_name", "parent", "is_valid"]


class SLASerializer(ApiModelSerializer):
    class Meta:
        model = SLA
        fields = ["id", "name", "is_valid"]


# --- tickets -----------------------------------------------------------------------------------


class TicketSerializer(ApiModelSerializer):
    queue = QueueRef()
    state = StateRef()
    priority = NamedRef()
    type = NamedRef()
    service = QueueRef(allow_null=True)
    sla = NamedRef(allow_null=True)
    owner = UserRef()
    responsible = UserRef()
    version = serializers.SerializerMethodField(
        help_text="The ticket's version: send it back as If-Match when changing the ticket."
    )
    custom_fields = CustomFieldsField(
        _ticket_fields, component="TicketCustomFields", read_only=True
    )
    highlights = HighlightsField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "title",
            "queue",
            "state",
            "priority",
            "type",
            "service",
            "sla",
            "lock",
            "owner",
            "responsible",
            "customer_id",
            "customer_user",
            "pending_until",
            "escalation_at",
            "merged_into",
            "created_at",
            "changed_at",
            "version",
            "custom_fields",
            "highlights",
        ]

    def get_version(self, ticket: Ticket) -> str:
        return ticket_version(ticket)


class ArticleInputSerializer(ApiSerializer):
    """A new article: an internal note or a phone call (agents), a web message (customers,
    whatever else is asked)."""

    channel = serializers.ChoiceField(
        choices=[Channel.INTERNAL, Channel.PHONE], default=Channel.INTERNAL
    )
    subject = serializers.CharField(max_length=1000, allow_blank=True, default="")
    body = serializers.CharField(
        max_length=1_000_000,
        help_text=gettext_lazy(
            "The text. In an agent's internal note, @login mentions an agent: they become a "
            "watcher and are notified, as on the note screen. Every agent mentioned must be "
            "allowed to read the ticket, or nothing is written (403)."
        ),
    )
    is_visible_for_customer = serializers.BooleanField(default=False)
    time_units = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    attachments = serializers.ListField(
        child=serializers.DictField(), required=False, default=list, max_length=50
    )

    def validate_attachments(self, value):
        files = []
        for index, item in enumerate(value):
            name = str(item.get("filename", "")).strip()[:255]
            raw = item.get("content_base64")
            if not name or not isinstance(raw, str):
                raise serializers.ValidationError(
                    {index: _("Each attachment needs a filename and content_base64.")}
                )
            try:
                content = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise serializers.ValidationError(
                    {index: _("content_base64 is not valid base64.")}
                ) from None
            if len(content) > MAX_ATTACHMENT_BYTES:
                raise serializers.ValidationError({index: _("The file is too large.")})
            content_type = str(item.get("content_type") or "application/octet-stream")[:255]
            files.append({"filename": name, "content": content, "content_type": content_type})
        return files


class AttachmentSerializer(ApiModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "disposition", "download"]

    def get_download(self, item: Attachment) -> str:
        url = reverse("api-attachment", args=[item.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ArticleSerializer(ApiModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "ticket",
            "channel",
            "sender_type",
            "is_visible_for_customer",
            "from_address",
            "to_address",
            "cc_address",
            "subject",
            "body",
            "body_html",
            "created_at",
            "created_by",
            "attachments",
        ]


class HistorySerializer(ApiModelSerializer):
    class Meta:
        model = TicketHistory
        fields = [
            "id",
            "history_type",
            "old_value",
            "new_value",
            "extra",
            "article",
            "queue",
            "state",
            "priority",
            "type",
            "owner",
            "actor",
            "created_at",
        ]


def _agents():
    return User.objects.filter(kind=UserKind.AGENT, is_active=True)


class TicketCreateSerializer(ApiSerializer):
    title = serializers.CharField(max_length=255)
    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.valid())
    state = serializers.PrimaryKeyRelatedField(queryset=State.objects.all(), required=False)
    priority = serializers.PrimaryKeyRelatedField(queryset=Priority.objects.all(), required=False)
    type = serializers.PrimaryKeyRelatedField(queryset=TicketType.objects.all(), required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=_agents(), required=False)
    customer_user = serializers.CharField(max_length=250, allow_blank=True, default="")
    customer_id = serializers.CharField(max_length=150, allow_blank=True, default="")
    pending_until = serializers.DateTimeField(required=False, allow_null=True)
    article = ArticleInputSerializer()
    custom_fields = CustomFieldsField(
        _ticket_fields, component="TicketCustomFields", required=False, default=dict
    )


class TicketUpdateSerializer(ApiSerializer):
    """The fields to change; a field left out stays as it is. Each change is its action."""

    title = serializers.CharField(max_length=255, required=False)
    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.valid(), required=False)
    state = serializers.PrimaryKeyRelatedField(queryset=State.objects.all(), required=False)
    pending_until = serializers.DateTimeField(required=False, allow_null=True)
    priority = serializers.PrimaryKeyRelatedField(queryset=Priority.objects.all(), required=False)
    type = serializers.PrimaryKeyRelatedField(queryset=TicketType.objects.all(), required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=_agents(), required=False)
    responsible = serializers.PrimaryKeyRelatedField(queryset=_agents(), required=False)
    lock = serializers.ChoiceField(choices=[LockState.LOCK, LockState.UNLOCK], required=False)
    customer_user = serializers.CharField(max_length=250, allow_blank=True, required=False)
    customer_id = serializers.CharField(max_length=150, allow_blank=True, required=False)
    custom_fields = CustomFieldsField(
        _ticket_fields, component="TicketCustomFields", required=False
    )


class MergeSerializer(ApiSerializer):
    target = serializers.IntegerField(min_value=1, help_text="The id of the ticket to merge into.")


class LinkSerializer(ApiSerializer):
    target = serializers.IntegerField(min_value=1)
    link_type = serializers.ChoiceField(choices=LinkType.choices, default=LinkType.NORMAL)


class BulkTicketItem(TicketUpdateSerializer):
    id = serializers.IntegerField(min_value=1)


class BulkTicketSerializer(ApiSerializer):
    items = BulkTicketItem(many=True, max_length=100, allow_empty=False)


class BulkArticleItem(ArticleInputSerializer):
    ticket = serializers.IntegerField(min_value=1)


class BulkArticleSerializer(ApiSerializer):
    items = BulkArticleItem(many=True, max_length=100, allow_empty=False)


class BulkItemResult(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.IntegerField(allow_null=True)
    status = serializers.IntegerField()
    ticket = TicketSerializer(required=False)
    article = serializers.IntegerField(required=False)
    problem = serializers.DictField(required=False)


class BulkResultSerializer(serializers.Serializer):
    results = BulkItemResult(many=True)


# --- the SLA timeline (issue 14 part 3: what the zoom shows, to check it by hand) ---------------


class SLAPeriodSerializer(serializers.Serializer):
    """A stretch of time, from ``start`` up to ``end``."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def to_representation(self, instance):
        start, end = instance
        return super().to_representation({"start": start, "end": end})


class SLAClockSerializer(serializers.Serializer):
    """One target of the ticket: first response, update or solution."""

    kind = serializers.ChoiceField(choices=[kind.value for kind in Kind])
    minutes = serializers.IntegerField(help_text="The target in working minutes (0: none).")
    notify_percent = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[value.value for value in Status])
    anchor = serializers.DateTimeField(allow_null=True, help_text="Where the clock starts.")
    anchor_article = serializers.IntegerField(source="anchor_article_id", allow_null=True)
    due = serializers.DateTimeField(allow_null=True)
    notify_at = serializers.DateTimeField(allow_null=True)
    met_at = serializers.DateTimeField(allow_null=True)
    remaining_seconds = serializers.FloatField(
        allow_null=True, help_text="Working seconds left until due; negative when overdue."
    )
    counted_seconds = serializers.FloatField(help_text="Working seconds counted so far.")
    periods = SLAPeriodSerializer(many=True, help_text="The working periods counted.")
    more_periods = serializers.IntegerField(help_text="Counted periods not listed.")


class SLATimelineSerializer(ApiSerializer):
    """A ticket's SLA clocks now, with how they were computed."""

    now = serializers.DateTimeField()
    source = serializers.ChoiceField(
        choices=["sla", "queue"], help_text="Where the targets come from."
    )
    source_name = serializers.CharField()
    calendar_name = serializers.CharField()
    calendar_error = serializers.CharField(
        allow_null=True, help_text="Set when the calendar is invalid: then no times are given."
    )
    time_zone = serializers.CharField()
    paused_now = serializers.BooleanField()
    pauses = SLAPeriodSerializer(many=True, help_text="Times in pending states, not counted.")
    clocks = SLAClockSerializer(many=True)

"""The caller's own in-app notifications (OTRS's Web transport) in the API: the list (paged,
optionally only the unread ones), one notification, and marking read (some, all, or one).

Agents only. Reads go through :mod:`tickets.selectors.web_notifications` and marking read
through :func:`tickets.actions.mark_notifications_read`, as on the list page: a notification
whose ticket the agent may no longer read is not listed and cannot be opened (404)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from otrs.api.permissions import AgentsOnly, ApiAccess
from otrs.api.serializers import ApiModelSerializer, ApiSerializer

from .. import actions
from ..forms.web_notifications import IdsField
from ..models import WebNotification
from ..selectors import web_notifications as selectors
from .views import _pk


class WebNotificationSerializer(ApiModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    ticket_title = serializers.CharField(source="ticket.title", read_only=True)
    event = serializers.CharField(source="event_name", read_only=True)
    unread = serializers.SerializerMethodField()

    class Meta:
        model = WebNotification
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "ticket_title",
            "event",
            "subject",
            "body",
            "created_at",
            "read_at",
            "unread",
        ]
        read_only_fields = fields

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


class MarkReadSerializer(ApiSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=IdsField.limit,
        help_text="The notifications to mark read (others' ids change nothing).",
    )
    all = serializers.BooleanField(
        required=False, default=False, help_text="Mark all the caller's notifications read."
    )

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("ids"):
            raise ValidationError(_("Choose the notifications to mark read."))
        return attrs


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


class _UnreadFilter(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


_UNREAD = OpenApiParameter(
    "unread",
    bool,
    description="true: only the unread ones; false: only the read ones; absent: all.",
)


@extend_schema_view(list=extend_schema(parameters=[_UNREAD]))
class WebNotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's in-app notifications, newest first."""

    serializer_class = WebNotificationSerializer
    permission_classes = [ApiAccess, AgentsOnly]
    # For the schema only; requests start from the selectors.
    queryset = WebNotification.objects.none()
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        rows = selectors.listed(self.request.user, unread_only=False)
        if self.action != "list":
            return rows
        parsed = _UnreadFilter(data=self.request.query_params)
        parsed.is_valid(raise_exception=True)
        unread = parsed.validated_data["unread"]
        if unread is None:
            return rows
        return rows.filter(read_at__isnull=unread)

    def get_object(self):
        found = self.get_queryset().filter(pk=_pk(self.kwargs["pk"])).first()
        if found is None:
            raise Http404
        return found

    @extend_schema(request=MarkReadSerializer, responses={200: MarkedSerializer})
    @action(detail=False, methods=["post"], url_path="read")
    def read(self, request):
        """Mark the caller's notifications ``ids``, or ``all`` of them, read."""
        data = MarkReadSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        chosen = None if data.validated_data["all"] else data.validated_data["ids"]
        marked = actions.mark_notifications_read(request.user, chosen)
        return Response({"marked": marked})

    @extend_schema(request=None, responses={200: WebNotificationSerializer})
    @action(detail=True, methods=["post"], url_path="read")
    def read_one(self, request, pk=None):
        """Mark this notification read; answers it."""
        notification = self.get_object()
        actions.mark_notifications_read(request.user, [notification.pk])
        notification = self.get_object()
        return Response(self.get_serializer(notification).data)

"""Configuration items through the API: lists and single CIs from :mod:`cmdb.access` (``ro``
on the class's group; missing and forbidden are both 404), and changes of name, states and
attribute values through :func:`cmdb.actions.update_configitem` (``rw``; a new version only
when something changed; ``If-Match`` with the version number → 412 when it moved on)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from otrs.api.permissions import AgentsOnly, ApiAccess
from otrs.permissions import PermissionKey

from .. import access, actions
from .. import attributes as attrs
from ..models import ConfigItem, Version
from . import serializers as s

_FIELDS = OpenApiParameter(
    "fields", str, description="Comma-separated names of the fields to return."
)
_IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The CI's version number (its ETag); 412 if it changed since.",
)
_RELATED = ("ci_class", "deployment_state", "incident_state", "current_incident_state")


def _number(value: str) -> int:
    text = str(value).strip().strip('"')
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


def _ids(params, name: str) -> list[int]:
    values = params.getlist(name)
    if any(not _number(v) for v in values):
        raise ValidationError({name: [_("Give ids as whole numbers.")]})
    return [_number(v) for v in values]


def _context(view, items: list[ConfigItem]) -> dict:
    """The items' current versions and attribute values, in three queries for a page."""
    version_ids = [i.last_version_id for i in items if i.last_version_id]
    versions = dict(Version.objects.filter(pk__in=version_ids).values_list("pk", "number"))
    values = attrs.load(version_ids)
    definitions: dict[int, attrs.Definition] = {}
    attributes: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        data = values.get(item.last_version_id or 0, {})
        if item.ci_class_id not in definitions:
            definitions[item.ci_class_id] = attrs.Definition.of(item.ci_class_id)
        definition = definitions[item.ci_class_id]
        rows = []
        for path in sorted(data, key=lambda p: attrs.sort_key(p, definition)):
            attribute = definition.by_id.get(attrs.leaf_attribute(path))
            rows.append(
                {
                    "path": path,
                    "key": attribute.key if attribute else "",
                    "label": definition.label(path),
                    "value": data[path],
                    "text": definition.render(path, data[path]),
                }
            )
        attributes[item.pk] = rows
    return {
        **view.get_serializer_context(),
        "version_numbers": versions,
        "attributes": attributes,
    }


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words of the name or number."),
            OpenApiParameter("ci_class", int, many=True),
            OpenApiParameter("deployment_state", int, many=True),
            OpenApiParameter("incident_state", int, many=True),
            _FIELDS,
        ]
    ),
    retrieve=extend_schema(parameters=[_FIELDS]),
)
class ConfigItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Configuration items the caller may see; their attributes change through the CMDB's
    actions."""

    serializer_class = s.ConfigItemSerializer
    permission_classes = [ApiAccess, AgentsOnly]
    queryset = ConfigItem.objects.none()  # for the schema; requests use get_queryset
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        rows = access.visible_to(self.request.user).select_related(*_RELATED)
        params = self.request.query_params
        for name in ("ci_class", "deployment_state", "incident_state"):
            ids = _ids(params, name)
            if ids:
                column = "current_incident_state" if name == "incident_state" else name
                rows = rows.filter(**{f"{column}__in": ids})
        for word in params.get("q", "").split()[:10]:
            rows = rows.filter(Q(name__icontains=word) | Q(number__icontains=word))
        return rows.order_by("ci_class__name", "name", "pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = s.ConfigItemSerializer(page, many=True, context=_context(self, page)).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return self._response(access.get_or_404(request.user, _number(kwargs["pk"])))

    def _response(self, item: ConfigItem) -> Response:
        data = s.ConfigItemSerializer(item, context=_context(self, [item])).data
        response = Response(data)
        if data.get("version") is not None:
            response["ETag"] = f'"{data["version"]}"'
        return response

    @extend_schema(
        request=s.ConfigItemUpdateSerializer,
        responses={200: s.ConfigItemSerializer},
        parameters=[_IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        serializer = s.ConfigItemUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        item = access.get_or_404(request.user, _number(kwargs["pk"]), PermissionKey.RW)
        values = dict(attrs.load([item.last_version_id]).get(item.last_version_id or 0, {}))
        for path, value in given.get("attributes", {}).items():
            if value is None or value == "":
                values.pop(path, None)
            else:
                values[path] = value
        data = actions.CIInput(
            name=given.get("name", item.name),
            deployment_state=given.get("deployment_state", item.deployment_state_id),
            incident_state=given.get("incident_state", item.incident_state_id),
            values=values,
        )
        expected = request.headers.get("If-Match", "").strip()
        try:
            actions.update_configitem(
                item,
                data,
                actor=request.user,
                expected_version=_number(expected) if expected and expected != "*" else None,
            )
        except actions.InvalidValues as error:
            raise ValidationError(
                {
                    (
                        key
                        if key in ("name", "deployment_state", "incident_state")
                        else f"attributes.{key}"
                    ): [message]
                    for key, message in error.errors.items()
                }
            ) from None
        return self._response(access.get_or_404(request.user, item.pk))

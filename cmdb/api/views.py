"""Configuration items through the API: lists and single CIs from :mod:`cmdb.access` (``ro``
on the class's group; missing and forbidden are both 404), and changes of name, states and
attribute values through :func:`cmdb.actions.update_configitem` (``rw``; a new version only
when something changed; ``If-Match`` with the version number → 412 when it moved on).
New CIs come from :func:`cmdb.actions.create_configitem` (``rw`` on the class's group), and
links to other CIs and to tickets from the CMDB's link actions (``rw`` on this CI, ``ro`` on
the other end; an end the caller cannot see is 404 like a missing one)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from otrs.api.permissions import AgentsOnly, ApiAccess
from otrs.permissions import PermissionKey
from otrs.search.highlight import as_text, highlights
from tickets import access as ticket_access

from .. import access, actions
from .. import attributes as attrs
from ..choices import LinkType
from ..models import CatalogItem, ConfigItem, Link, TicketLink, Version
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
                    "type": attribute.field_type if attribute else "",
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
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

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
        words = request.query_params.get("q", "")
        context = {
            **_context(self, page),
            "highlights": as_text(highlights("configitem", words, [i.pk for i in page])),
        }
        data = s.ConfigItemSerializer(page, many=True, context=context).data
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
            raise _invalid(error) from None
        return self._response(access.get_or_404(request.user, item.pk))

    @extend_schema(request=s.ConfigItemCreateSerializer, responses={201: s.ConfigItemSerializer})
    def create(self, request, *args, **kwargs):
        serializer = s.ConfigItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        # A class the caller cannot even read is unknown; one they only read: the action's 403.
        ci_class = access.classes_for(request.user).filter(pk=given["ci_class"]).first()
        if ci_class is None:
            raise ValidationError({"ci_class": [_("No such class.")]})
        data = actions.CIInput(
            name=given["name"],
            deployment_state=given["deployment_state"],
            incident_state=given["incident_state"],
            values=_paths(ci_class, given["attributes"]),
        )
        try:
            item = actions.create_configitem(ci_class, data, actor=request.user)
        except actions.InvalidValues as error:
            raise _invalid(error) from None
        response = self._response(access.get_or_404(request.user, item.pk))
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        methods=["POST"],
        request=s.ConfigItemLinkSerializer,
        responses={201: s.ConfigItemLinkResultSerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        parameters=[
            OpenApiParameter("config_item", int, description="The other CI's id."),
            OpenApiParameter("ticket", int, description="The ticket's id."),
            OpenApiParameter(
                "link_type",
                str,
                enum=LinkType.values,
                description="Between two CIs: only links of this type (default: all).",
            ),
        ],
        responses={204: None},
    )
    @action(detail=True, methods=["post", "delete"])
    def links(self, request, pk=None):
        """Link this CI to another CI or to a ticket (POST), or remove such links (DELETE,
        the other end as query parameters)."""
        item = access.get_or_404(request.user, _number(pk or ""), PermissionKey.RW)
        if request.method == "DELETE":
            serializer = s.ConfigItemUnlinkSerializer(data=request.query_params)
            serializer.is_valid(raise_exception=True)
            _unlink(item, serializer.validated_data, request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = s.ConfigItemLinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        link_type = given.get("link_type", LinkType.RELEVANT_TO)
        made: TicketLink | Link
        if "ticket" in given:
            ticket = ticket_access.get_or_404(request.user, given["ticket"], PermissionKey.RO)
            made = actions.link_ticket(item, ticket.pk, link_type, actor=request.user)
            body = {"config_item": None, "ticket": ticket.pk, "source": None}
        else:
            other = access.get_or_404(request.user, given["config_item"])
            made = actions.link_configitems(
                item, other, link_type, actor=request.user, acting_on=item
            )
            body = {"config_item": other.pk, "ticket": None, "source": made.source_id}
        # An existing link is answered as it is (a ticket keeps its first link type).
        body["link_type"] = made.link_type
        return Response(s.ConfigItemLinkResultSerializer(body).data, status=status.HTTP_201_CREATED)


def _invalid(error: actions.InvalidValues) -> ValidationError:
    return ValidationError(
        {
            (
                key
                if key in ("name", "deployment_state", "incident_state")
                else f"attributes.{key}"
            ): [message]
            for key, message in error.errors.items()
        }
    )


def _paths(ci_class: CatalogItem, given: dict[str, Any]) -> dict[str, Any]:
    """Values by path; a top-level attribute may be named by its key instead."""
    if not given:
        return {}
    by_key = {a.key: a.pk for a in attrs.Definition.of(ci_class).top}
    values = {}
    for key, value in given.items():
        if value is None or value == "":
            continue
        values[f"{by_key[key]}:0" if key in by_key else key] = value
    return values


def _unlink(item: ConfigItem, given: dict[str, Any], user) -> None:
    if "ticket" in given:
        ticket = ticket_access.get_or_404(user, given["ticket"], PermissionKey.RO)
        found = TicketLink.objects.filter(configitem=item, ticket=ticket).select_related(
            "configitem", "ticket"
        )
        if given.get("link_type"):
            found = found.filter(link_type=given["link_type"])
        links = list(found)
        if not links:
            raise NotFound(_("No such link."))
        for ticket_link in links:
            actions.unlink_ticket(ticket_link, actor=user)
        return
    other = access.get_or_404(user, given["config_item"])
    rows = Link.objects.filter(
        Q(source=item, target=other) | Q(source=other, target=item)
    ).select_related("source", "target")
    if given.get("link_type"):
        rows = rows.filter(link_type=given["link_type"])
    found_links = list(rows.order_by("pk"))
    if not found_links:
        raise NotFound(_("No such link."))
    for link in found_links:
        actions.unlink_configitems(link, actor=user, acting_on=item)

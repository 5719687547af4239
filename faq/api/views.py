"""FAQ items through the API, read only: what :func:`faq.access.visible_to` lets the caller
read (agents by the categories' groups, customers their external and public published items),
with the search backend's full-text search, category, language and state filters. Missing
and forbidden are both 404."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from otrs.api.permissions import ApiAccess
from otrs.fields.selectors import definitions, values_for

from .. import access, selectors
from ..choices import ItemState
from ..fields import FAQ_ITEM
from ..models import FaqItem
from . import serializers as s

_FIELDS = OpenApiParameter(
    "fields", str, description="Comma-separated names of the fields to return."
)


def _pk(value) -> int:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


def _ids(params, name: str) -> list[int]:
    values = params.getlist(name)
    if any(not (v.isascii() and v.isdigit() and len(v) < 19) for v in values):
        raise ValidationError({name: [_("Give ids as whole numbers.")]})
    return [int(v) for v in values]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Full-text search (title, keywords, text)."),
            OpenApiParameter("category", int, many=True),
            OpenApiParameter("language", str),
            OpenApiParameter("state", str, enum=list(ItemState.values)),
            _FIELDS,
        ]
    ),
    retrieve=extend_schema(parameters=[_FIELDS]),
)
class FaqItemViewSet(viewsets.ReadOnlyModelViewSet):
    """FAQ items the caller may read, with their published content."""

    serializer_class = s.FaqItemSerializer
    permission_classes = [ApiAccess]
    queryset = FaqItem.objects.none()  # for the schema; requests use get_queryset
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        rows = access.visible_to(self.request.user)
        if self.action == "list":
            rows = self._filtered(rows)
        return rows.select_related("category", "live_revision").order_by("-changed", "-pk")

    def _filtered(self, rows):
        params = self.request.query_params
        categories = _ids(params, "category")
        if categories:
            rows = rows.filter(category__in=categories)
        state = params.get("state")
        if state:
            if state not in ItemState.values:
                raise ValidationError({"state": [_("Unknown state.")]})
            rows = rows.filter(state=state)
        language = params.get("language")
        if language:
            rows = rows.filter(language=language[:10])
        text = params.get("q", "")[:500]
        return selectors.search(rows, text) if text.strip() else rows

    def _context(self, items) -> dict:
        values = values_for(FAQ_ITEM, items, definitions(FAQ_ITEM))
        return {**self.get_serializer_context(), "field_values": values}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = s.FaqItemSerializer(page, many=True, context=self._context(page)).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        item = access.get_or_404(request.user, _pk(kwargs["pk"]))
        return Response(s.FaqItemSerializer(item, context=self._context([item])).data)

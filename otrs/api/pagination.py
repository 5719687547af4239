"""Paging for every list: page numbers with a total, or a cursor for walking large lists.

``?page=N&page_size=M`` (at most :data:`MAX_PAGE_SIZE`) answers ``count`` (the total, counted
up to :data:`COUNT_CAP`; beyond, ``count`` is the cap and ``count_exact`` false, as the
screens say "more than") with ``next``/``previous`` links. ``?paging=cursor`` (then follow
``next``, which carries ``cursor=``) walks the list newest first by id: stable while rows are
added, and as fast on the millionth row as on the first (no OFFSET).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

COUNT_CAP = 10_000
MAX_PAGE_SIZE = 500


def capped_count(queryset) -> tuple[int, bool]:
    """The number of rows, counting at most :data:`COUNT_CAP` + 1."""
    found = queryset.order_by()[: COUNT_CAP + 1].count()
    return min(found, COUNT_CAP), found <= COUNT_CAP


class _Cursor(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size = 25


class Paging(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_param = "page"

    def paginate_queryset(self, queryset, request, view=None):
        self.count, self.count_exact = capped_count(queryset)
        self.cursor_mode = "cursor" in request.query_params or (
            request.query_params.get("paging") == "cursor"
        )
        if self.cursor_mode:
            self._cursor = _Cursor()
            return self._cursor.paginate_queryset(queryset, request, view)
        self.request = request
        size = self.get_page_size(request)
        number = request.query_params.get(self.page_query_param, "1")
        number = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 0
        if number < 1:
            number = 1
        self.page_number_value = number
        self.page_size_value = size
        rows = list(queryset[(number - 1) * size : number * size + 1])
        self.has_next = len(rows) > size
        return rows[:size]

    def _link(self, number: int) -> str:
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        if self.cursor_mode:
            next_link = self._cursor.get_next_link()
            previous_link = self._cursor.get_previous_link()
        else:
            number = self.page_number_value
            next_link = self._link(number + 1) if self.has_next else None
            previous_link = self._link(number - 1) if number > 1 else None
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": next_link,
                "previous": previous_link,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_exact", "results"],
            "properties": {
                "count": {"type": "integer", "description": str(_("Total, up to 10,000."))},
                "count_exact": {"type": "boolean"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
            {
                "name": "paging",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["page", "cursor"]},
            },
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
        ]

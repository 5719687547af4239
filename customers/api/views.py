"""Customer users and companies through the API, read only: lists (with the agent lists'
search, validity, sort and order) and single objects, from :mod:`customers.access` (missing
and forbidden are both 404). Agents see every customer; a customer (when the API allows
customers) sees their own customer user and companies."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from otrs.api.permissions import ApiAccess
from otrs.fields.selectors import definitions, values_for

from .. import access
from ..fields import CUSTOMER_COMPANY, CUSTOMER_USER
from ..forms import CompanyFilter, CustomerUserFilter
from ..models import CustomerCompany, CustomerUser
from . import serializers as s

_COMMON = [
    OpenApiParameter("q", str, description="Words that must all occur (name, login, mail …)."),
    OpenApiParameter("valid", str, enum=["valid", "invalid"]),
    OpenApiParameter("order", str, enum=["asc", "desc"]),
    OpenApiParameter("fields", str, description="Comma-separated names of the fields to return."),
]


def _filtered(params, queryset):
    """The list filter applied, or 400 naming the parameter that is wrong (the page number
    is the paginator's)."""
    if not params.is_valid():
        errors = {
            name: [ErrorDetail(m, code=e.code or "invalid") for e in errs for m in e.messages]
            for name, errs in params.errors.as_data().items()
            if name != "page"
        }
        if errors:
            raise ValidationError(errors)
    return params.apply(queryset)


def _pk(value) -> int:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


class _CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ApiAccess]
    lookup_value_regex = "[0-9]+"
    object_type = ""

    def get_object(self):
        found = self.get_queryset().filter(pk=_pk(self.kwargs["pk"])).first()
        if found is None:
            raise Http404
        return found

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "field_values": {}}

    def _with_fields(self, objects) -> dict:
        return values_for(self.object_type, objects, definitions(self.object_type))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        context = {**self.get_serializer_context(), "field_values": self._with_fields(page)}
        data = self.get_serializer_class()(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        found = self.get_object()
        context = {**self.get_serializer_context(), "field_values": self._with_fields([found])}
        return Response(self.get_serializer_class()(found, context=context).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            *_COMMON,
            OpenApiParameter("company", int, description="Contacts of this company."),
            OpenApiParameter("sort", str, enum=["name", "login"]),
        ]
    ),
    retrieve=extend_schema(parameters=[_COMMON[-1]]),
)
class CustomerUserViewSet(_CustomerViewSet):
    """Customer users the caller may see."""

    serializer_class = s.CustomerUserSerializer
    queryset = CustomerUser.objects.none()  # for the schema; requests use get_queryset
    object_type = CUSTOMER_USER

    def get_queryset(self):
        rows = access.visible_to(self.request.user)
        if self.action == "list":
            rows = _filtered(CustomerUserFilter(self.request.query_params), rows)
        return rows.select_related("user", "company").prefetch_related("other_companies")


@extend_schema_view(
    list=extend_schema(
        parameters=[*_COMMON, OpenApiParameter("sort", str, enum=["name", "customer_id"])]
    ),
    retrieve=extend_schema(parameters=[_COMMON[-1]]),
)
class CompanyViewSet(_CustomerViewSet):
    """Customer companies the caller may see."""

    serializer_class = s.CompanySerializer
    queryset = CustomerCompany.objects.none()
    object_type = CUSTOMER_COMPANY

    def get_queryset(self):
        rows = access.visible_to(self.request.user, model=CustomerCompany)
        if self.action == "list":
            rows = _filtered(CompanyFilter(self.request.query_params), rows)
        return rows

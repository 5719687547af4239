"""Customer users and companies through the API: lists (with the agent lists' search,
validity, sort and order) and single objects, from :mod:`customers.access` (missing and
forbidden are both 404). Agents see every customer; a customer (when the API allows
customers) sees their own customer user and companies.

Changes go through :mod:`customers.actions`, as on the agent screens: POST makes one, PATCH
changes what it names, ``POST …/invalidate/`` marks one invalid (customers are never deleted:
tickets keep their login and customer id). Creating needs the customer manager's right (else
403); a change of one the caller may not manage is 404, like a missing one. A refused value
answers 400 naming the field (``login``, ``email``, ``customer_id``, ``company``,
``other_companies.1``, ``custom_fields.<name>`` …) with the rule's code."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.response import Response

from otrs.api.permissions import ApiAccess
from otrs.api.serializers import ApiSerializer
from otrs.errors import DomainError, ErrorCode
from otrs.fields.actions import FieldErrors
from otrs.fields.selectors import definitions, values_for
from otrs.permissions import PermissionKey
from otrs.search.highlight import as_text, highlights

from .. import access, actions
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


_PASSWORD_FIELD = {ErrorCode.INVALID_PASSWORD: "password"}


def _refused(error: DomainError) -> Exception:
    """What to answer for an action's refusal: one input's as a 400 naming that input;
    custom-field refusals as they are (the API's handler names each field)."""
    if isinstance(error, FieldErrors):
        return error
    if error.code == ErrorCode.NOT_ALLOWED:
        return PermissionDenied(error.message)
    field = _PASSWORD_FIELD.get(error.code, error.field) or "non_field_errors"
    return ValidationError({field: [ErrorDetail(error.message, code=error.code)]})


class _CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ApiAccess]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    object_type = ""
    model: access.Model
    input_serializer: type[ApiSerializer]

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
        words = request.query_params.get("q", "")
        context = {
            **self.get_serializer_context(),
            "field_values": self._with_fields(page),
            "highlights": as_text(highlights(self.object_type, words, [o.pk for o in page])),
        }
        data = self.get_serializer_class()(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    def _answer(self, found, code: int = status.HTTP_200_OK) -> Response:
        context = {**self.get_serializer_context(), "field_values": self._with_fields([found])}
        return Response(self.get_serializer_class()(found, context=context).data, status=code)

    # --- changes, through the customers' actions

    def create(self, request, *args, **kwargs):
        if not access.can_manage_customers(request.user):
            raise PermissionDenied(_("You may not manage customer users and companies."))
        given = self._given(request, partial=False)
        try:
            made = self._save(None, given)
        except DomainError as error:
            raise _refused(error) from None
        return self._answer(self._reread(made), status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        found = self._manageable(request)
        given = self._given(request, partial=True)
        try:
            self._save(found, given)
        except DomainError as error:
            raise _refused(error) from None
        return self._answer(self._reread(found))

    @action(detail=True, methods=["post"])
    def invalidate(self, request, *args, **kwargs):
        """Mark it invalid (an invalid customer user cannot sign in; an invalid company is
        offered for no new tickets or contacts). PATCH ``is_valid`` makes it valid again."""
        found = self._manageable(request)
        self._set_validity(found, False)
        return self._answer(self._reread(found))

    def _manageable(self, request):
        return access.get_or_404(
            request.user, _pk(self.kwargs["pk"]), PermissionKey.RW, model=self.model
        )

    def _given(self, request, *, partial: bool) -> dict[str, Any]:
        serializer = self.input_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _reread(self, obj):
        return self.get_queryset().get(pk=obj.pk)

    def _save(self, found, given: dict[str, Any]):
        raise NotImplementedError

    def _set_validity(self, found, is_valid: bool) -> None:
        raise NotImplementedError


def _changes(given, answer) -> dict:
    """The schema of the change operations: what they take and what they answer."""
    return {
        "create": extend_schema(request=given, responses={201: answer}),
        "partial_update": extend_schema(request=given, responses={200: answer}),
        "invalidate": extend_schema(request=None, responses={200: answer}),
    }


@extend_schema_view(
    list=extend_schema(
        parameters=[
            *_COMMON,
            OpenApiParameter("company", int, description="Contacts of this company."),
            OpenApiParameter("sort", str, enum=["name", "login"]),
        ]
    ),
    retrieve=extend_schema(parameters=[_COMMON[-1]]),
    **_changes(s.CustomerUserInputSerializer, s.CustomerUserSerializer),
)
class CustomerUserViewSet(_CustomerViewSet):
    """Customer users the caller may see."""

    serializer_class = s.CustomerUserSerializer
    queryset = CustomerUser.objects.none()  # for the schema; requests use get_queryset
    object_type = CUSTOMER_USER
    model = CustomerUser
    input_serializer = s.CustomerUserInputSerializer

    def get_queryset(self):
        rows = access.visible_to(self.request.user)
        if self.action == "list":
            rows = _filtered(CustomerUserFilter(self.request.query_params), rows)
        return rows.select_related("user", "company").prefetch_related("other_companies")

    def _save(self, found: CustomerUser | None, given: dict[str, Any]) -> CustomerUser:
        data = self._input(found, given)
        fields = given.get("custom_fields") or None
        if found is None:
            return actions.create_customer_user(
                data,
                password=given.get("password") or None,
                actor=self.request.user,
                field_values=fields,
            )
        return actions.edit_customer_user(
            found,
            data,
            password=given.get("password", ""),
            actor=self.request.user,
            field_values=fields,
        )

    def _input(
        self, found: CustomerUser | None, given: dict[str, Any]
    ) -> actions.CustomerUserInput:
        now: dict[str, Any] = {"company": None, "other_companies": ()}
        if found is not None:
            now = {
                "login": found.user.username,
                "email": found.email,
                "first_name": found.user.first_name,
                "last_name": found.user.last_name,
                "phone": found.phone,
                "company": found.company,
                "other_companies": tuple(found.other_companies.all()),
                "is_valid": found.is_valid,
            }
        plain = ("login", "email", "first_name", "last_name", "phone", "is_valid")
        values = {name: given[name] for name in plain if name in given}
        current = {c.pk for c in now["other_companies"]}
        if found is not None and found.company_id is not None:
            current.add(found.company_id)
        offered = access.visible_to(self.request.user, model=CustomerCompany).filter(
            Q(is_valid=True) | Q(pk__in=current)
        )
        if "company" in given:
            values["company"] = _company(offered, given["company"])
        if "other_companies" in given:
            values["other_companies"] = _companies(offered, given["other_companies"])
        return actions.CustomerUserInput(**{**now, **values})

    def _set_validity(self, found: CustomerUser, is_valid: bool) -> None:
        actions.set_customer_user_validity(found, is_valid, actor=self.request.user)


@extend_schema_view(
    list=extend_schema(
        parameters=[*_COMMON, OpenApiParameter("sort", str, enum=["name", "customer_id"])]
    ),
    retrieve=extend_schema(parameters=[_COMMON[-1]]),
    **_changes(s.CompanyInputSerializer, s.CompanySerializer),
)
class CompanyViewSet(_CustomerViewSet):
    """Customer companies the caller may see."""

    serializer_class = s.CompanySerializer
    queryset = CustomerCompany.objects.none()
    object_type = CUSTOMER_COMPANY
    model = CustomerCompany
    input_serializer = s.CompanyInputSerializer

    def get_queryset(self):
        rows = access.visible_to(self.request.user, model=CustomerCompany)
        if self.action == "list":
            rows = _filtered(CompanyFilter(self.request.query_params), rows)
        return rows

    def _save(self, found: CustomerCompany | None, given: dict[str, Any]) -> CustomerCompany:
        names = actions.CompanyInput.__dataclass_fields__
        now = {name: getattr(found, name) for name in names} if found is not None else {}
        data = actions.CompanyInput(**{**now, **{k: v for k, v in given.items() if k in names}})
        fields = given.get("custom_fields") or None
        if found is None:
            return actions.create_company(data, actor=self.request.user, field_values=fields)
        return actions.update_company(found, data, actor=self.request.user, field_values=fields)

    def _set_validity(self, found: CustomerCompany, is_valid: bool) -> None:
        actions.set_company_validity(found, is_valid, actor=self.request.user)


def _company(offered, pk: int | None) -> CustomerCompany | None:
    if pk is None:
        return None
    found = offered.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"company": [_("No such valid company.")]})
    return found


def _companies(offered, ids: list[int]) -> tuple[CustomerCompany, ...]:
    found = offered.in_bulk(ids)
    missing = {
        index: [_("No such valid company.")] for index, pk in enumerate(ids) if pk not in found
    }
    if missing:
        raise ValidationError({"other_companies": missing})
    return tuple(found[pk] for pk in dict.fromkeys(ids))

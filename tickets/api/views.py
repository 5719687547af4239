"""The ticket endpoints: tickets, their articles and attachments, history, merges and links,
bulk changes, and the master data agents pick from.

Every request starts from :mod:`tickets.access` (lists from ``visible_to``, one ticket from
``get_or_404``: missing and forbidden are both 404) and every change is an action
(:mod:`tickets.api.changes`). The list takes the agent search form's criteria
(:class:`tickets.forms.search.SearchForm`, parsed as on the search page).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from otrs.api.errors import domain_problem
from otrs.api.permissions import AgentsOnly, ApiAccess
from otrs.errors import DomainError
from otrs.fields.selectors import definitions, values_for
from otrs.permissions import PermissionKey
from otrs.search.highlight import as_text, highlights

from .. import access, actions, escalation, masterdata
from ..downloads import attachment_response
from ..fields import TICKET
from ..forms.search import SearchForm
from ..models import (
    SLA,
    Article,
    Priority,
    Service,
    State,
    Ticket,
    TicketHistory,
    TicketType,
)
from ..search import search_tickets
from . import changes
from . import serializers as s

# A page of tickets joins only these: PostgreSQL's planner spent 13 ms (at 1M tickets, quiet)
# ordering the joins of all eight references, against 1 ms for these four. Priority and type
# come from the worker's master-data copy, service and SLA in one small query each.
_RELATED = ("queue", "state", "owner", "responsible")
_PREFETCHED = ("service", "sla")


def _with_master_data(tickets) -> None:
    """Attach each ticket's priority and type from this worker's master-data copy (a
    reference missing from it, created since, is left to load on its own)."""
    copy = masterdata.snapshot()
    for ticket in tickets:
        priority = copy.priorities.get(ticket.priority_id)
        if priority is not None:
            ticket.priority = priority  # the same id: only the reference is filled in
        kind = copy.types.get(ticket.type_id)
        if kind is not None:
            ticket.type = kind


_SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="A ticket number, or words of title or articles."),
    OpenApiParameter("number", str, description="Exact, or with * as a wildcard."),
    OpenApiParameter("title", str),
    OpenApiParameter("fulltext", str),
    OpenApiParameter("customer", str),
    OpenApiParameter("queue", int, many=True),
    OpenApiParameter("state", int, many=True),
    OpenApiParameter("state_type", str, enum=["open", "closed"]),
    OpenApiParameter("priority", int, many=True),
    OpenApiParameter("owner", int),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE),
    OpenApiParameter("changed_from", OpenApiTypes.DATE),
    OpenApiParameter("changed_to", OpenApiTypes.DATE),
    OpenApiParameter(
        "sort", str, enum=["number", "age", "changed", "title", "state", "priority", "queue"]
    ),
    OpenApiParameter("order", str, enum=["asc", "desc"]),
    OpenApiParameter("fields", str, description="Comma-separated names of the fields to return."),
]
_IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ticket's version (its ETag); 412 if others changed it since.",
)


def etag(ticket) -> str:
    return f'"{actions.ticket_version(ticket)}"'


def if_match(request) -> str | None:
    """The version an ``If-Match`` header names (``None``: no header, or ``*``)."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    raw = raw.split(",")[0].strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    return raw.strip('"') or None


def form_errors(form) -> dict:
    """A Django form's errors as DRF error details (message and code per field)."""
    return {
        name: [
            ErrorDetail(message, code=error.code or "invalid")
            for error in errors
            for message in error.messages
        ]
        for name, errors in form.errors.as_data().items()
    }


def with_fields(tickets) -> dict:
    """The custom-field values of ``tickets`` (one query) for the serializer's context."""
    return values_for(TICKET, tickets, definitions(TICKET))


@extend_schema_view(
    list=extend_schema(parameters=_SEARCH_PARAMETERS),
    retrieve=extend_schema(parameters=[_SEARCH_PARAMETERS[-1]]),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tickets the caller may read; changes through the ticket actions."""

    serializer_class = s.TicketSerializer
    permission_classes = [ApiAccess]
    # For the schema only (the id's type); requests start from get_queryset / access.
    queryset = Ticket.objects.none()
    lookup_value_regex = "[0-9]+"
    # Changes are PATCHes of the fields to change; there is no PUT of a whole ticket.
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        form = SearchForm(self.request.query_params, user=self.request.user)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        tickets = search_tickets(self.request.user, form.criteria())
        return tickets.select_related(*_RELATED).prefetch_related(*_PREFETCHED)

    def ticket(self, need: str = PermissionKey.RO):
        return access.get_or_404(self.request.user, _pk(self.kwargs["pk"]), need)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        _with_master_data(page)
        params = request.query_params
        words = " ".join(params.get(name, "") for name in ("fulltext", "q")).strip()
        if not request.user.is_agent:
            # A ticket's document holds its internal articles too: customers get no passages.
            words = ""
        context = {
            **self.get_serializer_context(),
            "field_values": with_fields(page),
            "highlights": as_text(highlights("ticket", words, [t.pk for t in page])),
        }
        data = s.TicketSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return self._ticket_response(self.ticket())

    def _ticket_response(self, ticket, code: int = status.HTTP_200_OK) -> Response:
        context = {**self.get_serializer_context(), "field_values": with_fields([ticket])}
        response = Response(s.TicketSerializer(ticket, context=context).data, status=code)
        response["ETag"] = etag(ticket)
        return response

    @extend_schema(request=s.TicketCreateSerializer, responses={201: s.TicketSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(s.TicketCreateSerializer, request)
        ticket = changes.create(data, actor=request.user)
        ticket = access.get_or_404(request.user, ticket.pk)
        return self._ticket_response(ticket, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.TicketUpdateSerializer,
        responses={200: s.TicketSerializer},
        parameters=[_IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        data = _valid(s.TicketUpdateSerializer, request)
        ticket = changes.update(self.ticket(), data, actor=request.user, version=if_match(request))
        return self._ticket_response(access.get_or_404(request.user, ticket.pk))

    @extend_schema(
        request=s.MergeSerializer, responses={200: s.TicketSerializer}, parameters=[_IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this ticket into ``target``; answers the target."""
        data = _valid(s.MergeSerializer, request)
        source = self.ticket()
        target = access.get_or_404(request.user, data["target"])
        changes.check_action("merge", source, actor=request.user)
        actions.merge_tickets(
            source, target, actor=request.user, expected_version=if_match(request)
        )
        return self._ticket_response(access.get_or_404(request.user, target.pk))

    @extend_schema(request=None, responses={200: s.TicketSerializer}, parameters=[_IF_MATCH])
    @action(detail=True, methods=["post"])
    def unmerge(self, request, pk=None):
        ticket = self.ticket()
        changes.check_action("unmerge", ticket, actor=request.user)
        actions.unmerge_ticket(ticket, actor=request.user, expected_version=if_match(request))
        return self._ticket_response(access.get_or_404(request.user, ticket.pk))

    @extend_schema(request=s.LinkSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def links(self, request, pk=None):
        """Link this ticket to ``target`` (for parent/child, this ticket is the parent)."""
        data = _valid(s.LinkSerializer, request)
        source = self.ticket()
        target = access.get_or_404(request.user, data["target"])
        changes.check_action("link", source, actor=request.user)
        actions.link_tickets(source, target, data["link_type"], actor=request.user)
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.HistorySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The ticket's history, oldest first (agents only: customers see none)."""
        if not request.user.is_agent:
            raise Http404
        ticket = self.ticket()
        rows = TicketHistory.objects.filter(ticket=ticket).order_by("created_at", "id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.HistorySerializer(page, many=True).data)

    @extend_schema(responses={200: s.SLATimelineSerializer})
    @action(detail=True, methods=["get"])
    def sla(self, request, pk=None):
        """The ticket's SLA clocks (first response, update, solution) as the zoom shows them:
        due times, remaining working time, status, and how each was computed (calendar,
        counted working periods, pauses, anchor article). Agents only."""
        if not request.user.is_agent:
            raise Http404
        timeline = escalation.compute(self.ticket())
        context = self.get_serializer_context()
        return Response(s.SLATimelineSerializer(timeline, context=context).data)

    @extend_schema(methods=["get"], responses={200: s.ArticleSerializer(many=True)}, parameters=[])
    @extend_schema(
        methods=["post"], request=s.ArticleInputSerializer, responses={201: s.ArticleSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def articles(self, request, pk=None):
        """The articles the caller may read, in order; POST adds one (with attachments)."""
        if request.method == "POST":
            data = _valid(s.ArticleInputSerializer, request)
            article = changes.add_article(self.ticket(), data, actor=request.user)
            article = Article.objects.prefetch_related("attachments").get(pk=article.pk)
            context = self.get_serializer_context()
            return Response(s.ArticleSerializer(article, context=context).data, status=201)
        rows = access.visible_articles(request.user, self.ticket())
        page = self.paginate_queryset(rows)
        context = self.get_serializer_context()
        return self.get_paginated_response(
            s.ArticleSerializer(page, many=True, context=context).data
        )

    @extend_schema(responses={200: s.ArticleSerializer})
    @action(detail=True, methods=["get"], url_path=r"articles/(?P<article_id>[0-9]+)")
    def article(self, request, pk=None, article_id=None):
        found = access.visible_articles(request.user, self.ticket()).filter(pk=_pk(article_id))
        article = found.first()
        if article is None:
            raise Http404
        return Response(s.ArticleSerializer(article, context=self.get_serializer_context()).data)


class AttachmentView(APIView):
    """An attachment's bytes, as a download (the portals' safe type and headers)."""

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        return attachment_response(access.attachment_or_404(request.user, pk))


class _BulkView(APIView):
    """Many items, each applied on its own (all of one item's changes or none): a result
    per item with its status and the ticket or the problem. A subclass names its input
    serializer, the item key holding the ticket id, and what it does with one item."""

    permission_classes = [ApiAccess, AgentsOnly]
    input_serializer: type
    ticket_key: str

    def apply(self, request, ticket, item) -> dict:
        raise NotImplementedError

    def post(self, request):
        items = _valid(self.input_serializer, request)["items"]
        results = [
            _bulk_item(
                request, index, item[self.ticket_key], lambda t, i=item: self.apply(request, t, i)
            )
            for index, item in enumerate(items)
        ]
        return Response({"results": results}, status=207)


@extend_schema_view(
    post=extend_schema(request=s.BulkTicketSerializer, responses={207: s.BulkResultSerializer})
)
class BulkTicketView(_BulkView):
    """Changes to many tickets, each on its own (all of one ticket's changes or none):
    a result per item with its status and the ticket or the problem."""

    input_serializer = s.BulkTicketSerializer
    ticket_key = "id"

    def apply(self, request, ticket, item) -> dict:
        return _bulk_update(request, ticket, item)


@extend_schema_view(
    post=extend_schema(request=s.BulkArticleSerializer, responses={207: s.BulkResultSerializer})
)
class BulkArticleView(_BulkView):
    """Articles for many tickets, each on its own, with a result per item."""

    input_serializer = s.BulkArticleSerializer
    ticket_key = "ticket"

    def apply(self, request, ticket, item) -> dict:
        return _bulk_article(request, ticket, item)


def _bulk_update(request, ticket, item) -> dict:
    changes.update(ticket, item, actor=request.user, version=None)
    return {"ticket": s.TicketSerializer(ticket, context={"request": request}).data}


def _bulk_article(request, ticket, item) -> dict:
    return {"article": changes.add_article(ticket, item, actor=request.user).pk}


def _bulk_item(request, index: int, ticket_id: int, apply) -> dict:
    result: dict[str, Any] = {"index": index, "id": ticket_id}
    try:
        ticket = access.get_or_404(request.user, ticket_id)
        with transaction.atomic():
            result.update(apply(ticket))
    except Http404:
        result.update(
            status=404, problem={"status": 404, "title": "Not Found", "code": "not_found"}
        )
    except DomainError as error:
        problem = domain_problem(error)
        result.update(status=problem.status_code, problem=problem.data)
    else:
        result["status"] = 200
    return result


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _pk(value) -> int:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


class _ReadOnly(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ApiAccess, AgentsOnly]


class QueueViewSet(_ReadOnly):
    """The queues the caller may read tickets in."""

    serializer_class = s.QueueSerializer

    def get_queryset(self):
        return access.queues_for(self.request.user, PermissionKey.RO)


class StateViewSet(_ReadOnly):
    serializer_class = s.StateSerializer
    queryset = State.objects.order_by("name")


class PriorityViewSet(_ReadOnly):
    serializer_class = s.PrioritySerializer
    queryset = Priority.objects.order_by("level")


class TicketTypeViewSet(_ReadOnly):
    serializer_class = s.TicketTypeSerializer
    queryset = TicketType.objects.order_by("name")


class ServiceViewSet(_ReadOnly):
    serializer_class = s.ServiceSerializer
    queryset = Service.objects.order_by("full_name")


class SLAViewSet(_ReadOnly):
    serializer_class = s.SLASerializer
    queryset = SLA.objects.order_by("name")

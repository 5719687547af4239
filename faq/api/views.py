"""FAQ items through the API: what :func:`faq.access.visible_to` lets the caller read (agents
by the categories' groups, customers their external and public published items), with the
search backend's full-text search, category, language and state filters. Missing and
forbidden are both 404.

Agents change items through :mod:`faq.actions`, as on the screens: ``POST`` makes an item
with its first revision, ``PATCH`` a new revision (never an overwrite; the published one stays
live while a newer one waits for approval) and/or the item's category, state, validity and
review date; ``approve`` and ``send-back`` decide on a waiting revision. An item the caller
cannot read is 404; one they read but may not edit (or approve) is 403. The ETag is the latest
revision's number; ``If-Match`` with an older one is 412."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from otrs.api.permissions import AgentsOnly, ApiAccess
from otrs.errors import DomainError, ErrorCode
from otrs.fields.selectors import definitions, values_for
from otrs.search.highlight import as_text, highlights

from .. import access, actions, selectors
from ..choices import ItemState, RevisionStatus
from ..fields import FAQ_ITEM
from ..models import FaqItem, FaqRevision
from . import serializers as s

_FIELDS = OpenApiParameter(
    "fields", str, description="Comma-separated names of the fields to return."
)
_IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The latest revision's number (the item's ETag); 412 if a newer one exists.",
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
class FaqItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """FAQ items the caller may read, with their published content; agents change them
    through the FAQ's actions."""

    serializer_class = s.FaqItemSerializer
    permission_classes = [ApiAccess]
    queryset = FaqItem.objects.none()  # for the schema; requests use get_queryset
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self):
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            return [ApiAccess(), AgentsOnly()]
        return super().get_permissions()

    def get_queryset(self):
        rows = access.visible_to(self.request.user)
        if self.action == "list":
            rows = self._filtered(rows)
        return rows.select_related("category", "live_revision", "latest_revision").order_by(
            "-changed", "-pk"
        )

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
        internal = selectors.searches_internal(self.request.user)
        return selectors.search(rows, text, internal=internal) if text.strip() else rows

    def _context(self, items) -> dict:
        values = values_for(FAQ_ITEM, items, definitions(FAQ_ITEM))
        return {**self.get_serializer_context(), "field_values": values}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        context = self._context(page)
        # From the text the caller searched: a customer's passages never show the comment.
        internal = selectors.searches_internal(request.user)
        words = request.query_params.get("q", "")[:500]
        found = highlights("faq_item", words, [i.pk for i in page], internal=internal)
        context["highlights"] = as_text(found)
        data = s.FaqItemSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return self._response(access.get_or_404(request.user, _pk(kwargs["pk"])))

    def _response(self, item: FaqItem, code: int = status.HTTP_200_OK) -> Response:
        response = Response(
            s.FaqItemSerializer(item, context=self._context([item])).data, status=code
        )
        if item.latest_revision_id is not None:
            response["ETag"] = f'"{item.latest_revision.number}"'  # type: ignore[union-attr]
        return response

    def _editable(self, pk, need: str = access.EDIT) -> FaqItem:
        """The item if the caller may change it: 404 if they cannot read it, 403 if they
        only read it."""
        item = access.get_or_404(self.request.user, _pk(pk))
        if not access.can(self.request.user, item, need):
            if need == access.APPROVE:
                raise PermissionDenied(_("You may not approve revisions of this FAQ item."))
            raise PermissionDenied(_("You may not change this FAQ item."))
        return item

    def _category(self, pk: int, name: str = "category"):
        """A category the caller edits in: 400 if they cannot see it, 403 if they only
        read it."""
        readable = access.categories_for(self.request.user).filter(pk=pk).first()
        if readable is None:
            raise ValidationError({name: [_("No such category.")]})
        if not access.can_in_category(self.request.user, readable, access.EDIT):
            raise PermissionDenied(_("You may not write FAQ items in this category."))
        return readable

    @extend_schema(request=s.FaqItemCreateSerializer, responses={201: s.FaqItemSerializer})
    def create(self, request, *args, **kwargs):
        serializer = s.FaqItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        category = self._category(given["category"])
        original = None
        if "translation_of" in given:
            original = access.visible_to(request.user).filter(pk=given["translation_of"]).first()
            if original is None:
                raise ValidationError({"translation_of": [_("No such FAQ item.")]})
        item = actions.create_item(
            category,
            _content(given),
            actor=request.user,
            language=given["language"],
            state=given["state"],
            translation_of=original,
            note=given.get("note", ""),
            submit=given["submit"],
        )
        return self._response(self._reloaded(item), status.HTTP_201_CREATED)

    @extend_schema(
        request=s.FaqItemUpdateSerializer,
        responses={200: s.FaqItemSerializer},
        parameters=[_IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        serializer = s.FaqItemUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        item = self._editable(kwargs["pk"])
        expected = _pk(request.headers.get("If-Match", "").strip().strip('"')) or None
        content_given = any(name in given for name in _CONTENT)
        properties_given = any(name in given for name in _PROPERTIES)
        if not content_given and not properties_given:
            raise ValidationError({"title": [_("Give the content or the properties to change.")]})
        category = self._category(given["category"]) if "category" in given else item.category
        with transaction.atomic():
            if content_given:
                actions.update_item(
                    item,
                    _content(given, item.latest_revision),
                    actor=request.user,
                    note=given.get("note", ""),
                    submit=given.get("submit", True),
                    expected_revision=expected,
                )
            elif expected is not None and item.latest_revision_id is not None:
                self._check_version(item, expected)
            if properties_given:
                actions.change_properties(
                    item,
                    actor=request.user,
                    category=category,
                    state=given.get("state", item.state),
                    is_valid=given.get("is_valid", item.is_valid),
                    review_after=given.get("review_after", item.review_after),
                )
        return self._response(self._reloaded(item))

    def _check_version(self, item: FaqItem, expected: int) -> None:
        latest = item.latest_revision
        if latest is not None and latest.number != expected:
            raise DomainError(
                _("Someone saved a newer revision (%(number)s) meanwhile.")
                % {"number": latest.number},
                code=ErrorCode.EDIT_CONFLICT,
            )

    @extend_schema(request=s.FaqReviewSerializer, responses={200: s.FaqItemSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        item, revision, note = self._review(request, pk)
        actions.approve_revision(revision, actor=request.user, note=note)
        return self._response(self._reloaded(item))

    @extend_schema(request=s.FaqReviewSerializer, responses={200: s.FaqItemSerializer})
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        item, revision, note = self._review(request, pk, note_required=True)
        actions.send_back_revision(revision, actor=request.user, note=note)
        return self._response(self._reloaded(item))

    def _review(
        self, request, pk, *, note_required: bool = False
    ) -> tuple[FaqItem, FaqRevision, str]:
        serializer = s.FaqReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        if note_required and not given.get("note", "").strip():
            raise ValidationError(
                {"note": [_("Say what should change before sending the revision back.")]}
            )
        item = self._editable(pk, access.APPROVE)
        revision = item.revisions.filter(
            number=given["revision"], status=RevisionStatus.PENDING
        ).first()
        if revision is None:
            raise ValidationError({"revision": [_("This revision is not waiting for approval.")]})
        return item, revision, given.get("note", "")

    def _reloaded(self, item: FaqItem) -> FaqItem:
        return FaqItem.objects.select_related("category", "live_revision", "latest_revision").get(
            pk=item.pk
        )


_CONTENT = ("title", "keywords", "symptom", "problem", "solution", "comment")
_PROPERTIES = ("category", "state", "is_valid", "review_after")


def _content(given: dict[str, Any], latest: FaqRevision | None = None) -> actions.Content:
    """The revision's content: what is given, the rest from the latest revision."""
    values = {
        name: given[name] if name in given else (getattr(latest, name, "") or "")
        for name in _CONTENT
    }
    return actions.Content(**values)

"""Ticket search: criteria in, a queryset out, always starting from the access layer.

:func:`search_tickets` turns :class:`Criteria` (what ``tickets.forms.search.SearchForm``
parsed) into a queryset of the tickets the agent may read; the free text goes through the
configured search backend (:func:`otrs.search.get_backend`), which answers with a
condition, so access, criteria, order and page stay one query. The search page, the CSV
export and saved searches all use this module; nothing here knows about requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from otrs import policy
from otrs.events import Event
from otrs.fields.selectors import field_filter
from otrs.permissions import PermissionKey
from otrs.search import extract, get_backend
from otrs.search import registry as search_registry
from otrs.search.registry import Document, Skipped
from otrs.web.pagination import Page, paginate

from . import access
from .choices import VIEWABLE_STATE_TYPES
from .events import OBJECT_TYPE, TicketEvent
from .models import Article, Attachment, SavedSearch, Ticket
from .selectors import SORTS as OVERVIEW_SORTS

# Sort keys (the search form's and the ticket table's links) and the fields behind them,
# written for ascending order; the id breaks ties so that pages never overlap.
SORT_FIELDS = {
    "number": ("number",),
    # Ascending age: the youngest first.
    "age": ("-created_at",),
    "changed": ("changed_at",),
    "title": ("title",),
    # As the overviews (and OTRS TicketSearch): by the state's / priority's id, then the
    # oldest first, so that a search lists the tickets of a queue as its view does.
    "state": OVERVIEW_SORTS["state"],
    "priority": OVERVIEW_SORTS["priority"],
    "queue": ("queue__full_name",),
}
# The direction a sort key starts with when none is chosen: the oldest, the latest
# changed and the most urgent first, everything else A to Z.
DEFAULT_ORDER = {"age": "desc", "changed": "desc", "priority": "desc"}
DEFAULT_SORT = "changed"
MAX_PER_PAGE = 500
# The CSV export stops here; more rows than this are a report, not a search.
EXPORT_MAX_ROWS = 10_000
# A search counts its results up to the policy setting ``search_count_cap`` (1,000 unless
# changed) and says "more than" beyond: counting every match of a broad criterion (a dropdown
# value in a large queue) cost more than the page itself; paging on works without the total
# (bench/README.md, bench_fields.py).

STATE_TYPE_OPEN = "open"
STATE_TYPE_CLOSED = "closed"

_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Criteria:
    """What to search for; empty values do not restrict. Dates are aware datetimes:
    ``*_from`` inclusive, ``*_to`` exclusive."""

    q: str = ""
    number: str = ""
    title: str = ""
    fulltext: str = ""
    customer: str = ""
    queues: tuple = ()
    states: tuple = ()
    state_type: str = ""
    priorities: tuple = ()
    owner: object = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    changed_from: datetime | None = None
    changed_to: datetime | None = None
    sort: str = DEFAULT_SORT
    order: str = ""
    # Custom field conditions: (definition, operator, value), see otrs.fields.selectors.
    fields: tuple = ()

    def ordering(self) -> tuple[str, ...]:
        sort = self.sort if self.sort in SORT_FIELDS else DEFAULT_SORT
        order = self.order or DEFAULT_ORDER.get(sort, "asc")
        fields = (*SORT_FIELDS[sort], "id")
        if order == "desc":
            return tuple(f[1:] if f.startswith("-") else f"-{f}" for f in fields)
        return fields


def ticket_number_in(text: str) -> str:
    """The ticket number ``text`` is (``2024011510000013``, also with the ticket hook
    before it: ``Ticket#2024...``), or ``""``."""
    text = text.strip()
    hook = settings.TICKET_HOOK
    if hook and text.lower().startswith(hook.lower()):
        text = text[len(hook) :].lstrip(": ")
    return text if _NUMBER.fullmatch(text) else ""


def _number_condition(value: str) -> Q:
    """Exact, or with ``*`` as a wildcard (``2024*``, ``*0013``, ``2024*13``)."""
    value = value.strip()
    if "*" not in value:
        return Q(number=ticket_number_in(value) or value)
    first, *middle, last = value.split("*")
    condition = Q()
    if first:
        condition &= Q(number__startswith=first)
    if last:
        condition &= Q(number__endswith=last)
    for part in middle:
        if part:
            condition &= Q(number__contains=part)
    return condition


def _quick_condition(text: str, using: str) -> Q:
    """The header's search box: the exact number, the title or the articles' text."""
    condition = Q(title__icontains=text.strip()) | get_backend().ticket_condition(text, using=using)
    number = ticket_number_in(text)
    if number:
        condition |= Q(number=number)
    return condition


def _state_type_condition(state_type: str) -> Q:
    # As in OTRS: "open" means the viewable state types, "closed" everything else.
    if state_type == STATE_TYPE_OPEN:
        return Q(state__state_type__in=VIEWABLE_STATE_TYPES)
    if state_type == STATE_TYPE_CLOSED:
        return ~Q(state__state_type__in=VIEWABLE_STATE_TYPES)
    return Q()


def _conditions(criteria: Criteria, using: str) -> Iterator[Q]:
    c = criteria
    if c.q.strip():
        yield _quick_condition(c.q, using)
    if c.number.strip():
        yield _number_condition(c.number)
    if c.title.strip():
        yield Q(title__icontains=c.title.strip())
    if c.fulltext.strip():
        yield get_backend().ticket_condition(c.fulltext, using=using)
    if c.customer.strip():
        text = c.customer.strip()
        yield Q(customer_user__icontains=text) | Q(customer_id__icontains=text)
    if c.queues:
        yield Q(queue__in=c.queues)
    if c.states:
        yield Q(state__in=c.states)
    if c.state_type:
        yield _state_type_condition(c.state_type)
    if c.priorities:
        yield Q(priority__in=c.priorities)
    if c.owner is not None:
        yield Q(owner=c.owner)
    for name, lookup in (
        ("created_from", "created_at__gte"),
        ("created_to", "created_at__lt"),
        ("changed_from", "changed_at__gte"),
        ("changed_to", "changed_at__lt"),
    ):
        value = getattr(c, name)
        if value is not None:
            yield Q(**{lookup: value})
    for definition, operator, value in c.fields:
        yield field_filter(definition, operator, value)


def search_tickets(user, criteria: Criteria) -> QuerySet[Ticket]:
    """The tickets ``user`` may read that match ``criteria``, in the chosen order."""
    tickets = access.visible_to(user, PermissionKey.RO)
    for condition in _conditions(criteria, tickets.db):
        tickets = tickets.filter(condition)
    return tickets.order_by(*criteria.ordering())


def search_page(user, criteria: Criteria, *, page: int = 1, per_page: int = 25) -> Page:
    """One page of :func:`search_tickets`, with queue, state, priority and owner (one
    ticket query whatever the page size, and a count capped at the policy setting
    ``search_count_cap`` where the page does not tell the total; see
    :mod:`otrs.web.pagination`)."""
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    tickets = search_tickets(user, criteria)
    rows = tickets.select_related("queue", "state", "priority", "owner")
    cap = policy.value("search_count_cap")
    return paginate(rows, number=page, per_page=per_page, total=tickets, cap=cap)


def exact_number_match(user, text: str) -> Ticket | None:
    """The ticket ``user`` may read whose number ``text`` is, if there is one."""
    number = ticket_number_in(text)
    if not number:
        return None
    return access.visible_to(user, PermissionKey.RO).filter(number=number).first()


# --- CSV export ----------------------------------------------------------------------------

# Characters that make a spreadsheet read a cell as a formula (or as a command, with
# the leading tab and carriage return of some attacks).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """``value``, with an apostrophe before it if a spreadsheet would run it."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def export_header(fields=()) -> list[str]:
    """The CSV header; ``fields``: the custom fields exported as further columns."""
    return [
        gettext("Ticket#"),
        gettext("Title"),
        gettext("State"),
        gettext("Priority"),
        gettext("Queue"),
        gettext("Owner"),
        gettext("Customer user"),
        gettext("Customer ID"),
        gettext("Created"),
        gettext("Changed"),
        *(d.display_label() for d in fields),
    ]


def export_tickets(user, criteria: Criteria) -> Iterator[Ticket]:
    """The first :data:`EXPORT_MAX_ROWS` results, read in chunks."""
    tickets = search_tickets(user, criteria).select_related("queue", "state", "priority", "owner")
    return tickets[:EXPORT_MAX_ROWS].iterator(chunk_size=500)


def export_row(ticket: Ticket, tz: tzinfo, field_cells: Iterable[str] = ()) -> list[str]:
    """One CSV row: translated state and priority names, times in ``tz``, the custom fields'
    raw values (``field_cells``), nothing a spreadsheet would take for a formula."""

    def when(value: datetime) -> str:
        return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M:%S")

    values = [
        ticket.number,
        ticket.title,
        gettext(ticket.state.name),
        gettext(ticket.priority.name),
        ticket.queue.full_name,
        ticket.owner.get_username(),
        ticket.customer_user,
        ticket.customer_id,
        when(ticket.created_at),
        when(ticket.changed_at),
        *field_cells,
    ]
    return [spreadsheet_safe(value) for value in values]


# --- Saved searches --------------------------------------------------------------------------


def saved_searches(user) -> list[SavedSearch]:
    return list(SavedSearch.objects.filter(owner=user).order_by("name", "id"))


def save_search(user, name: str, criteria: dict[str, Iterable[str]]) -> SavedSearch:
    """Save ``criteria`` (the search form's query parameters) as ``user``'s search
    ``name``; a search of that name is replaced."""
    criteria = {key: [str(v) for v in values] for key, values in criteria.items()}
    with transaction.atomic():
        saved, created = SavedSearch.objects.select_for_update().get_or_create(
            owner=user, name=name, defaults={"criteria": criteria}
        )
        if not created:
            saved.criteria = criteria
            saved.changed_at = timezone.now()
            saved.save(update_fields=["criteria", "changed_at"])
    return saved


def delete_saved_search(user, pk: int) -> None:
    """Delete ``user``'s saved search ``pk``; another agent's is as missing (``Http404``)."""
    deleted, _rows = SavedSearch.objects.filter(owner=user, pk=pk).delete()
    if not deleted:
        raise Http404("No such saved search.")


# --- What the ticket app indexes (otrs.search.registry) ---------------------------------------

#: The events that change a ticket's document: its text, title, number, customer, articles
#: (a merge moves them, a delete drops the ticket). A state, owner, queue or a queue's group
#: changes no document: the index holds no permissions (the access layer filters the ids).
INDEXED_EVENTS = frozenset(
    {
        TicketEvent.TICKET_CREATE,
        TicketEvent.TICKET_TITLE_UPDATE,
        TicketEvent.TICKET_CUSTOMER_UPDATE,
        TicketEvent.ARTICLE_CREATE,
        TicketEvent.TICKET_MERGE,
        TicketEvent.TICKET_UNMERGE,
        TicketEvent.TICKET_DELETE,
    }
)


class TicketIndex:
    """Tickets with every article's subject and body and their attachments' text."""

    kind = "ticket"
    text_fields = ("title",)

    def ids_after(self, after: int, limit: int) -> list[int]:
        rows = Ticket.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
        return list(rows[:limit])

    def count(self) -> int:
        return Ticket.objects.count()

    def documents(self, ids: list[int], *, attachments: bool = True) -> list[Document]:
        rows = Ticket.objects.filter(pk__in=ids).order_by("pk")
        docs = {
            pk: Document(id=pk, title=title, keywords=[k for k in (number, user, cid) if k])
            for pk, number, title, user, cid in rows.values_list(
                "pk", "number", "title", "customer_user", "customer_id"
            )
        }
        articles = Article.objects.filter(ticket_id__in=list(docs)).order_by("ticket_id", "pk")
        for ticket_id, subject, body in articles.values_list("ticket_id", "subject", "body"):
            docs[ticket_id].text.append(f"{subject}\n{body}" if subject else body)
        if attachments and docs:
            self._add_attachments(docs)
        return list(docs.values())

    def _add_attachments(self, docs: dict[int, Document]) -> None:
        files = (
            Attachment.objects.filter(article__ticket_id__in=list(docs))
            .exclude(content_type__startswith="image/")
            .select_related(None)
            .annotate(ticket_id=F("article__ticket_id"))
            .order_by("pk")
        )
        for attachment in files:
            doc = docs[attachment.ticket_id]
            if not extract.extractable(attachment.content_type, attachment.filename):
                reason = f"no text extraction for {attachment.content_type or 'unknown type'}"
                doc.skipped.append(Skipped(attachment.filename, attachment.size, reason))
                continue
            if attachment.size > settings.SEARCH_ATTACHMENT_MAX_BYTES:
                reason = (
                    "larger than SEARCH_ATTACHMENT_MAX_BYTES "
                    f"({settings.SEARCH_ATTACHMENT_MAX_BYTES} bytes)"
                )
                doc.skipped.append(Skipped(attachment.filename, attachment.size, reason))
                continue
            try:
                doc.attachments.append(
                    extract.extract(attachment.read(), attachment.content_type, attachment.filename)
                )
            except extract.NotExtracted as exc:
                if exc.text:
                    doc.attachments.append(exc.text)
                doc.skipped.append(Skipped(attachment.filename, attachment.size, exc.reason))
            except OSError as exc:  # the file is gone from the storage
                reason = f"cannot read the file: {exc}"
                doc.skipped.append(Skipped(attachment.filename, attachment.size, reason))

    def affected(self, event: Event) -> list[int]:
        if event.object_type == OBJECT_TYPE and event.name in INDEXED_EVENTS and event.object_id:
            return [event.object_id]
        return []


search_registry.register(TicketIndex())

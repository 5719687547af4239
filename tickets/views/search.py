"""Ticket search: the search page (a GET form, so results are links), the CSV export of
its results, and the agent's saved searches.

Everything goes through :mod:`tickets.search`, which starts from the access layer: a
search or an export never shows a ticket the agent could not open.
"""

from __future__ import annotations

import csv
from itertools import islice
from urllib.parse import urlencode

from django.contrib import messages
from django.http import QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from otrs.accounts.decorators import agent_required
from otrs.search.highlight import for_page
from otrs.web.pagination import page_number

from .. import columns
from .. import fields as ticket_fields
from .. import search as ticket_search
from ..forms.search import SaveSearchForm, SearchForm


def _criteria_query(params: QueryDict) -> str:
    """The search's parameters without the page number: what saving and exporting keep."""
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


def _saved_links(user) -> list[tuple[object, str]]:
    base = reverse("agent:search")
    return [
        (saved, f"{base}?{urlencode(saved.criteria, doseq=True)}")
        for saved in ticket_search.saved_searches(user)
    ]


def _highlighted(criteria, tickets) -> list:
    """The page's tickets with the passages where the searched words occur (marked)."""
    text = " ".join(t for t in (criteria.fulltext, criteria.q) if t.strip())
    return for_page(
        "ticket",
        text,
        tickets,
        url=lambda ticket: reverse("agent:zoom", args=[ticket.pk]),
        label=lambda ticket: f"{ticket.number} {ticket.title}",
    )


def _render(request, form, *, params: QueryDict, save_form=None, status=200):
    """The search page: the form, the saved searches and, for a valid search, a page of
    results."""
    results = None
    shown: list = []
    highlighted: list = []
    if form.is_bound and form.is_valid():
        results = ticket_search.search_page(
            request.user,
            form.criteria(),
            page=page_number(request.GET.get("page")),
            per_page=request.user.rows_per_page,
        )
        shown = columns.annotate(
            results.rows, columns.chosen(request.user, columns.SEARCH, among=form.search_fields)
        )
        highlighted = _highlighted(form.criteria(), results.rows)
    query = _criteria_query(params)
    context = {
        "form": form,
        "results": results,
        "query": query,
        "save_form": save_form or SaveSearchForm(initial={"query": query}),
        "saved_searches": _saved_links(request.user),
        "export_limit": ticket_search.EXPORT_MAX_ROWS,
        "columns": shown,
        "highlighted": highlighted,
    }
    if form.is_bound and not form.is_valid():
        status = 400
    return render(request, "tickets/search/search.html", context, status=status)


@agent_required
@require_GET
def search(request):
    form = SearchForm(request.GET or None, user=request.user)
    if form.is_bound and form.is_valid() and form.is_number_lookup():
        ticket = ticket_search.exact_number_match(request.user, form.cleaned_data["q"])
        if ticket is not None:
            return redirect("agent:zoom", ticket.pk)
    return _render(request, form, params=request.GET)


EXPORT_CHUNK = 500


def batched(iterable, size: int):
    """Lists of up to ``size`` items (itertools.batched arrives in Python 3.12)."""
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Echo:
    """A file-like object for csv.writer that hands each written line back."""

    def write(self, value: str) -> str:
        return value


@agent_required
@require_GET
def search_export(request):
    form = SearchForm(request.GET, user=request.user)
    if not form.is_valid():
        return _render(request, form, params=request.GET)
    tickets = ticket_search.export_tickets(request.user, form.criteria())
    # The response is written after this view (and the middleware that set the agent's
    # zone and language) returned: take both along.
    zone, language = timezone.get_current_timezone(), translation.get_language()
    writer = csv.writer(_Echo())
    export_fields = ticket_fields.screen_fields(ticket_fields.TicketScreen.SEARCH_LIST)

    def lines():
        with translation.override(language):
            yield writer.writerow(ticket_search.export_header(export_fields))
            # Custom field values are read per chunk of tickets: one query per chunk.
            for chunk in batched(tickets, EXPORT_CHUNK):
                cells = ticket_fields.export_cells(list(chunk), export_fields)
                for ticket in chunk:
                    yield writer.writerow(ticket_search.export_row(ticket, zone, cells[ticket.pk]))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tickets.csv"'
    return response


@agent_required
@require_POST
def saved_search_save(request):
    save_form = SaveSearchForm(request.POST)
    params = QueryDict(request.POST.get("query", "")[:10_000])
    form = SearchForm(params, user=request.user)
    if not (save_form.is_valid() and form.is_valid()):
        return _render(request, form, params=params, save_form=save_form, status=400)
    saved = ticket_search.save_search(
        request.user, save_form.cleaned_data["name"], form.saved_criteria()
    )
    messages.success(request, _("The search “%(name)s” was saved.") % {"name": saved.name})
    return redirect(f"{reverse('agent:search')}?{urlencode(saved.criteria, doseq=True)}")


@agent_required
@require_POST
def saved_search_delete(request, pk: int):
    ticket_search.delete_saved_search(request.user, pk)
    messages.success(request, _("The saved search was deleted."))
    return redirect("agent:search")


urlpatterns = [
    path("search/", search, name="search"),
    path("search/export.csv", search_export, name="search_export"),
    path("search/saved/", saved_search_save, name="saved_search_save"),
    path("search/saved/<int:pk>/delete/", saved_search_delete, name="saved_search_delete"),
]

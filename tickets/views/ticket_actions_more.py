"""Ticket action screens, second half: link and unlink, merge (with a preview) and unmerge,
change customer, and the email composer (reply, reply to all, forward).

Every screen fetches its ticket through :func:`tickets.access.access_ticket` with the key it
needs (all of these need ``rw``; the other ticket of a link only ``ro``), so a refused agent
sees the same 404 as for a missing ticket. GET shows the form; POST goes through
:func:`_submit`: a valid form, no edit conflict (409), one action (a refusal re-renders with
status 400), then a message and the zoom.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from otrs.accounts.decorators import agent_required
from otrs.accounts.models import User
from otrs.errors import DomainError
from otrs.permissions import PermissionKey
from otrs.web.params import text_param

from .. import access, actions
from ..actions.email import sender_of
from ..choices import HistoryType, LinkType, LockState, StateType
from ..forms.ticket_actions_more import (
    FORWARD,
    REPLY,
    REPLY_ALL,
    ComposeForm,
    CustomerForm,
    LinkForm,
    MergeForm,
    UnlinkForm,
    UnmergeForm,
    composer_templates,
    customer_label,
    search_customer_users,
)
from ..models import Article, MergeRecord, State, Ticket, TicketLink, TicketWatcher

TEMPLATES = "tickets/actions_more/"
RW = PermissionKey.RW


def _data(request):
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _page(request, template, ticket, form, *, status=200, changes=(), **context):
    context = {"ticket": ticket, "form": form, "changes": changes, **context}
    return render(request, TEMPLATES + template, context, status=status)


def _submit(request, ticket, form, template, act, *, refused_status=400, **context):
    """The shared POST flow: a valid form, no edit conflict, one action; else the form again.
    ``act(cleaned_data)`` calls the action and returns the success message; a DomainError it
    raises shows on the form with ``refused_status``."""
    if not form.is_valid():
        return _page(request, template, ticket, form, status=400, **context)
    changes = form.conflicts(request.user)
    if changes:
        return _page(request, template, ticket, form, status=409, changes=changes, **context)
    try:
        message = act(form.cleaned_data)
    except DomainError as error:
        form.add_error(None, error.message)
        return _page(request, template, ticket, form, status=refused_status, **context)
    messages.success(request, message)
    return redirect("agent:zoom", pk=ticket.pk)


# --- link and unlink ---------------------------------------------------------------------------


@agent_required
def link(request, pk):
    ticket = access.access_ticket(request.user, pk, need=RW)
    form = LinkForm(*_data(request), ticket=ticket, user=request.user)
    if request.method != "POST":
        return _page(request, "link.html", ticket, form)

    def act(data):
        actions.link_tickets(
            data["source"], data["target"], data["type"], actor=request.user, acting_on=ticket
        )
        return _("Linked with ticket %(number)s.") % {"number": data["number"].number}

    return _submit(request, ticket, form, "link.html", act)


@agent_required
@require_POST
def unlink(request, pk):
    """POST only (a button on the zoom, which sends ``other`` and ``seen``); the page is shown
    only when the form has to come back (a conflict or an error)."""
    ticket = access.access_ticket(request.user, pk, need=RW)
    form = UnlinkForm(*_data(request), ticket=ticket, user=request.user)

    def act(data):
        actions.unlink_tickets(ticket, data["other"], actor=request.user)
        return _("Link with ticket %(number)s removed.") % {"number": data["other"].number}

    return _submit(request, ticket, form, "unlink.html", act)


# --- merge and unmerge -------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkFate:
    other: Ticket | None  # None: a ticket the agent may not read
    link_type: str
    dropped: bool  # a duplicate of a target link, or a link to the target itself

    @property
    def label(self) -> str:
        return LinkType(self.link_type).label


@dataclass(frozen=True)
class MergePreview:
    target: Ticket
    articles: int
    watchers: list[tuple[User, bool]]  # (watcher, already watches the target)
    links: list[LinkFate]
    merged_state: State | None


def merge_preview(ticket: Ticket, target: Ticket, user) -> MergePreview:
    """What merging ``ticket`` into ``target`` moves (a fixed number of queries)."""
    watchers = TicketWatcher.objects.filter(ticket=ticket).select_related("user")
    already = set(TicketWatcher.objects.filter(ticket=target).values_list("user_id", flat=True))
    return MergePreview(
        target=target,
        articles=Article.objects.filter(ticket=ticket).count(),
        watchers=[(w.user, w.user_id in already) for w in watchers.order_by("user__username")],
        links=_link_fates(ticket, target, user),
        merged_state=State.objects.valid()
        .filter(state_type=StateType.MERGED)
        .order_by("pk")
        .first(),
    )


def _link_fates(ticket: Ticket, target: Ticket, user) -> list[LinkFate]:
    links = list(TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).order_by("pk"))
    others = {lk.target_id if lk.source_id == ticket.pk else lk.source_id for lk in links}
    readable = access.visible_to(user).filter(pk__in=others).only("pk", "number", "title")
    shown = {t.pk: t for t in readable}
    with_target = TicketLink.objects.filter(
        Q(source=target, target__in=others) | Q(target=target, source__in=others)
    ).values_list("source_id", "target_id")
    duplicate = {pk for pair in with_target for pk in pair} | {target.pk}
    fates = []
    for lk in links:
        other = lk.target_id if lk.source_id == ticket.pk else lk.source_id
        fates.append(LinkFate(shown.get(other), lk.link_type, other in duplicate))
    return fates


def _merge(ticket: Ticket, target: Ticket, actor) -> None:
    """OTRS RequiredLock: the merge screen locks an unlocked ticket to the agent first; the
    lock and the merge commit together or not at all."""
    with transaction.atomic():
        if ticket.lock == LockState.UNLOCK:
            actions.lock_ticket(ticket, actor=actor)
        actions.merge_tickets(ticket, target, actor=actor)


@agent_required
def merge(request, pk):
    """Step one asks for the number; a valid number shows the preview (same URL, the form
    now carrying ``confirm``); the confirming POST merges."""
    ticket = access.access_ticket(request.user, pk, need=RW)
    form = MergeForm(*_data(request), ticket=ticket, user=request.user)
    if request.method != "POST":
        return _page(request, "merge.html", ticket, form)
    if not form.is_valid():
        return _page(request, "merge.html", ticket, form, status=400)
    target = form.cleaned_data["number"]
    # Read only when shown: a successful merge redirects without it.
    preview = SimpleLazyObject(lambda: merge_preview(ticket, target, request.user))
    if not form.cleaned_data["confirm"]:
        return _page(request, "merge.html", ticket, form, preview=preview)

    def act(data):
        _merge(ticket, target, request.user)
        return _("Ticket %(source)s merged into ticket %(target)s.") % {
            "source": ticket.number,
            "target": target.number,
        }

    return _submit(request, ticket, form, "merge.html", act, preview=preview)


@dataclass(frozen=True)
class UnmergePreview:
    record: MergeRecord
    target_readable: bool
    articles: int
    watchers: list[User]
    links: int
    previous_pending_until: datetime | None


def unmerge_preview(ticket: Ticket, user) -> UnmergePreview | None:
    """What taking ``ticket`` out of its merge brings back; None if it is not merged."""
    record = (
        MergeRecord.objects.filter(source=ticket, unmerged_at__isnull=True)
        .select_related("target__state", "previous_state")
        .order_by("-merged_at", "-id")
        .first()
    )
    if record is None or ticket.merged_into_id is None:
        return None
    return UnmergePreview(
        record=record,
        target_readable=access.can(user, record.target, PermissionKey.RO),
        articles=Article.objects.filter(pk__in=record.article_ids).exclude(ticket=ticket).count(),
        watchers=list(User.objects.filter(pk__in=record.watcher_user_ids).order_by("username")),
        links=len(record.links_before),
        previous_pending_until=record.previous_pending_until,
    )


@agent_required
def unmerge(request, pk):
    ticket = access.access_ticket(request.user, pk, need=RW)
    form = UnmergeForm(*_data(request), ticket=ticket)
    preview = unmerge_preview(ticket, request.user)
    if request.method != "POST":
        return _page(request, "unmerge.html", ticket, form, preview=preview)

    def act(data):
        actions.unmerge_ticket(ticket, actor=request.user)
        return _("Ticket %(number)s taken out of the merge.") % {"number": ticket.number}

    return _submit(request, ticket, form, "unmerge.html", act, preview=preview)


# --- customer ----------------------------------------------------------------------------------


@agent_required
def customer(request, pk):
    """Change the customer. Without JavaScript, ``?q=`` lists matching customer users whose
    links fill the form (``?customer_user=&customer_id=``); with it, the field autocompletes."""
    ticket = access.access_ticket(request.user, pk, need=RW)
    picked = {k: request.GET[k] for k in ("customer_user", "customer_id") if k in request.GET}
    form = CustomerForm(*_data(request), ticket=ticket, initial=picked)
    query = text_param(request.GET, "q")
    matches = [
        (found, customer_label(found), _pick_url(ticket, found))
        for found in search_customer_users(query)
    ]
    context = {"query": query, "matches": matches}
    if request.method != "POST":
        return _page(request, "customer.html", ticket, form, **context)

    def act(data):
        actions.set_customer(
            ticket,
            customer_id=data["customer_id"],
            customer_user=data["customer_user"],
            actor=request.user,
        )
        return _("Customer changed.")

    return _submit(request, ticket, form, "customer.html", act, **context)


def _pick_url(ticket: Ticket, found) -> str:
    # Always with a customer id, empty for a customer user without a company: else the
    # field would keep the ticket's old id, which may be another company's.
    company_id = found.company.customer_id if found.company_id else ""
    chosen = {"customer_user": found.login, "customer_id": company_id}
    return f"{reverse('agent:customer', args=[ticket.pk])}?{urlencode(chosen)}"


# What a JSON answer must not carry as is, so that no browser can read it as HTML.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@agent_required
@require_GET
def customer_autocomplete(request):
    """``{"results": [{"value": login, "label": "Name <email> (company)"}]}``, at most 20."""
    results = [
        {"value": found.login, "label": customer_label(found)}
        for found in search_customer_users(text_param(request.GET, "q"))
    ]
    body = json.dumps({"results": results}).translate(_JSON_ESCAPES)
    return HttpResponse(body, content_type="application/json")


# --- the email composer ------------------------------------------------------------------------


def _chosen_template(request, templates):
    """The template picked with ``?template=<id>`` (the chooser is a GET form, so it works
    without JavaScript); anything else is no template."""
    raw = request.GET.get("template", "")
    if not raw.isdigit():
        return None
    return templates.filter(pk=int(raw)).first()


def _send(ticket: Ticket, form: ComposeForm, actor, kind: str) -> None:
    """OTRS RequiredLock: an unlocked ticket is locked to the agent first, and one locked by
    somebody else is refused (the lock action says by whom). The lock, the mail and the new
    state commit together or not at all; the mail leaves after the commit."""
    history_type = HistoryType.FORWARD if kind == FORWARD else HistoryType.SEND_ANSWER
    state, pending_until = form.state_after()
    with transaction.atomic():
        actions.lock_ticket(ticket, actor=actor)
        actions.send_email(ticket, form.article_input(), actor=actor, history_type=history_type)
        if state is not None:
            actions.set_state(ticket, state, actor=actor, pending_until=pending_until)


def _compose(request, pk, article_pk, kind):
    """Reply, reply to all and forward: the form prefilled from the article (and a template
    of the queue, if one is picked), sent through the outgoing queue."""
    ticket = access.access_ticket(request.user, pk, need=RW)
    article = Article.objects.filter(pk=article_pk, ticket=ticket).select_related("created_by")
    article = article.first()
    if article is None:
        raise Http404("No such article.")
    templates = composer_templates(ticket, kind).order_by("name")
    template = _chosen_template(request, templates)
    form = ComposeForm(
        *_data(request),
        ticket=ticket,
        kind=kind,
        article=article,
        user=request.user,
        template=template,
    )
    context = {
        "article": article,
        "kind": kind,
        "sender": sender_of(ticket.queue),
        "templates": templates,
        "chosen_template": template,
        "locked_by_other": ticket.lock != LockState.UNLOCK and ticket.owner_id != request.user.pk,
    }
    if request.method != "POST":
        return _page(request, "compose.html", ticket, form, **context)

    def act(data):
        _send(ticket, form, request.user, kind)
        return _("The email is queued for sending.")

    return _submit(request, ticket, form, "compose.html", act, **context)


@agent_required
def reply(request, pk, article_pk):
    return _compose(request, pk, article_pk, REPLY)


@agent_required
def reply_all(request, pk, article_pk):
    return _compose(request, pk, article_pk, REPLY_ALL)


@agent_required
def forward(request, pk, article_pk):
    return _compose(request, pk, article_pk, FORWARD)


urlpatterns = [
    path("tickets/<int:pk>/link/", link, name="link"),
    path("tickets/<int:pk>/unlink/", unlink, name="unlink"),
    path("tickets/<int:pk>/merge/", merge, name="merge"),
    path("tickets/<int:pk>/unmerge/", unmerge, name="unmerge"),
    path("tickets/<int:pk>/customer/", customer, name="customer"),
    path("customers/autocomplete/", customer_autocomplete, name="customer_autocomplete"),
    path("tickets/<int:pk>/articles/<int:article_pk>/reply/", reply, name="reply"),
    path("tickets/<int:pk>/articles/<int:article_pk>/reply-all/", reply_all, name="reply_all"),
    path("tickets/<int:pk>/articles/<int:article_pk>/forward/", forward, name="forward"),
]

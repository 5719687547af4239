"""Drafts of answers and notes, and text modules, in the composer.

Without JavaScript the composer's "Save draft" button posts the form to :func:`save` (its
``formaction``), which keeps subject, text and recipients and comes back to the composer;
with JavaScript the same endpoint is called every few seconds while the agent types
(``static/otrs/agent.js``, answered with JSON). Opening the composer again restores the
draft; sending the article or "Discard draft" drops it. The zoom lists the ticket's drafts.
Files chosen when "Save draft" is pressed are kept with the draft and listed, ticked, in the
composer (or the note screen) when it is restored: sent with the article unless unticked
(the autosave sends no files, only the ticks).

A text module is chosen in a select and added to the text by the form's "Insert" button
(:func:`text_module_step`, a submit of the composer form itself, so nothing typed is lost)
or when the article is sent; with JavaScript, typing ``::keyword`` inserts it in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError
from otrs.permissions import PermissionKey
from otrs.web.links import local_path

from .. import access, actions
from ..forms.common import AttachmentsField
from ..forms.composer import FIELD as MODULE_FIELD
from ..forms.composer import module_text, text_modules, with_module
from ..models import Article, Draft, DraftScreen, Ticket

#: The composer's submit button that inserts the chosen text module.
INSERT = "text_module_insert"
#: The composer's ticks of the draft's files, and the field saying it listed them.
KEPT_FIELD, KEPT_LISTED = "draft_attachments", "draft_attachments_listed"
_NEEDS = {DraftScreen.EMAIL: PermissionKey.RW, DraftScreen.NOTE: PermissionKey.NOTE}


def draft_of(user, ticket: Ticket, screen: str) -> Draft | None:
    return Draft.objects.filter(ticket=ticket, user=user, screen=screen).first()


def draft_initial(draft: Draft | None) -> dict[str, Any]:
    """A composer form's initial values from ``draft`` (nothing without one)."""
    if draft is None:
        return {}
    values: dict[str, Any] = {name: str(value) for name, value in (draft.fields or {}).items()}
    values["body"] = draft.body
    values[KEPT_FIELD] = [kept.pk for kept in draft.attachments.all()]
    if draft.subject:
        values["subject"] = draft.subject
    return values


def draft_context(request, ticket: Ticket, screen: str, draft: Draft | None) -> dict[str, Any]:
    """What the composer's draft and text-module tools show (``_composer_tools.html``)."""
    modules = text_modules(ticket)
    return {
        "draft_screen": screen,
        "draft": draft,
        "draft_save_url": reverse("agent:draft_save", args=[ticket.pk, screen]),
        "draft_discard_url": reverse("agent:draft_discard", args=[ticket.pk, screen]),
        "mention_url": reverse("agent:mentionable", args=[ticket.pk]),
        "text_modules_data": [
            {"keyword": m.keyword, "name": m.name, "text": module_text(m, ticket, request.user)}
            for m in modules
        ],
    }


def is_text_module_step(request) -> bool:
    return request.method == "POST" and INSERT in request.POST


def text_module_step(
    request,
    ticket: Ticket | None,
    build_form: Callable[[Any], Any],
    render_page: Callable[..., HttpResponse],
    modules=None,
) -> HttpResponse:
    """The composer again, with the chosen text module added to the text (nothing sent).
    ``ticket``: the ticket written to (its modules, its placeholders filled); none on the
    new-ticket screens, which offer ``modules``."""
    data = request.POST.copy()
    raw = data.get(MODULE_FIELD, "")
    offered = text_modules(ticket) if ticket is not None else modules
    module = offered.filter(pk=int(raw)).first() if raw.isdigit() else None
    if module is None:
        messages.error(request, _("Choose a text module to insert."))
    else:
        text = module_text(module, ticket, request.user)
        data["body"] = with_module(data.get("body", ""), text)
        data[MODULE_FIELD] = ""
        messages.success(request, _("Text module “%(name)s” inserted.") % {"name": module.name})
    form = build_form(data)
    form.errors.clear()  # not sent yet: no "required" errors for what is still empty
    return render_page(form)


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _back(request, ticket: Ticket) -> str:
    return local_path(
        request, request.POST.get("next", ""), reverse("agent:zoom", args=[ticket.pk])
    )


def _screen(ticket_pk: int, screen: str, request) -> tuple[Ticket, DraftScreen]:
    if screen not in DraftScreen.values:
        raise Http404("No such screen.")
    kind = DraftScreen(screen)
    return access.get_or_404(request.user, ticket_pk, _NEEDS[kind]), kind


def _kept_files(request) -> list[int] | None:
    """The draft's files the agent left ticked in the composer; None when the composer
    listed none (then the draft keeps all it has)."""
    if KEPT_LISTED not in request.POST:
        return None
    return [int(v) for v in request.POST.getlist(KEPT_FIELD) if v.isdigit() and len(v) < 19]


def _refused(request, ticket: Ticket, message: str):
    if _wants_json(request):
        return JsonResponse({"saved": False, "message": message}, status=400)
    messages.error(request, message)
    return redirect(_back(request, ticket))


@agent_required
@require_POST
def save(request, pk: int, screen: str):
    ticket, kind = _screen(pk, screen, request)
    raw_article = request.POST.get("draft_article", "")
    article = None
    if raw_article.isdigit():
        article = Article.objects.filter(pk=int(raw_article), ticket=ticket).first()
    # The email composer and the note screen both list a draft's files again.
    uploads = request.FILES.getlist("attachments")
    try:
        files = AttachmentsField().clean(uploads)
    except ValidationError as error:
        return _refused(request, ticket, " ".join(error.messages))
    try:
        draft = actions.save_draft(
            ticket,
            kind,
            actor=request.user,
            subject=request.POST.get("subject", ""),
            body=request.POST.get("body", ""),
            fields={name: request.POST.get(name, "") for name in ("to", "cc", "bcc")}
            | {"kind": kind_of(request.POST.get("draft_kind", ""))},
            article=article,
            attachments=files,
            keep=_kept_files(request),
        )
    except DomainError as error:
        return _refused(request, ticket, error.message)
    if _wants_json(request):
        return JsonResponse(
            {
                "saved": True,
                "updated_at": draft.updated_at.isoformat(),
                "message": _("Draft saved."),
            }
        )
    messages.success(request, _("Draft saved. It is here when you come back."))
    return redirect(_back(request, ticket))


@agent_required
@require_POST
def discard(request, pk: int, screen: str):
    ticket, kind = _screen(pk, screen, request)
    if actions.discard_draft(ticket, kind, actor=request.user):
        messages.success(request, _("Draft discarded."))
    return redirect(_back(request, ticket))


#: How many agents the @-mention autocomplete offers at most.
MENTION_CHOICES = 8


@agent_required
@require_safe
def mentionable(request, pk: int):
    """The agents a note on ticket ``pk`` may @-mention whose login or name starts with
    ``q`` (JSON for the composer's autocomplete; the note form checks again on sending)."""
    ticket = access.get_or_404(request.user, pk, PermissionKey.NOTE)
    term = request.GET.get("q", "").strip().lstrip("@")[:100]
    agents = access.agent_readers(ticket)
    if term:
        agents = agents.filter(
            Q(username__istartswith=term)
            | Q(first_name__istartswith=term)
            | Q(last_name__istartswith=term)
        )
    found = agents.order_by("username")[:MENTION_CHOICES]
    return JsonResponse(
        {
            "results": [
                {"login": a.get_username(), "name": a.get_full_name() or a.get_username()}
                for a in found
            ]
        }
    )


# The composer's kinds of email (tickets.forms.compose) and their screens' URL names.
_EMAIL_KINDS = {"reply": "reply", "reply_all": "reply_all", "forward": "forward"}


def kind_of(raw: str) -> str:
    return raw if raw in _EMAIL_KINDS else ""


def restores(draft: Draft | None, article: Article, kind: str) -> bool:
    """Whether the composer of ``kind`` on ``article`` takes up ``draft`` (an answer's
    draft belongs to the article and kind it was begun on)."""
    if draft is None:
        return False
    return draft.article_id == article.pk and (draft.fields or {}).get("kind", kind) == kind


def continue_url(draft: Draft) -> str:
    """Where the agent goes on with ``draft``: the note screen, or the reply to its
    article (the zoom, if that article is gone)."""
    if draft.screen == DraftScreen.NOTE:
        return reverse("agent:note", args=[draft.ticket_id])
    if draft.article_id:
        name = _EMAIL_KINDS.get((draft.fields or {}).get("kind", ""), "reply")
        return reverse(f"agent:{name}", args=[draft.ticket_id, draft.article_id])
    return reverse("agent:zoom", args=[draft.ticket_id])


urlpatterns = [
    path("tickets/<int:pk>/drafts/<slug:screen>/save/", save, name="draft_save"),
    path("tickets/<int:pk>/drafts/<slug:screen>/discard/", discard, name="draft_discard"),
    path("tickets/<int:pk>/mentionable/", mentionable, name="mentionable"),
]

"""The email composer: reply, reply to all and forward, from an article of the ticket."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError
from otrs.permissions import PermissionKey

from .. import access, actions
from .. import fields as ticket_fields
from .. import presence as presence_store
from ..actions.email import sender_of
from ..automation import acl
from ..choices import HistoryType, LockState
from ..forms.compose import FORWARD, REPLY, REPLY_ALL, ComposeForm, composer_templates
from ..models import Article, DraftScreen
from . import drafts
from .faq_insert import faq_step, is_faq_step
from .presence import presence_context
from .ticket_screen import acl_action, ticket_page, ticket_screen

TEMPLATES = "tickets/screens/"
RW = PermissionKey.RW


def _data(request):
    return (request.POST, request.FILES) if request.method == "POST" else ()


def _chosen_template(request, templates):
    """The template picked with ``?template=<id>`` (the chooser is a GET form, so it works
    without JavaScript); anything else is no template."""
    raw = request.GET.get("template", "")
    if not raw.isdigit():
        return None
    return templates.filter(pk=int(raw)).first()


def build_restored(build, values: dict[str, Any]):
    """The empty form with a draft's values over what the composer prefills."""
    form = build()
    form.initial = {**form.initial, **values}
    return form


def _compose(request, pk, article_pk, kind):
    """Reply, reply to all and forward: the form prefilled from the article (and a template
    of the queue, if one is picked), sent through the outgoing queue."""
    ticket = access.get_or_404(request.user, pk, RW)
    article = Article.objects.filter(pk=article_pk, ticket=ticket).select_related("created_by")
    article = article.first()
    if article is None:
        raise Http404("No such article.")
    if (
        settings.TICKET_LOCK_ON_REPLY
        and request.method == "GET"
        and ticket.lock == LockState.UNLOCK
    ):
        # OTRS's RequiredLock: opening the composer takes the ticket (see settings).
        try:
            actions.lock_ticket(ticket, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.info(request, _("The ticket is locked to you while you answer."))
    templates = composer_templates(ticket, kind).order_by("name")
    template = _chosen_template(request, templates)
    draft = drafts.draft_of(request.user, ticket, DraftScreen.EMAIL)
    # The draft of this very answer: its files are offered (ticked) to go with it.
    own_draft = draft if drafts.restores(draft, article, kind) else None

    def build(data=None):
        form = ComposeForm(
            *((data, request.FILES) if data is not None else _data(request)),
            ticket=ticket,
            kind=kind,
            article=article,
            user=request.user,
            template=template,
            draft=own_draft,
        )
        acl.restrict_form(form, user=request.user, screen="compose", tickets=[ticket])
        ticket_fields.add_article_form_fields(form, ticket_fields.TicketScreen.COMPOSE)
        return form

    restored = own_draft is not None and request.method == "GET"
    form = build_restored(build, drafts.draft_initial(draft)) if restored else build()
    context = {
        **drafts.draft_context(request, ticket, DraftScreen.EMAIL, draft),
        "draft_restored": restored,
        "draft_elsewhere": draft is not None and not drafts.restores(draft, article, kind),
        "draft_continue_url": drafts.continue_url(draft) if draft else "",
        "article": article,
        "kind": kind,
        "sender": sender_of(ticket.queue),
        "templates": templates,
        "chosen_template": template,
        "locked_by_other": ticket.lock != LockState.UNLOCK and ticket.owner_id != request.user.pk,
        # Others on the ticket see this agent writing (the form's version: its changes).
        **presence_context(request, ticket, presence_store.WRITING),
    }

    if is_faq_step(request):
        return faq_step(
            request,
            ticket,
            build,
            lambda form, **extra: ticket_page(
                request, TEMPLATES + "compose.html", ticket, form, **context, **extra
            ),
        )

    if drafts.is_text_module_step(request):
        return drafts.text_module_step(
            request,
            ticket,
            build,
            lambda form: ticket_page(request, TEMPLATES + "compose.html", ticket, form, **context),
        )

    def act(data):
        state, pending_until = form.state_after()
        with transaction.atomic():
            sent = actions.answer_ticket(
                ticket,
                form.article_input(),
                actor=request.user,
                history_type=HistoryType.FORWARD if kind == FORWARD else HistoryType.SEND_ANSWER,
                state=state,
                pending_until=pending_until,
                expected_version=form.expected_version(),
                article_field_values=ticket_fields.article_values_from(form, data),
            )
            actions.discard_draft(ticket, DraftScreen.EMAIL, actor=request.user)
        return sent

    return ticket_screen(
        request,
        ticket,
        form,
        TEMPLATES + "compose.html",
        act,
        done=lambda _article: _("The email is queued for sending."),
        **context,
    )


@agent_required
@acl_action("compose")
def reply(request, pk, article_pk):
    return _compose(request, pk, article_pk, REPLY)


@agent_required
@acl_action("compose")
def reply_all(request, pk, article_pk):
    return _compose(request, pk, article_pk, REPLY_ALL)


@agent_required
@acl_action("compose")
def forward(request, pk, article_pk):
    return _compose(request, pk, article_pk, FORWARD)


urlpatterns = [
    path("tickets/<int:pk>/articles/<int:article_pk>/reply/", reply, name="reply"),
    path("tickets/<int:pk>/articles/<int:article_pk>/reply-all/", reply_all, name="reply_all"),
    path("tickets/<int:pk>/articles/<int:article_pk>/forward/", forward, name="forward"),
]

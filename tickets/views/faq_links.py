"""A ticket's FAQ items: the linked ones (link by number, unlink), and "write an FAQ item
from this ticket", prefilled from the customer's first message and a chosen agent answer."""

from __future__ import annotations

from django.conf import settings
from django.urls import path, reverse
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from faq import access as faq_access
from faq.forms import ItemForm
from faq.models import FaqTicketLink
from otrs.accounts.decorators import agent_required
from otrs.action_flow import button_action, form_screen
from otrs.permissions import PermissionKey

from .. import access, actions
from ..choices import SenderType
from ..forms.links import FaqLinkForm
from .ticket_screen import acl_action, ticket_page

TEMPLATES = "tickets/screens/"
RW = PermissionKey.RW


def _linked(user, ticket):
    """The linked FAQ items the agent reads (others stay unnamed)."""
    ids = FaqTicketLink.objects.filter(ticket=ticket).values("item_id")
    return faq_access.visible_to(user).filter(pk__in=ids).order_by("number")


@agent_required
@acl_action("ticket_faq")
def ticket_faq(request, pk):
    ticket = access.get_or_404(request.user, pk, RW)
    form = FaqLinkForm(request.POST or None, user=request.user)
    return form_screen(
        request,
        form,
        lambda data: actions.link_faq_item(ticket, data["number"], actor=request.user),
        done=lambda link: (
            _("Linked with FAQ item %(number)s.") % {"number": link.item.number},
            reverse("agent:ticket_faq", args=[ticket.pk]),
        ),
        render=lambda form, status=200, error=None: ticket_page(
            request,
            TEMPLATES + "faq.html",
            ticket,
            form,
            status=status,
            linked=_linked(request.user, ticket),
        ),
    )


@agent_required
@require_POST
@acl_action("ticket_faq")
def ticket_faq_unlink(request, pk, item_pk):
    ticket = access.get_or_404(request.user, pk, RW)
    item = faq_access.get_or_404(request.user, item_pk)
    back = reverse("agent:ticket_faq", args=[ticket.pk])
    return button_action(
        request,
        lambda: actions.unlink_faq_item(ticket, item, actor=request.user),
        done=lambda _none: (
            _("Link with FAQ item %(number)s removed.") % {"number": item.number},
            back,
        ),
        back=back,
    )


def _prefill(ticket, answer_pk: str) -> tuple[dict, list, object]:
    """The new item's text: title from the ticket, symptom from the customer's first message,
    solution from the chosen agent answer (by default the latest one the customer saw)."""
    articles = list(ticket.articles.order_by("created_at", "pk"))
    first = next((a for a in articles if a.sender_type == SenderType.CUSTOMER), None)
    answers = [a for a in articles if a.sender_type == SenderType.AGENT]
    chosen = next((a for a in answers if str(a.pk) == answer_pk), None)
    if chosen is None:
        visible = [a for a in answers if a.is_visible_for_customer]
        chosen = (visible or answers or [None])[-1]
    initial = {
        "title": ticket.title,
        "symptom": linebreaks(first.shown_body, autoescape=True) if first else "",
        "solution": linebreaks(chosen.shown_body, autoescape=True) if chosen else "",
        "language": settings.LANGUAGE_CODE.split("-")[0],
    }
    return initial, answers, chosen


@agent_required
@acl_action("ticket_faq")
def ticket_faq_new(request, pk):
    ticket = access.get_or_404(request.user, pk, RW)
    initial, answers, chosen = _prefill(ticket, request.GET.get("answer", ""))
    form = ItemForm(request.POST or None, user=request.user, initial=initial)

    def act(data):
        return actions.create_faq_item_from_ticket(
            ticket,
            data["category"],
            form.content(),
            actor=request.user,
            language=data["language"],
            state=data["state"],
            note=data["note"],
            submit=form.submit(),
            field_values=form.field_values(),
        )

    return form_screen(
        request,
        form,
        act,
        done=lambda item: (
            _("FAQ item %(number)s was written from this ticket.") % {"number": item.number},
            reverse("agent:faq_item", args=[item.pk]),
        ),
        render=lambda form, status=200, error=None: ticket_page(
            request,
            TEMPLATES + "faq_new.html",
            ticket,
            form,
            status=status,
            answers=answers,
            chosen=chosen,
        ),
    )


urlpatterns = [
    path("tickets/<int:pk>/faq/", ticket_faq, name="ticket_faq"),
    path("tickets/<int:pk>/faq/new/", ticket_faq_new, name="ticket_faq_new"),
    path("tickets/<int:pk>/faq/<int:item_pk>/unlink/", ticket_faq_unlink, name="ticket_faq_unlink"),
]

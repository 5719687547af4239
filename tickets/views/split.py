"""Split: a new phone or email ticket prefilled from an article, linked as the child of its
ticket (OTRS AgentTicketSplit and its split selection). The article's menu in the zoom links
to the phone ticket's screen, which links to the email ticket's (and back);
:func:`tickets.actions.split_ticket` makes and links the ticket."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from .. import access, actions, mailtexts
from ..choices import SenderType
from ..fields import TicketScreen
from ..forms.create import EmailTicketForm, PhoneTicketForm
from ..models import Article
from .create import _new_ticket
from .ticket_screen import acl_action


def split_initial(ticket, article: Article) -> dict:
    """The new ticket as OTRS prefills it: the article's subject and text, the ticket's
    customer, queue, priority and type."""
    return {
        "customer": ticket.customer_user,
        "customer_id": ticket.customer_id,
        "queue": ticket.queue_id,
        "title": article.subject or ticket.title,
        "body": mailtexts.article_text(article),
        "priority": ticket.priority_id,
        "type": ticket.type_id,
    }


def split_email_initial(ticket, article: Article) -> dict:
    """As :func:`split_initial`, addressed to the customer: whoever wrote the article when
    it is the customer's, else whom it was written to."""
    if article.sender_type == SenderType.CUSTOMER:
        to = article.reply_to or article.from_address
    else:
        to = article.to_address
    initial = split_initial(ticket, article)
    del initial["customer"]
    return {**initial, "to": to or ticket.customer_user}


def _source(request, pk: int, article_pk: int):
    ticket = access.get_or_404(request.user, pk, PermissionKey.RW)
    article = Article.objects.filter(pk=article_pk, ticket=ticket).first()
    if article is None:
        raise Http404("No such article.")
    return ticket, article


@agent_required
@acl_action("split")
def split(request, pk: int, article_pk: int):
    ticket, article = _source(request, pk, article_pk)
    return _new_ticket(
        request,
        PhoneTicketForm,
        "tickets/create/split.html",
        _("Ticket %(number)s created from the article and linked as a child."),
        # The text is the article's (the customer's words): tags in it stay as written.
        lambda expand_tags, **kwargs: actions.split_ticket(ticket, article, **kwargs),
        TicketScreen.PHONE_TICKET,
        initial=split_initial(ticket, article),
        split_from=ticket,
        split_article=article,
    )


@agent_required
@acl_action("split")
def split_email(request, pk: int, article_pk: int):
    ticket, article = _source(request, pk, article_pk)
    return _new_ticket(
        request,
        EmailTicketForm,
        "tickets/create/split_email.html",
        _(
            "Ticket %(number)s created from the article and linked as a child; "
            "the email is queued for sending."
        ),
        # As the phone split: the article's words are sent as written, tags and all.
        lambda expand_tags, **kwargs: actions.split_ticket(
            ticket, article, as_email=True, **kwargs
        ),
        TicketScreen.EMAIL_TICKET,
        initial=split_email_initial(ticket, article),
        split_from=ticket,
        split_article=article,
    )


urlpatterns = [
    path("tickets/<int:pk>/articles/<int:article_pk>/split/", split, name="split"),
    path(
        "tickets/<int:pk>/articles/<int:article_pk>/split/email/",
        split_email,
        name="split_email",
    ),
]

"""The recipient "the ticket's customer" of a ticket notification (OTRS ``Customer``): who
that is, the tags only a customer's mail needs, and how their mail goes out.

**Who.** The ticket's customer login names a customer user who is valid, active and has an
address; else the login is itself an email address (an unknown mail sender, as the
postmaster records them). An invalid customer user gets nothing; addresses that never get
automatic mail (``MAILER-DAEMON@``, our own system addresses) neither. The customer who made
the change is not told of it. The mail is in the customer's language (their login's, else
``LANGUAGE_CODE``).

**How.** As OTRS does: an Email article of the system, visible to the customer, sent with
:func:`tickets.actions.email.send_email` (kind ``customer_notification``, history
SendCustomerNotification, the loop headers of automatic mail) from the queue's system
address, so it sits in the persistent outgoing queue and on the ticket like any mail. At most
``POSTMASTER_MAX_AUTO_MAILS`` automatic mails go to one address a day
(:func:`otrs.mail.loop.claim_auto`, shared with the auto responses); a refused one leaves a
LoopProtection history row. Agents who had read the ticket keep it marked as read: the
notification repeats what they saw.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from customers.models import CustomerUser
from otrs.accounts.models import User, UserKind, system_user
from otrs.errors import DomainError
from otrs.mail import loop
from otrs.mail.models import OutboundKind
from otrs.mail.outbound import LOOP_HEADERS, format_address
from otrs.web.links import absolute_url

from .actions import ArticleInput, mark_seen, record_history, send_email
from .choices import Channel, HistoryType, SenderType, TicketFlagKey
from .mailtexts import article_text
from .models import Article, NotificationSkip, Ticket, TicketFlag

logger = logging.getLogger(__name__)

# Tags only a customer's mail needs (lower case, as mailtexts.render looks them up).
GREETING = "notification_greeting"
CUSTOMER_ARTICLE = "notification_customerarticle"
PORTAL_LINK = "notification_portallink"
PORTAL_ANSWER_LINK = "notification_portalanswerlink"


@dataclass(frozen=True)
class CustomerRecipient:
    address: str
    name: str
    language: str
    # A customer user (only they can sign in to the portal, so only their mail links to it).
    has_login: bool
    login: str


def customer_recipient(ticket: Ticket) -> CustomerRecipient | None:
    """Who the customer notifications of ``ticket`` go to (see the module docstring); None
    if nobody."""
    login = (ticket.customer_user or "").strip()
    if not login:
        return None
    profile = CustomerUser.objects.for_login(login)
    if profile is not None:
        user = profile.user
        if not (profile.is_valid and user.is_active and profile.email):
            return None
        address = profile.email.strip()
        if not _may_mail(address):
            return None
        return CustomerRecipient(
            address=address,
            name=user.get_full_name(),
            language=user.language or settings.LANGUAGE_CODE,
            has_login=True,
            login=user.get_username(),
        )
    if not _may_mail(login):
        return None
    return CustomerRecipient(
        address=login, name="", language=settings.LANGUAGE_CODE, has_login=False, login=login
    )


def _may_mail(address: str) -> bool:
    return loop.is_valid_address(address) and not loop.is_auto_suppressed_address(address)


def skip_for(customer: CustomerRecipient | None, actor: User | None) -> str:
    """Why the ticket's customer does not get the notification ("" if they do)."""
    if customer is None:
        return NotificationSkip.NO_CUSTOMER
    if (
        actor is not None
        and actor.kind == UserKind.CUSTOMER
        and actor.get_username().lower() == customer.login.lower()
    ):
        return NotificationSkip.ACTOR
    return ""


def tags(
    text: str,
    ticket: Ticket,
    article: Callable[[], Article | None],
    customer: CustomerRecipient | None,
    recipient: User | None,
) -> dict[str, str]:
    """The customer tags ``text`` uses, expanded in the active language:
    ``<OTRS_NOTIFICATION_Greeting>`` ("Hello Name," or "Hello,"),
    ``<OTRS_NOTIFICATION_CustomerArticle>`` (a blank line and the article's author, subject,
    text and a word on its attachments; nothing without an article), and
    ``<OTRS_NOTIFICATION_PortalLink>`` / ``<OTRS_NOTIFICATION_PortalAnswerLink>`` (a blank
    line, "See the ticket [and answer it] in the customer portal:" and the link; nothing for
    a recipient who cannot sign in to the portal)."""
    used = text.lower()
    found: dict[str, str] = {}
    if GREETING in used:
        if customer is not None:
            name = customer.name
        else:
            name = recipient.get_full_name() if recipient is not None else ""
        found[GREETING] = _("Hello %(name)s,") % {"name": name} if name else _("Hello,")
    if CUSTOMER_ARTICLE in used:
        found[CUSTOMER_ARTICLE] = _article_block(article())
    for tag, sentence in (
        (PORTAL_LINK, _("See the ticket in the customer portal:")),
        (PORTAL_ANSWER_LINK, _("See the ticket and answer it in the customer portal:")),
    ):
        if tag in used:
            url = absolute_url("customer:ticket", ticket.pk)
            has_login = customer is not None and customer.has_login
            found[tag] = f"\n{sentence}\n{url}\n" if has_login else ""
    return found


def _article_block(article: Article | None) -> str:
    if article is None:
        return ""
    return render_to_string(
        "tickets/notifications/customer_article.txt",
        {
            "article": article,
            # The agent's name as customers may see it; never a login (the portal shows none).
            "author": article.created_by.get_full_name(),
            "text": article_text(article).strip("\n"),
            "attachments": article.attachments.count(),
        },
    )


def deliver(
    ticket: Ticket,
    customer: CustomerRecipient,
    subject: str,
    body: str,
    *,
    key: str | None,
) -> str:
    """Queue the mail as an Email article of the system; "" if it went, else why not (the
    address had its automatic mails for today). Runs inside the sender's transaction."""
    actor = system_user()
    if not loop.claim_auto(customer.address):
        logger.warning(
            "Ticket %s: no customer notification to %s, its limit of %d a day is reached",
            ticket.number,
            customer.address,
            settings.POSTMASTER_MAX_AUTO_MAILS,
        )
        record_history(ticket, HistoryType.LOOP_PROTECTION, actor, new=customer.address.lower())
        return NotificationSkip.DAILY_LIMIT
    seen = TicketFlag.objects.filter(ticket=ticket, key=TicketFlagKey.SEEN)
    readers = list(User.objects.filter(pk__in=seen.values("user_id"), kind=UserKind.AGENT))
    send_email(
        ticket,
        ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.SYSTEM,
            is_visible_for_customer=True,
            to_address=format_address(customer.address, customer.name),
            subject=subject,
            body=body,
        ),
        actor=actor,
        history_type=HistoryType.SEND_CUSTOMER_NOTIFICATION,
        kind=OutboundKind.CUSTOMER_NOTIFICATION,
        extra_headers=dict(LOOP_HEADERS),
        idempotency_key=key,
    )
    # Who had read the ticket has read the notification too: it only repeats news.
    for reader in readers:
        # One who may no longer read the ticket loses the flag, as they should.
        with suppress(DomainError):
            mark_seen(ticket, user=reader)
    return ""

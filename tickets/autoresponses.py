"""Auto responses: the automatic mail a customer gets when their mail opened a ticket, was
added to one, or was rejected (spec sections 3.8 and 4).

:func:`send_auto_response` is called inside the caller's transaction, after the customer's
article was stored, by web and phone ticket creation. The postmaster records the event
``ArticleAutoResponseDue`` instead (:func:`request_auto_response`), and the event handler
:func:`handle` sends the response after the intake committed, in the event worker, so mail
intake does not wait for it. The answer is an Email article of the system (visible to the
customer) that :func:`tickets.actions.email.send_email` stores and puts into the outgoing
queue, so a rolled-back intake sends nothing.

Nothing is sent when (spec 3.8):

- no valid response of the type is linked to the ticket's queue;
- the type is "auto reply" and the ticket is closed or removed;
- the mail was a loop (``X-OTRS-Loop``: auto-generated, a list, a bounce ...);
- neither the response nor the queue has a valid system address to send from (logged).

Each address of the customer's Reply-To (else From) is left out when it is invalid, matches
``SendNoAutoResponseRegExp`` (``MAILER-DAEMON@`` ...), is one of our system addresses, or has
had its automatic mails for today (history LoopProtection). The limit is checked last, so an
address left out for another reason does not use up its allowance; every address mailed is
counted, the Cc as well. When no address is left, nothing is sent.
"""

from __future__ import annotations

import logging
from email.utils import getaddresses

from django.conf import settings

from customers.models import CustomerUser
from otrs import events as otrs_events
from otrs.mail import loop
from otrs.mail.models import OutboundKind, OutboundMessage
from otrs.mail.outbound import LOOP_HEADERS, format_address

from . import events, mailtexts, masterdata
from .actions import ArticleInput, record_history
from .actions.email import send_email
from .choices import AutoResponseType, Channel, HistoryType, SenderType, StateType
from .events import TicketEvent
from .models import Article, SystemAddress, Ticket

logger = logging.getLogger(__name__)

HISTORY_TYPES = {
    AutoResponseType.AUTO_REPLY: HistoryType.SEND_AUTO_REPLY,
    AutoResponseType.AUTO_REPLY_NEW_TICKET: HistoryType.SEND_AUTO_REPLY,
    AutoResponseType.AUTO_FOLLOW_UP: HistoryType.SEND_AUTO_FOLLOW_UP,
    AutoResponseType.AUTO_REJECT: HistoryType.SEND_AUTO_REJECT,
}
# An "auto reply" is not sent for tickets in these state types.
_NO_AUTO_REPLY = (StateType.CLOSED, StateType.REMOVED)


HANDLER = "tickets.auto_responses"
EVENTS = (TicketEvent.ARTICLE_AUTO_RESPONSE_DUE,)


def request_auto_response(
    *, ticket: Ticket, article: Article, response_type: str, loop: bool
) -> bool:
    """The postmaster's way: record that ``article`` is due the queue's auto response of
    ``response_type``; :func:`handle` sends it after the commit, in the event worker, so the
    intake does not wait for it. False (nothing recorded) for a loop, or when the queue has
    no valid response of the type; every other rule is checked when it is sent."""
    if loop:
        logger.info("Ticket %s: no %s, the mail is a loop", ticket.number, response_type)
        return False
    if masterdata.auto_response(ticket.queue_id, response_type) is None:
        return False
    events.record(
        TicketEvent.ARTICLE_AUTO_RESPONSE_DUE,
        ticket_id=ticket.pk,
        actor_id=masterdata.system_user().pk,
        article_id=article.pk,
        data={"response_type": str(response_type)},
    )
    return True


def handle(batch: otrs_events.Batch) -> None:
    """The event handler: send each auto response that is due. A redelivered batch sends
    nothing twice (each mail is queued under the delivery key and the event)."""
    for event in batch.events:
        if event.name != TicketEvent.ARTICLE_AUTO_RESPONSE_DUE:
            continue
        article = (
            Article.objects.select_related("ticket")
            .filter(pk=int(event.payload["article_id"]))
            .first()
        )
        if article is None:
            continue  # gone since (the ticket was deleted)
        send_auto_response(
            ticket=article.ticket,
            article=article,
            response_type=event.payload["response_type"],
            loop=False,
            idempotency_key=f"{batch.key}:{event.id}",
        )


def send_auto_response(
    *,
    ticket: Ticket,
    article: Article,
    response_type: str,
    loop: bool,
    idempotency_key: str | None = None,
) -> Article | None:
    """Send the queue's auto response of ``response_type`` to the author of ``article``;
    the new article, or None when the rules above suppress it (or, with
    ``idempotency_key``, when the mail of that key was queued already)."""
    number = ticket.number
    if loop:
        logger.info("Ticket %s: no %s, the mail is a loop", number, response_type)
        return None
    if (
        idempotency_key is not None
        and OutboundMessage.objects.filter(idempotency_key=idempotency_key).exists()
    ):
        return None
    # The queue's responses come from the master data cache (no query when there is none).
    response = masterdata.auto_response(ticket.queue_id, response_type)
    if response is None:
        return None
    ticket = Ticket.objects.select_related(
        "queue__system_address", "queue__group", "state", "owner", "responsible"
    ).get(pk=ticket.pk)
    if response_type == AutoResponseType.AUTO_REPLY and ticket.state.state_type in _NO_AUTO_REPLY:
        logger.info("Ticket %s: no auto reply, the ticket is %s", number, ticket.state.state_type)
        return None
    sender = _sender_address(response.system_address, ticket.queue.system_address)
    if sender is None:
        logger.warning(
            "Ticket %s: no %s sent, neither the response %r nor queue %r has a valid "
            "system address",
            number,
            response_type,
            response.name,
            ticket.queue.full_name,
        )
        return None

    actor = masterdata.system_user()
    original = getaddresses([article.reply_to or article.from_address or ""])
    to = _allowed(original, ticket, actor)
    cc = _allowed(_customer_cc(ticket, article, original, to), ticket, actor)
    if not to:
        to, cc = cc, []
    if not to:
        logger.info("Ticket %s: no %s, no address left to send it to", number, response_type)
        return None

    body = mailtexts.render(response.text, ticket=ticket, article=article)
    subject = mailtexts.render(response.subject, ticket=ticket, article=article)
    references = " ".join(part for part in (article.references, article.message_id) if part)
    sent = send_email(
        ticket,
        ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.SYSTEM,
            is_visible_for_customer=True,
            from_address=format_address(sender.email, sender.display_name),
            to_address=", ".join(format_address(addr, name) for name, addr in to),
            cc_address=", ".join(format_address(addr, name) for name, addr in cc),
            subject=_new_subject(subject, ticket.number),
            body=body,
            in_reply_to=article.message_id,
            references=references,
        ),
        actor=actor,
        history_type=HISTORY_TYPES[AutoResponseType(response_type)],
        kind=OutboundKind.AUTO_RESPONSE,
        extra_headers=dict(LOOP_HEADERS),
        idempotency_key=idempotency_key,
    )
    events.record(
        TicketEvent.ARTICLE_AUTO_RESPONSE,
        ticket_id=ticket.pk,
        actor_id=actor.pk,
        article_id=sent.pk,
        data={"response_type": response_type, "auto_response_id": response.pk},
    )
    return sent


def _sender_address(*candidates: SystemAddress | None) -> SystemAddress | None:
    """The response's own system address, else the queue's; invalid ones do not count."""
    for candidate in candidates:
        if candidate is not None and candidate.is_valid:
            return candidate
    return None


def _allowed(pairs: list[tuple[str, str]], ticket: Ticket, actor) -> list[tuple[str, str]]:
    """The (name, address) pairs that may get an automatic mail now, each counted against
    its daily limit; a refused address leaves a LoopProtection history entry."""
    allowed: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, address in pairs:
        key = address.strip().lower()
        if not key or key in seen:
            continue
        seen.add(key)
        if not loop.is_valid_address(address):
            logger.info("Ticket %s: no auto response to invalid %r", ticket.number, address)
            continue
        if loop.is_auto_suppressed_address(address):
            logger.info("Ticket %s: no auto response to %s", ticket.number, address)
            continue
        if not loop.claim_auto(address):
            logger.warning(
                "Ticket %s: no auto response to %s, its limit of %d a day is reached",
                ticket.number,
                address,
                settings.POSTMASTER_MAX_AUTO_MAILS,
            )
            record_history(ticket, HistoryType.LOOP_PROTECTION, actor, new=key)
            continue
        allowed.append((name, address.strip()))
    return allowed


def _customer_cc(
    ticket: Ticket,
    article: Article,
    original: list[tuple[str, str]],
    to: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    """The ticket's customer in Cc (spec 4): a known customer user whose address is not the
    one the mail came from, and only for a mail the customer may see."""
    if not ticket.customer_user or not article.is_visible_for_customer:
        return []
    profile = CustomerUser.objects.for_login(ticket.customer_user)
    if profile is None or not profile.email:
        return []
    email = profile.email.strip().lower()
    if email in {addr.strip().lower() for _name, addr in [*original, *to]}:
        return []
    return [(profile.user.get_full_name(), profile.email)]


def _new_subject(text: str, number: str) -> str:
    """OTRS TicketSubjectBuild, type "New", without cleanup: ``[Ticket#<n>] <text>``.
    (:func:`tickets.subjects.build_ticket_subject` always adds a Re/Fwd prefix and cleans
    the text; an auto response keeps the administrator's text as written.)"""
    return " ".join(f"[{settings.TICKET_HOOK}{number}] {text}".split())

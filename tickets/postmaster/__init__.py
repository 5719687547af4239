"""The postmaster: one parsed inbound mail becomes a new ticket or a follow-up (spec 3).

:func:`handle` is called by :mod:`.intake` inside a transaction, after the raw
message is safely stored; an exception here rolls back every ticket change and leaves the
message quarantined. The steps (spec 3.2):

1. the ``X-OTRS-*`` headers of trusted mail, then the administrator's postmaster filters;
2. ``X-OTRS-Ignore`` drops the mail;
3. follow-up detection (:mod:`.followup`);
4. a bounce of our own mail marks that delivery bounced and is filed on its ticket;
5. a follow-up to a closed ticket follows the queue's option (possible, reject, new ticket);
6. otherwise a new ticket, dispatched by forced queue, system address or the default queue;
7. the auto response of the outcome (suppressed for auto-generated mail and loops),
   recorded as an event and sent by its handler after the commit.

All changes go through :mod:`tickets.actions`, acting as the system user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.headerregistry import Address
from typing import cast

from django.utils import timezone

from customers.models import CustomerUser
from otrs.accounts.models import User
from otrs.errors import DomainError
from otrs.mail.parsing import ParsedMail
from otrs.mail.sending import mark_bounced

from .. import actions, masterdata
from ..autoresponses import request_auto_response
from ..choices import (
    PENDING_STATE_TYPES,
    AutoResponseType,
    Channel,
    FollowUpOption,
    HistoryType,
    LinkType,
    LockState,
    SenderType,
    StateType,
)
from ..models import (
    Article,
    Outcome,
    Queue,
    Ticket,
    message_id_hash,
)
from ..models.mail import fingerprint
from ..subjects import clean_ticket_subject
from . import lookups
from .directives import Directives
from .filters import run_filters
from .followup import FollowUp, detect

logger = logging.getLogger(__name__)

# The state an accepted follow-up moves a ticket to (OTRS PostmasterFollowUpState).
FOLLOW_UP_STATE = "open"


@dataclass(frozen=True)
class Result:
    outcome: str
    ticket: Ticket | None = None
    article: Article | None = None


def handle(mail: ParsedMail, *, raw: bytes, inbound) -> Result:
    """Turn ``mail`` into ticket changes; see the module docstring."""
    directives = Directives.from_headers(mail.headers) if inbound.trusted else Directives()
    run_filters(mail, directives)
    if directives.flag("ignore"):
        logger.info("Inbound mail %s ignored (X-OTRS-Ignore)", mail.message_id)
        return Result(Outcome.IGNORED)
    same = _same_message(mail, raw)
    if same is not None:
        # The same mail again with other bytes (delivered to two of our addresses, or our
        # own answer coming back through a Cc to a system address): it is already there.
        logger.info("Inbound mail %s is already article %s", mail.message_id, same.pk)
        return Result(Outcome.DUPLICATE, same.ticket, same)
    run = _Run(mail, raw, directives, inbound)
    found = detect(mail)
    if found is not None and found.how == "bounce":
        return run.bounce(found)
    if found is not None:
        return run.follow_up(found)
    return run.new_ticket()


class _Run:
    def __init__(self, mail: ParsedMail, raw: bytes, directives: Directives, inbound):
        self.mail = mail
        self.raw = raw
        self.d = directives
        self.inbound = inbound
        self.actor = masterdata.system_user()
        # OTRS X-OTRS-Loop: no auto response to auto-generated mail, lists, loops, bounces.
        self.loop = mail.is_auto_generated or directives.flag("loop")

    def _stored_files(self, content: bytes) -> tuple[str, str]:
        """(sha256, where stored) when ``content`` is a file the raw store decoded from this
        mail and stored a moment ago, else ("", ""). A large part is those very bytes (the
        parser takes the store's decoding); a small one, decoded by the parser again, is
        compared byte for byte, which costs far less than hashing it."""
        blob = getattr(self.inbound, "blob", None) if self.inbound is not None else None
        bodies = getattr(blob, "bodies", None)
        if not bodies or blob is None or not isinstance(content, bytes):
            return "", ""
        for _end, data, sha in bodies.values():
            if data is content or (len(data) == len(content) and data == content):
                where = next(p.get("in") or "fs" for p in blob.pieces if p["sha256"] == sha)
                return sha, where
        return "", ""

    def _raw_source(self):
        """The article's raw source: the inbound store's copy of these very bytes when there
        is one (shared, not read or written again), else the bytes."""
        blob = getattr(self.inbound, "blob", None) if self.inbound is not None else None
        if blob is not None and blob.size == len(self.raw) and blob.sha256 == self.inbound.sha256:
            return blob
        return self.raw

    # --- outcomes ---------------------------------------------------------------------------

    def new_ticket(
        self, *, title: str | None = None, response_type: str = AutoResponseType.AUTO_REPLY
    ) -> Result:
        d, mail = self.d, self.mail
        queue = d.queue() or self._dispatch_queue()
        state = d.state() or None
        pending = d.pending_time() if state and state.state_type in PENDING_STATE_TYPES else None
        if state is not None and state.state_type in PENDING_STATE_TYPES and pending is None:
            state = None  # a pending state without its time: the default state instead
        if state is not None and state.state_type == StateType.MERGED:
            state = None
        customer_user, customer_id = self._customer()
        owner = self._candidate(d.agent("owner"), queue, "owner")
        responsible = self._candidate(d.agent("responsible"), queue, "responsible")
        lock = d.get("lock").lower()
        service = d.service()
        sla = d.sla() if service is not None else None
        if (
            sla is not None
            and service is not None
            and not sla.services.filter(pk=service.pk).exists()
        ):
            sla = None
        ticket, article = actions.create_ticket_with_article(
            title=title if title is not None else (d.get("title") or mail.subject),
            queue=queue,
            actor=self.actor,
            article=self._article(visible=d.visible()),
            state=state,
            priority=d.priority(),
            ticket_type=d.ticket_type(),
            service=service,
            sla=sla,
            owner=owner,
            responsible=responsible,
            lock=LockState.LOCK
            if lock in (LockState.LOCK, LockState.TMP_LOCK) and owner
            else "unlock",
            customer_id=customer_id,
            customer_user=customer_user,
            pending_until=pending,
            history_type=HistoryType.EMAIL_CUSTOMER,
            field_values=d.field_values(),
        )
        self._auto_response(ticket, article, response_type)
        return Result(Outcome.NEW_TICKET, ticket, article)

    def follow_up(self, found: FollowUp) -> Result:
        ticket = found.ticket
        _with_master_data(ticket)
        closed = ticket.state.state_type in (StateType.CLOSED, StateType.REMOVED)
        if closed:
            option = ticket.queue.follow_up
            if option == FollowUpOption.REJECT:
                article = self._add_article(ticket, found, history_type=HistoryType.FOLLOW_UP)
                self._auto_response(ticket, article, AutoResponseType.AUTO_REJECT)
                return Result(Outcome.REJECTED, ticket, article)
            if option == FollowUpOption.NEW_TICKET:
                title = clean_ticket_subject(self.mail.subject, ticket.number)
                result = self.new_ticket(
                    title=self.d.get("title") or title,
                    response_type=AutoResponseType.AUTO_REPLY_NEW_TICKET,
                )
                assert result.ticket is not None  # new_ticket() always returns its ticket
                actions.link_tickets(result.ticket, ticket, LinkType.NORMAL, actor=self.actor)
                return Result(Outcome.NEW_TICKET_FOR_CLOSED, result.ticket, result.article)
        article = self._accept(ticket, found, was_closed=closed)
        self._auto_response(ticket, article, AutoResponseType.AUTO_FOLLOW_UP)
        return Result(Outcome.FOLLOW_UP, ticket, article)

    def bounce(self, found: FollowUp) -> Result:
        """A delivery status notification for one of our mails: mark the delivery bounced and
        file the report on the ticket, hidden from the customer, never answered."""
        self.loop = True
        original = found.article
        assert original is not None  # followup.detect() names the article of every bounce
        reason = _bounce_reason(self.mail)
        mark_bounced(original.deliveries.values_list("message_id", flat=True), reason)
        article = self._accept(found.ticket, found, was_closed=False, bounce=True)
        return Result(Outcome.BOUNCE, found.ticket, article)

    # --- steps ------------------------------------------------------------------------------

    def _accept(self, ticket: Ticket, found: FollowUp, *, was_closed: bool, bounce=False):
        """An accepted follow-up (spec 3.6)."""
        d, actor = self.d, self.actor
        owner = self._candidate(d.agent("owner", follow_up=True), ticket.queue, "owner")
        if owner is not None:
            actions.set_owner(ticket, owner, actor=actor)
        responsible = self._candidate(
            d.agent("responsible", follow_up=True), ticket.queue, "responsible"
        )
        if responsible is not None:
            actions.set_responsible(ticket, responsible, actor=actor)
        self._follow_up_state(ticket)
        self._follow_up_fields(ticket)
        if ticket.lock == LockState.UNLOCK and not ticket.owner.is_system:
            if ticket.owner.is_active and ticket.queue.follow_up_lock and was_closed:
                actions.lock_ticket(ticket, actor=actor, keep_owner=True)
        elif ticket.lock != LockState.UNLOCK and not ticket.owner.is_active:
            actions.unlock_ticket(ticket, actor=actor)
        lock = d.get("lock", follow_up=True).lower()
        if lock == LockState.UNLOCK and ticket.lock != LockState.UNLOCK:
            actions.unlock_ticket(ticket, actor=actor)
        elif (
            lock in (LockState.LOCK, LockState.TMP_LOCK)
            and ticket.lock == LockState.UNLOCK
            and not ticket.owner.is_system
        ):
            actions.lock_ticket(ticket, actor=actor, keep_owner=True)
        article = self._add_article(
            ticket, found, history_type=HistoryType.FOLLOW_UP, bounce=bounce
        )
        title = d.get("title", follow_up=True)
        if title:
            actions.set_title(ticket, title, actor=actor)
        return article

    def _follow_up_state(self, ticket: Ticket) -> None:
        d = self.d
        if d.flag("followup-state-keep"):
            return
        state = d.state(follow_up=True)
        if state is None:
            # Only a ticket that is not new changes state by default (spec gotcha 3).
            if ticket.state.state_type == StateType.NEW:
                return
            state = masterdata.valid_state(FOLLOW_UP_STATE, StateType.OPEN)
        if state is None or state.pk == ticket.state_id or state.state_type == StateType.MERGED:
            return
        if state.state_type in PENDING_STATE_TYPES:
            pending = d.pending_time(follow_up=True)
            if pending is None:
                return
            actions.set_pending(ticket, state, pending, actor=self.actor)
        else:
            actions.set_state(ticket, state, actor=self.actor)

    def _follow_up_fields(self, ticket: Ticket) -> None:
        d, actor = self.d, self.actor
        priority = d.priority(follow_up=True)
        if priority is not None and priority.pk != ticket.priority_id:
            actions.set_priority(ticket, priority, actor=actor)
        queue = d.queue(follow_up=True)
        if queue is not None and queue.pk != ticket.queue_id:
            actions.move_ticket(ticket, queue, actor=actor)
        ticket_type = d.ticket_type(follow_up=True)
        if ticket_type is not None and ticket_type.pk != ticket.type_id:
            actions.set_type(ticket, ticket_type, actor=actor)
        service = d.service(follow_up=True)
        if service is not None:
            sla = d.sla(follow_up=True)
            if sla is not None and not sla.services.filter(pk=service.pk).exists():
                sla = None
            actions.set_service(ticket, service, sla, actor=actor)
        field_values = d.field_values(follow_up=True)
        if field_values:
            actions.set_field_values(ticket, field_values, actor=actor)

    def _add_article(self, ticket: Ticket, found: FollowUp, *, history_type: str, bounce=False):
        if bounce:
            data = self._article(visible=False, sender_type=SenderType.SYSTEM)
        else:
            visible = self.d.visible(follow_up=True) and not self._internal_context(ticket, found)
            data = self._article(visible=visible, follow_up=True)
        return actions.add_article(ticket, data, actor=self.actor, history_type=history_type)

    def _article(self, *, visible: bool, follow_up=False, sender_type=None) -> actions.ArticleInput:
        mail = self.mail
        sender = sender_type or self.d.get("sendertype", follow_up=follow_up).lower()
        if sender not in SenderType.values:
            sender = SenderType.CUSTOMER
        return actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=sender,
            is_visible_for_customer=visible,
            from_address=_format(mail.from_name, mail.from_address),
            reply_to=mail.reply_to,
            to_address=", ".join(
                _format(n, a) for n, a in zip(mail.to_names, mail.to, strict=False)
            ),
            cc_address=", ".join(
                _format(n, a) for n, a in zip(mail.cc_names, mail.cc, strict=False)
            ),
            subject=mail.subject,
            message_id=mail.message_id,
            in_reply_to=mail.in_reply_to,
            references=" ".join(mail.references),
            body=mail.body_text,
            body_html=mail.body_html,
            raw=self._raw_source(),
            attachments=tuple(
                actions.AttachmentInput(
                    filename=a.filename,
                    content=a.content,
                    content_type=a.content_type,
                    content_id=a.content_id,
                    disposition=a.disposition,
                    sha256=sha,
                    stored=where,
                )
                for a in mail.attachments
                for sha, where in [self._stored_files(a.content)]
            ),
            created_at=timezone.now(),
        )

    def _internal_context(self, ticket: Ticket, found: FollowUp) -> bool:
        """FollowUpArticleVisibilityCheck: mail from someone other than the ticket's customer
        that answers, or was addressed by, an internal email stays internal."""
        sender = self.mail.from_address.lower()
        if not sender or sender == (ticket.customer_user or "").lower():
            return False
        if lookups.customer_email(ticket.customer_user) == sender:
            return False
        if found.article is not None and not found.article.is_visible_for_customer:
            return True
        internal = lookups.internal_recipients(ticket.pk)
        return any(sender in f"{to} {cc}".lower() for to, cc in internal)

    def _dispatch_queue(self) -> Queue:
        # System addresses and queues come from the master data cache.
        if self.inbound.forced_queue_id:
            return masterdata.queue(self.inbound.forced_queue_id)
        recipients = [a.lower() for a in self.mail.recipients]
        found = masterdata.dispatch_queue(recipients) if recipients else None
        # None only on a site without a valid queue: the creation fails and quarantines.
        return found or cast("Queue", masterdata.default_queue())

    def _customer(self) -> tuple[str, str]:
        """(customer user, customer id) as spec 3.5: the header, a known customer user with
        the sender's address, else the sender's address for both."""
        login = self.d.get("customeruser")
        sender = self.mail.from_address.strip().lower()
        if login:
            # The header's customer user; its customer id unless one is given too, else
            # (an unknown login) the sender's address, as for unknown senders.
            if self.d.get("customerno"):
                return login, self.d.get("customerno")
            named = CustomerUser.objects.for_login(login)
            if named is not None and named.company is not None:
                return login, named.company.customer_id
            return login, sender
        if not sender:
            return "", self.d.get("customerno")
        known = lookups.customer_by_email(sender)
        if known is not None:
            login, company_id = known
            customer_id = company_id if company_id is not None else sender
            return login, self.d.get("customerno") or customer_id
        return sender, self.d.get("customerno") or sender

    def _candidate(self, user: User | None, queue: Queue, role: str) -> User | None:
        """An owner or responsible from a header, if that agent may hold the role here."""
        if user is None:
            return None
        try:
            check = (
                actions.check_owner_candidate
                if role == "owner"
                else actions.check_responsible_candidate
            )
            check(user, queue)
        except DomainError as exc:
            logger.info("Ignoring X-OTRS %s %s: %s", role, user.get_username(), exc.message)
            return None
        return user

    def _auto_response(self, ticket: Ticket, article: Article | None, response_type: str) -> None:
        if article is None:
            return
        # Sent by the event handler after the commit (tickets.autoresponses.handle).
        request_auto_response(
            ticket=ticket, article=article, response_type=response_type, loop=self.loop
        )


def _same_message(mail: ParsedMail, raw: bytes) -> Article | None:
    """An article that is this very mail: one with the same Message-ID whose raw source has
    the same fingerprint (the same content, transport headers aside; README "When is a mail
    already stored"). A reused Message-ID with another subject or body is a mail of its own."""
    if not mail.message_id:
        return None
    # One light probe first: almost every mail has no article with its Message-ID.
    ids = lookups.articles_with_raw(message_id_hash(mail.message_id))
    if not ids:
        return None
    candidates = Article.objects.filter(pk__in=ids).select_related("ticket", "raw__blob")
    candidates = candidates.order_by("pk")
    digest = None
    for article in candidates:
        stored = getattr(article, "raw", None)
        if stored is None:
            continue
        digest = digest or fingerprint(raw)
        if fingerprint(stored.content) == digest:
            return article
    return None


def _with_master_data(ticket: Ticket) -> None:
    """Give a ticket its state and queue from the master data cache (no query for them)."""
    if not Ticket.state.is_cached(ticket):
        ticket.state = masterdata.state(ticket.state_id)
    if not Ticket.queue.is_cached(ticket):
        ticket.queue = masterdata.queue(ticket.queue_id)


def _format(name: str, address: str) -> str:
    if not address:
        return name
    try:
        return str(Address(display_name=name or "", addr_spec=address))
    except (ValueError, IndexError):
        return f"{name} <{address}>" if name else address


def _bounce_reason(mail: ParsedMail) -> str:
    """A short human-readable reason: the DSN's status and diagnostic, else its first lines."""
    report = "\n".join(
        a.content.decode("utf-8", "replace")
        for a in mail.attachments
        if a.content_type.lower() == "message/delivery-status"
    )
    lines = [line.strip() for line in f"{report}\n{mail.body_text}".splitlines() if line.strip()]
    found = [line for line in lines if line.lower().startswith(("status:", "diagnostic-code:"))]
    if found:
        return "; ".join(found[:4])[:500]
    return " ".join(lines[:3])[:500] or mail.subject[:500]

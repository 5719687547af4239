"""Every message of the mail corpus (``tests/mail/corpus``) fed through the whole intake,
:func:`tickets.postmaster.intake.receive`, against a small fixture world; the ticket each one must
end up as is written next to it.

The corpus
==========

Each ``NN-name.eml`` has a ``NN-name.expected.json``. Its top-level keys are the parsed
fields that ``test_parsing.py`` checks; its ``"outcome"`` object is what this module checks.

Placeholders
------------

Ticket numbers are generated, so a message that names a fixture ticket by number writes
``{{ticket:<name>}}`` (for example ``[Ticket#{{ticket:open}}]``). This module replaces every
placeholder with that fixture ticket's number, in the raw bytes before they are fed and in
every string of the expected outcome. ``test_parsing.py`` parses the files unchanged, so their
parsing expectations spell the placeholder literally (the parser does not care what the
characters are).

Outcome keys
------------

``result`` (required)
    The ``InboundMessage.outcome``: ``new_ticket``, ``follow_up``, ``rejected`` (a follow-up
    to a closed ticket of a "reject" queue, stored there), ``new_ticket_for_closed``,
    ``bounce`` or ``ignored``. ``ignored`` means no ticket and no article at all; every other
    result means the message was processed and exactly one article was added. Exactly one
    ticket is created for ``new_ticket`` and ``new_ticket_for_closed``, none otherwise.
``trusted`` (default ``true``)
    Passed to ``receive``: untrusted mail has its own ``X-OTRS-*`` headers ignored.
``follow_up_of``
    For ``follow_up``, ``rejected`` and ``bounce`` (required there): the fixture ticket (by
    name, see :func:`world`) that the article was added to.
``linked_to``
    For ``new_ticket_for_closed`` (required there): the closed fixture ticket that the new
    ticket has a Normal link to.
``queue``, ``title``, ``priority``, ``state_after``
    The ticket's queue (full name), title, priority name and state name after processing.
``customer_user``, ``customer_id``
    The ticket's customer fields after processing.
``articles``
    How many articles the ticket has after processing.
``delivery``
    For bounces: the status of our outgoing delivery of the bounced answer on that ticket
    (``bounced``; spec 3.8 records the error on the original article).
``article`` (required unless ignored)
    The article made from the message:

    ``from``, ``subject``
        The stored From line and subject.
    ``body_contains``, ``body_not_contains``
        Strings that must (not) be in the stored text body.
    ``attachments``
        The stored attachments' file names, in order.
    ``attachment_sizes``
        Their sizes in bytes, in the same order.
    ``visible``
        Whether the customer may see it.
    ``sender_type``
        ``customer`` (the default for mail), ``agent`` or ``system``.

    Every article must be an email article whose history row is ``EmailCustomer`` for a new
    ticket and ``FollowUp`` otherwise (spec 1.4, 3.4, 3.6).
``xfail``
    A reason: the outcome is what the spec requires but the pipeline does not do it yet; the
    test is marked ``xfail(strict=True)`` so that it turns red once the pipeline is fixed.

For every processed message ``result``, ``queue``, ``title``, ``customer_user``,
``customer_id``, ``state_after`` and the article's ``from``, ``subject``, ``body_contains``,
``attachments`` and ``visible`` are required (:func:`test_every_message_has_an_outcome`).

The world
=========

Built afresh for each test by :func:`world`: queues Support (``support@helpdesk.example``,
follow-ups to closed tickets possible), Sales (``sales@helpdesk.example``, "new ticket") and
Billing (``billing@helpdesk.example``, "reject"); the default queue Raw comes with the
database. Two known customer users: ``alice`` (``Alice@Example.com``, company ACME) and
``bob`` (``bob.builder@example.org``, company BUILDCO). The fixture tickets and the Message-IDs
of their articles are listed in :data:`FIXTURE_TICKETS`; "merged" is merged into "target",
and the answers in :data:`SENT` have a sent delivery that a bounce can mark. Attachments are
kept in the database, so nothing is written under ``var/``.

Adding a message: write ``NN-name.eml`` (no file over about 200 KB), its parsing expectations
and its ``"outcome"``; a new fixture ticket goes into :data:`FIXTURE_TICKETS`.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from customers.models import CustomerCompany, CustomerUser
from otrs.mail.models import OutboundMessage, OutboundStatus
from tests import factories
from tickets import actions
from tickets.choices import Channel, FollowUpOption, HistoryType, LinkType, SenderType
from tickets.models import (
    Article,
    InboundMessage,
    InboundSource,
    InboundStatus,
    Outcome,
    SystemAddress,
    Ticket,
    TicketHistory,
    TicketLink,
)
from tickets.postmaster.intake import receive

# The same hand-written messages the parser is tested with.
CORPUS = Path(__file__).resolve().parents[2] / "mail" / "corpus"
CASES = sorted(CORPUS.glob("*.eml"))
PLACEHOLDER = re.compile(r"\{\{ticket:([a-z_]+)\}\}")
PLACEHOLDER_BYTES = re.compile(PLACEHOLDER.pattern.encode())

RESULTS = {o.value for o in Outcome} - {Outcome.DUPLICATE}
NEW_RESULTS = {Outcome.NEW_TICKET, Outcome.NEW_TICKET_FOR_CLOSED}
EXISTING_RESULTS = {Outcome.FOLLOW_UP, Outcome.REJECTED, Outcome.BOUNCE}
REQUIRED = ("result", "queue", "title", "customer_user", "customer_id", "state_after")
REQUIRED_ARTICLE = ("from", "subject", "body_contains", "attachments", "visible")

QUEUES = {
    # name: (system address, follow-up option on closed tickets)
    "Support": ("support@helpdesk.example", FollowUpOption.POSSIBLE),
    "Sales": ("sales@helpdesk.example", FollowUpOption.NEW_TICKET),
    "Billing": ("billing@helpdesk.example", FollowUpOption.REJECT),
}

# name: (queue, title, customer login, state, [(Message-ID, sender type, visible, to)])
# The first article is the customer's mail; the rest are our mails (agent answers).
FIXTURE_TICKETS = {
    "open": (
        "Support",
        "Laptop does not boot",
        "alice",
        "open",
        [
            ("<world-open-1@example.com>", SenderType.CUSTOMER, True, ""),
            ("<world-open-answer@helpdesk.example>", SenderType.AGENT, True, "alice@example.com"),
            # An internal mail to a supplier: the customer does not see it.
            (
                "<world-open-internal@helpdesk.example>",
                SenderType.AGENT,
                False,
                "Parts Desk <vendor@partner.example>",
            ),
        ],
    ),
    "new": ("Support", "Account locked", "alice", "new", [("<world-new-1@example.com>",)]),
    "pending": (
        "Support",
        "Waiting for the spare part",
        "alice",
        "pending reminder",
        [("<world-pending-1@example.com>",)],
    ),
    "closed_support": (
        "Support",
        "VPN disconnects every hour",
        "alice",
        "closed successful",
        [("<world-closed-support-1@example.com>",)],
    ),
    "closed_billing": (
        "Billing",
        "Invoice 2026-0042 is wrong",
        "bob",
        "closed successful",
        [
            ("<world-closed-billing-1@example.org>",),
            (
                "<world-billing-answer@helpdesk.example>",
                SenderType.AGENT,
                True,
                "bob.builder@example.org",
            ),
        ],
    ),
    "closed_sales": (
        "Sales",
        "Quote for 20 laptops",
        "bob",
        "closed successful",
        [("<world-closed-sales-1@example.org>",)],
    ),
    "target": (
        "Support",
        "Monitors flicker on floor 3",
        "alice",
        "open",
        [("<world-target-1@example.com>",)],
    ),
    # Merged into "target" (by the world fixture, after creation).
    "merged": (
        "Support",
        "Monitor flickers",
        "alice",
        "open",
        [("<world-merged-1@example.com>",)],
    ),
    # "other" holds the oldest id of the thread in corpus 37/52; "thread" the newer ones.
    "other": ("Support", "Old thread", "alice", "open", [("<orig-1@example.com>",)]),
    "thread": (
        "Support",
        "Shared drive is read-only",
        "alice",
        "open",
        [
            ("<world-thread-1@example.com>",),
            ("<reply-1@helpdesk.example>", SenderType.AGENT, True, "alice@example.com"),
            ("<reply-2@helpdesk.example>", SenderType.AGENT, True, "alice@example.com"),
        ],
    ),
    # Our answer <article-42@helpdesk.example> bounces in corpus 21.
    "answered": (
        "Support",
        "Your request",
        "alice",
        "open",
        [
            ("<world-answered-1@example.com>",),
            ("<article-42@helpdesk.example>", SenderType.AGENT, True, "nobody@example.net"),
        ],
    ),
}

# Our answers that went out by mail (so a bounce has a delivery to mark).
SENT = (
    "<world-open-answer@helpdesk.example>",
    "<article-42@helpdesk.example>",
    "<world-billing-answer@helpdesk.example>",
    "<reply-2@helpdesk.example>",
)


def _outcome(path: Path) -> dict:
    data = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    return data.get("outcome", {})


def _params():
    params = []
    for path in CASES:
        reason = _outcome(path).get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


# --- the world -------------------------------------------------------------------------------


class World(dict):
    """Fixture tickets by name."""

    def substitute(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self[m.group(1)].number, text)

    def substitute_bytes(self, raw: bytes) -> bytes:
        return PLACEHOLDER_BYTES.sub(lambda m: self[m.group(1).decode()].number.encode(), raw)


def _customer(login: str, email: str, company_id: str, company_name: str) -> CustomerUser:
    company = CustomerCompany.objects.create(customer_id=company_id, name=company_name)
    return CustomerUser.objects.create(user=factories.customer(login), email=email, company=company)


@pytest.fixture
def world(db, settings) -> World:
    settings.ATTACHMENT_STORAGE = "db"  # nothing written under var/ by this module
    system = factories.system()
    group = factories.group("helpdesk")
    queues = {}
    for name, (address, option) in QUEUES.items():
        queue = factories.queue(name, group_=group)
        queue.follow_up = option
        queue.save()
        SystemAddress.objects.create(email=address, display_name=f"{name} desk", queue=queue)
        queues[name] = queue
    customers = {
        "alice": _customer("alice", "Alice@Example.com", "ACME", "Acme Corporation"),
        "bob": _customer("bob", "bob.builder@example.org", "BUILDCO", "Builder & Co"),
    }
    found = World()
    for name, (queue, title, login, state, articles) in FIXTURE_TICKETS.items():
        customer = customers[login]
        first, *answers = articles
        ticket = actions.create_ticket(
            title=title,
            queue=queues[queue],
            actor=system,
            article=actions.ArticleInput(
                channel=Channel.EMAIL,
                sender_type=SenderType.CUSTOMER,
                is_visible_for_customer=True,
                from_address=customer.email.lower(),
                to_address=QUEUES[queue][0],
                subject=title,
                body=f"{title}.",
                message_id=first[0],
            ),
            customer_user=login,
            customer_id=customer.company.customer_id,
            history_type=HistoryType.EMAIL_CUSTOMER,
        )
        for message_id, sender_type, visible, to in answers:
            article = actions.add_article(
                ticket,
                actions.ArticleInput(
                    channel=Channel.EMAIL,
                    sender_type=sender_type,
                    is_visible_for_customer=visible,
                    from_address=f"{queue} desk <{QUEUES[queue][0]}>",
                    to_address=to,
                    subject=f"Re: [Ticket#{ticket.number}] {title}",
                    body="Our answer.",
                    message_id=message_id,
                ),
                actor=system,
                history_type=HistoryType.EMAIL_AGENT,
            )
            if message_id in SENT:
                factories.queued_mail(
                    ticket=ticket,
                    article=article,
                    kind="article",
                    envelope_from=QUEUES[queue][0],
                    recipients=[to],
                    raw=b"(sent)",
                    message_id=message_id,
                    status=OutboundStatus.SENT,
                )
        if state == "pending reminder":
            actions.set_state(
                ticket,
                factories.state(state),
                actor=system,
                pending_until=timezone.now() + timedelta(days=3),
            )
        elif state != "new":
            actions.set_state(ticket, factories.state(state), actor=system)
        found[name] = ticket
    actions.merge_tickets(found["merged"], found["target"], actor=system)
    for name, ticket in found.items():
        found[name] = Ticket.objects.get(pk=ticket.pk)
    return found


# --- the tests -------------------------------------------------------------------------------


def test_corpus_has_at_least_sixty_messages_each_with_an_outcome():
    assert len(CASES) >= 60
    for path in CASES:
        assert path.with_suffix(".expected.json").exists(), path.name
        assert _outcome(path), f"{path.name}: no outcome"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_message_has_an_outcome(path: Path):
    """The outcome is complete enough to say what became of the message (see above)."""
    exp = _outcome(path)
    assert exp.get("result") in RESULTS
    if exp["result"] == Outcome.IGNORED:
        return
    missing = [key for key in REQUIRED if key not in exp]
    missing += [f"article.{k}" for k in REQUIRED_ARTICLE if k not in exp.get("article", {})]
    assert not missing, missing
    if exp["result"] in EXISTING_RESULTS:
        assert exp.get("follow_up_of") in FIXTURE_TICKETS
    if exp["result"] == Outcome.NEW_TICKET_FOR_CLOSED:
        assert exp.get("linked_to") in FIXTURE_TICKETS
    for name in PLACEHOLDER.findall(path.read_text(encoding="utf-8", errors="replace")):
        assert name in FIXTURE_TICKETS, name


def _expected(path: Path, world: World):
    exp = _outcome(path)
    return json.loads(world.substitute(json.dumps(exp)))


@pytest.mark.parametrize("path", _params())
def test_outcome(path: Path, world: World):
    exp = _expected(path, world)
    raw = world.substitute_bytes(path.read_bytes())
    assert not PLACEHOLDER_BYTES.search(raw)
    before = set(Ticket.objects.values_list("pk", flat=True))
    articles_before = Article.objects.count()

    stored = receive(raw, source=InboundSource.PIPE, trusted=exp.get("trusted", True))

    assert stored.error == ""
    assert stored.outcome == exp["result"]
    created = list(Ticket.objects.exclude(pk__in=before))
    if exp["result"] == Outcome.IGNORED:
        assert stored.status == InboundStatus.IGNORED
        assert (stored.ticket, stored.article, created) == (None, None, [])
        assert Article.objects.count() == articles_before
        assert bytes(InboundMessage.objects.get(pk=stored.pk).raw) == raw
        return
    assert stored.status == InboundStatus.PROCESSED
    assert Article.objects.count() == articles_before + 1
    ticket = Ticket.objects.get(pk=stored.ticket_id)
    if exp["result"] in NEW_RESULTS:
        assert created == [ticket]
    else:
        assert created == []
        assert ticket.pk == world[exp["follow_up_of"]].pk, (
            f"landed on {ticket.title!r}, not on {exp['follow_up_of']}"
        )
    if "linked_to" in exp:
        other = world[exp["linked_to"]]
        links = TicketLink.objects.filter(source__in=(ticket, other), target__in=(ticket, other))
        assert [link.link_type for link in links] == [LinkType.NORMAL]

    assert ticket.queue.full_name == exp["queue"]
    assert ticket.title == exp["title"]
    assert ticket.state.name == exp["state_after"]
    assert (ticket.customer_user, ticket.customer_id) == (exp["customer_user"], exp["customer_id"])
    if "priority" in exp:
        assert ticket.priority.name == exp["priority"]
    if "articles" in exp:
        assert ticket.articles.count() == exp["articles"]

    article = Article.objects.get(pk=stored.article_id)
    assert article.ticket_id == ticket.pk
    assert article.channel == Channel.EMAIL
    want = exp["article"]
    assert article.from_address == want["from"]
    assert article.subject == want["subject"]
    for needle in want["body_contains"]:
        assert needle in article.body
    for needle in want.get("body_not_contains", []):
        assert needle not in article.body
    attachments = list(article.attachments.order_by("id"))
    assert [a.filename for a in attachments] == want["attachments"]
    if "attachment_sizes" in want:
        assert [a.size for a in attachments] == want["attachment_sizes"]
        assert [len(a.read()) for a in attachments] == want["attachment_sizes"]
    assert article.is_visible_for_customer is want["visible"]
    assert article.sender_type == want.get("sender_type", SenderType.CUSTOMER)
    history = TicketHistory.objects.filter(article=article).values_list("history_type", flat=True)
    kind = HistoryType.EMAIL_CUSTOMER if exp["result"] in NEW_RESULTS else HistoryType.FOLLOW_UP
    assert kind in history

    if "delivery" in exp:
        deliveries = OutboundMessage.objects.filter(
            ticket_delivery__ticket=ticket, message_id__in=SENT
        )
        assert [d.status for d in deliveries] == [exp["delivery"]]

"""The email composer (reply, reply to all, forward) sending for real, through the outgoing
queue to an SMTP server on loopback; and the delivery state on the zoom.

The composer's gate, field checks and prefilled addresses are tested with the other action
screens in test_links_merge_customer.py.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from otrs.mail import sending
from otrs.mail.models import OutboundMessage, OutboundStatus
from tests import factories
from tickets import actions
from tickets.choices import Channel, HistoryType, LockState, SenderType, TemplateType
from tickets.models import (
    Article,
    Salutation,
    Signature,
    StandardTemplate,
    SystemAddress,
    Ticket,
    TicketHistory,
    TimeAccounting,
)

XSS = "<script>alert(1)</script>"


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def rw(support):
    agent = factories.refetch(support.rw)
    agent.first_name, agent.last_name, agent.email = "Rita", "Writer", "rita@example.test"
    agent.save()
    return agent


@pytest.fixture
def queue(support):
    """Support, with a system address, a salutation and a signature (tags inside)."""
    q = support.queue
    q.system_address = SystemAddress.objects.create(
        email="support@example.test", display_name="Example Support", queue=q
    )
    q.salutation = Salutation.objects.create(
        name="Dear customer", text="Dear <OTRS_CUSTOMER_REALNAME>,"
    )
    q.signature = Signature.objects.create(
        name="Team", text="-- \n<OTRS_CURRENT_UserFirstname>, Example Support"
    )
    q.save()
    return q


@pytest.fixture
def ticket(queue):
    return factories.ticket(queue, title="Printer on fire")


@pytest.fixture
def customer_mail(ticket):
    return actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            from_address="Carol Customer <carol@example.com>",
            to_address="Example Support <support@example.test>, Rita <rita@example.test>",
            cc_address="dave@example.com",
            subject=f"[Ticket#{ticket.number}] Printer on fire",
            body="It smokes.\nPlease help.",
            message_id="<c2@example.com>",
            references="<c1@example.com>",
        ),
        actor=factories.system(),
    )


@pytest.fixture
def agent_client(client, rw):
    client.force_login(rw)
    return client


def url(name, ticket, article):
    return reverse(f"agent:{name}", args=[ticket.pk, article.pk])


def seen(ticket) -> str:
    return actions.ticket_version(Ticket.objects.get(pk=ticket.pk))


def post(client, name, ticket, article, capture=None, **fields):
    """Submit the composer; ``capture`` (django_capture_on_commit_callbacks) runs what the
    commit triggers, such as sending; without it the mail stays queued."""
    data = {
        "seen": seen(ticket),
        "to": "Carol Customer <carol@example.com>",
        "subject": f"Re: [Ticket#{ticket.number}] Printer on fire",
        "body": "Please switch it off.",
        **fields,
    }
    with capture(execute=True) if capture else contextlib.nullcontext():
        return client.post(url(name, ticket, article), data)


def template(queue, name, text, template_type=TemplateType.ANSWER) -> StandardTemplate:
    made = StandardTemplate.objects.create(name=name, text=text, template_type=template_type)
    made.queues.add(queue)
    return made


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- the form ----------------------------------------------------------------------------------


def test_a_reply_starts_with_salutation_signature_and_the_quote(
    agent_client, ticket, customer_mail
):
    response = agent_client.get(url("reply", ticket, customer_mail))

    form = response.context["form"]
    body = form["body"].value()
    assert body.startswith("Dear Carol Customer,\n\n-- \nRita, Example Support\n\nOn ")
    assert body.endswith("Carol Customer wrote:\n> It smokes.\n> Please help.\n")
    assert form["subject"].value() == f"Re: [Ticket#{ticket.number}] Printer on fire"
    assert form["to"].value() == "Carol Customer <carol@example.com>"
    page = response.content.decode()
    assert "Example Support &lt;support@example.test&gt;" in page
    assert "Sending locks the ticket to you." in page


def test_reply_all_leaves_out_our_own_addresses(agent_client, ticket, customer_mail):
    form = agent_client.get(url("reply_all", ticket, customer_mail)).context["form"]
    assert form["to"].value() == "Carol Customer <carol@example.com>"
    # The system address and the agent's own address are not copied.
    assert form["cc"].value() == "dave@example.com"


def test_a_picked_template_fills_the_text_without_javascript(
    agent_client, queue, ticket, customer_mail
):
    answer = template(queue, "Switch off", "Please switch off <OTRS_TICKET_Title>.")
    template(queue, "Forwarding note", "FYI", TemplateType.FORWARD)
    template(factories.queue(), "Elsewhere", "not this queue")
    page_url = url("reply", ticket, customer_mail)

    offered = agent_client.get(page_url).context["templates"]
    assert [t.name for t in offered] == ["Switch off"]

    response = agent_client.get(page_url, {"template": answer.pk})
    body = response.context["form"]["body"].value()
    assert "Dear Carol Customer,\n\nPlease switch off Printer on fire.\n\n-- \nRita" in body
    assert f'<option value="{answer.pk}" selected>' in response.content.decode()


@pytest.mark.parametrize("value", ["999999", "abc", ""])
def test_an_unknown_template_is_no_template(agent_client, ticket, customer_mail, value):
    response = agent_client.get(url("reply", ticket, customer_mail), {"template": value})
    assert response.status_code == 200
    assert response.context["form"]["body"].value().startswith("Dear Carol Customer,")


def test_template_text_is_escaped(agent_client, queue, ticket, customer_mail):
    answer = template(queue, XSS, XSS)
    page = agent_client.get(url("reply", ticket, customer_mail), {"template": answer.pk})
    assert XSS not in page.content.decode()


def test_a_forward_offers_the_forward_templates_and_the_original(
    agent_client, queue, ticket, customer_mail
):
    template(queue, "Switch off", "answer text")
    forwarding = template(queue, "To the vendor", "Please have a look.", TemplateType.FORWARD)
    response = agent_client.get(url("forward", ticket, customer_mail), {"template": forwarding.pk})
    assert [t.name for t in response.context["templates"]] == ["To the vendor"]
    body = response.context["form"]["body"].value()
    assert body.startswith("Please have a look.\n\n-- \nRita, Example Support\n\n")
    assert "It smokes.\nPlease help." in body
    assert response.context["form"]["to"].value() == ""


# --- sending -----------------------------------------------------------------------------------


def test_a_reply_goes_out_threaded_and_locks_the_ticket(
    agent_client,
    smtp_server,
    ticket,
    customer_mail,
    rw,
    django_capture_on_commit_callbacks,
):
    assert ticket.lock == LockState.UNLOCK
    response = post(
        agent_client,
        "reply",
        ticket,
        customer_mail,
        django_capture_on_commit_callbacks,
        cc="dave@example.com",
        bcc="audit@example.test",
    )

    assert response.status_code == 302
    assert response.url == reverse("agent:zoom", args=[ticket.pk])
    (received,) = smtp_server.messages
    message = received.message
    assert received.mail_from == "support@example.test"
    assert sorted(received.rcpt_tos) == [
        "audit@example.test",
        "carol@example.com",
        "dave@example.com",
    ]
    assert message["From"] == "Example Support <support@example.test>"
    assert message["Subject"] == f"Re: [Ticket#{ticket.number}] Printer on fire"
    assert message["In-Reply-To"] == "<c2@example.com>"
    assert message["References"] == "<c1@example.com> <c2@example.com>"
    assert message["Bcc"] is None
    sent = Article.objects.get(ticket=ticket, sender_type=SenderType.AGENT)
    assert message["Message-ID"] == sent.message_id
    assert (sent.channel, sent.is_visible_for_customer) == (Channel.EMAIL, True)
    assert sent.bcc_address == "audit@example.test"
    # OTRS RequiredLock: the ticket is now locked to the agent, who owns it.
    after = fresh(ticket)
    assert (after.lock, after.owner_id) == (LockState.LOCK, rw.pk)
    kinds = list(
        TicketHistory.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("history_type", flat=True)
    )
    assert kinds.index(HistoryType.LOCK) < kinds.index(HistoryType.SEND_ANSWER)
    assert kinds[-1] == HistoryType.SEND_ANSWER


def test_a_forward_takes_the_chosen_attachments_along(
    agent_client, smtp_server, ticket, rw, settings, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_STORAGE = "db"
    original = actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            from_address="carol@example.com",
            subject="Logs",
            body="See attached.",
            attachments=[
                actions.AttachmentInput("wanted.log", b"\x00\x01log", "text/plain"),
                actions.AttachmentInput("secret.txt", b"no", "text/plain"),
            ],
        ),
        actor=factories.system(),
    )
    wanted = original.attachments.get(filename="wanted.log")
    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8jpeg", content_type="image/jpeg")

    response = post(
        agent_client,
        "forward",
        ticket,
        original,
        django_capture_on_commit_callbacks,
        to="vendor@example.net",
        subject=f"Fwd: [Ticket#{ticket.number}] Logs",
        forward_attachments=[wanted.pk],
        attachments=[upload],
    )

    assert response.status_code == 302
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["vendor@example.net"]
    files = {
        p.get_filename(): p.get_payload(decode=True) for p in received.message.iter_attachments()
    }
    assert files == {"wanted.log": b"\x00\x01log", "photo.jpg": b"\xff\xd8jpeg"}
    forward = Article.objects.get(ticket=ticket, sender_type=SenderType.AGENT)
    assert TicketHistory.objects.filter(
        article=forward, history_type=HistoryType.FORWARD, actor=rw
    ).exists()
    assert sorted(forward.attachments.values_list("filename", flat=True)) == [
        "photo.jpg",
        "wanted.log",
    ]


def test_it_sets_a_pending_state_after_sending(
    agent_client, ticket, customer_mail, django_capture_on_commit_callbacks
):
    until = timezone.localtime() + timedelta(days=2)
    response = post(
        agent_client,
        "reply",
        ticket,
        customer_mail,
        django_capture_on_commit_callbacks,
        next_state=factories.state("pending reminder").pk,
        pending_until=until.strftime("%Y-%m-%dT%H:%M"),
    )
    assert response.status_code == 302
    after = fresh(ticket)
    assert after.state.name == "pending reminder"
    assert after.pending_until is not None
    assert abs(after.pending_until - until) < timedelta(minutes=1)


def test_a_ticket_locked_by_another_agent_is_not_answered(
    agent_client, support, smtp_server, ticket, customer_mail, django_capture_on_commit_callbacks
):
    other = factories.agent("other_agent")
    factories.grant(other, support.group, factories.RW, "owner")
    actions.lock_ticket(ticket, actor=other)
    page_url = url("reply", ticket, customer_mail)
    assert "only they can answer it" in agent_client.get(page_url).content.decode()
    before = factories.snapshot()

    response = post(
        agent_client, "reply", ticket, customer_mail, django_capture_on_commit_callbacks
    )

    assert response.status_code == 400
    assert "is locked by other_agent" in response.content.decode()
    assert factories.snapshot() == before
    assert not OutboundMessage.objects.exists()
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"to": "not an address"}, "to", "“not an address” is not a valid email address."),
        ({"to": ""}, "to", "This field is required."),
        ({"body": ""}, "body", "This field is required."),
        ({"next_state": "999999"}, "next_state", "Select a valid choice."),
        ({"forward_attachments": ["999999"]}, "forward_attachments", "Select a valid choice."),
    ],
)
def test_bad_input_comes_back_as_form_errors(
    agent_client,
    smtp_server,
    ticket,
    customer_mail,
    django_capture_on_commit_callbacks,
    fields,
    field,
    message,
):
    name = "forward" if field == "forward_attachments" else "reply"
    before = factories.snapshot()
    response = post(
        agent_client, name, ticket, customer_mail, django_capture_on_commit_callbacks, **fields
    )
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert factories.snapshot() == before
    assert not OutboundMessage.objects.exists()


def test_it_refuses_uploads_over_the_limit(
    agent_client, ticket, customer_mail, settings, django_capture_on_commit_callbacks
):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10
    big = SimpleUploadedFile("big.bin", b"x" * 11)
    response = post(
        agent_client,
        "reply",
        ticket,
        customer_mail,
        django_capture_on_commit_callbacks,
        attachments=[big],
    )
    assert response.status_code == 400
    assert "too large" in str(response.context["form"].errors["attachments"])
    assert not OutboundMessage.objects.exists()


def test_a_past_pending_time_is_refused(
    agent_client, ticket, customer_mail, django_capture_on_commit_callbacks
):
    past = timezone.localtime() - timedelta(hours=1)
    response = post(
        agent_client,
        "reply",
        ticket,
        customer_mail,
        django_capture_on_commit_callbacks,
        next_state=factories.state("pending reminder").pk,
        pending_until=past.strftime("%Y-%m-%dT%H:%M"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["pending_until"] == [
        "The pending time must be in the future."
    ]


# --- the delivery state on the zoom ------------------------------------------------------------


def zoom(client, ticket) -> str:
    return client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()


def test_the_zoom_shows_queued_retrying_sent_and_failed_mail(
    agent_client,
    smtp_server,
    ticket,
    customer_mail,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.OUTGOING_MAIL_MAX_ATTEMPTS = 2
    # Queued, not tried yet (the daemon has not run).
    post(agent_client, "reply", ticket, customer_mail)
    assert "Queued for sending" in zoom(agent_client, ticket)

    smtp_server.refuse_data("421 4.7.0 Try again later")
    sending.send_due()
    page = zoom(agent_client, ticket)
    assert "Queued for sending" in page
    assert "1 attempt failed" in page and "421 4.7.0 Try again later" in page

    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        sending.send_due()
        page = zoom(agent_client, ticket)
    assert "Sending failed" in page and "after 2 attempts" in page

    smtp_server.accept()
    sending.requeue()
    sending.send_due()
    page = zoom(agent_client, ticket)
    assert "Sending failed" not in page and ">Sent<" in page
    assert "to carol@example.com" in page


def test_customer_mail_shows_no_delivery_state(agent_client, ticket, customer_mail):
    page = zoom(agent_client, ticket)
    assert 'class="delivery' not in page


def test_the_zoom_reads_delivery_states_in_constant_queries(agent_client, queue, rw):
    counts = []
    for mails in (1, 8):
        target = factories.ticket(queue)
        for n in range(mails):
            actions.send_email(
                target, actions.ArticleInput(to_address=f"c{n}@example.com", body="x"), actor=rw
            )
        sending.send_due()
        OutboundMessage.objects.filter(ticket_delivery__ticket=target).update(
            status=OutboundStatus.FAILED
        )
        zoom(agent_client, target)  # marks everything seen first
        with CaptureQueriesContext(connection) as queries:
            page = zoom(agent_client, target)
        assert page.count("Sending failed") == mails
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_reply_accounts_the_time_entered_with_it(agent_client, ticket, customer_mail, settings):
    settings.TICKET_TIME_UNITS = "required"
    page = agent_client.get(url("reply", ticket, customer_mail)).content.decode()
    assert 'name="time_units"' in page
    assert post(agent_client, "reply", ticket, customer_mail).status_code == 400
    response = post(agent_client, "reply", ticket, customer_mail, time_units="20")
    assert response.status_code == 302
    entry = TimeAccounting.objects.get()
    assert entry.time_units == 20 and entry.article.channel == Channel.EMAIL

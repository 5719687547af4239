"""New phone ticket and new email ticket screens."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from customers.models import CustomerCompany, CustomerUser
from otrs.mail.models import OutboundMessage, OutboundStatus
from otrs.permissions import PermissionKey
from tests import factories
from tickets.choices import (
    AutoResponseType,
    Channel,
    HistoryType,
    LockState,
    SenderType,
    TemplateType,
)
from tickets.models import (
    SLA,
    Article,
    AutoResponse,
    QueueAutoResponse,
    Salutation,
    Service,
    Signature,
    StandardTemplate,
    State,
    SystemAddress,
    TextModule,
    Ticket,
    TicketHistory,
)

PHONE = reverse("agent:new_phone_ticket")
EMAIL = reverse("agent:new_email_ticket")
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


@pytest.fixture
def agent(support):
    """An agent who may create tickets in Support (and nothing else)."""
    user = factories.agent("creator", first_name="Cleo", last_name="Creator", email="cleo@x.test")
    factories.grant(user, support.group, PermissionKey.CREATE, PermissionKey.RO)
    return user


@pytest.fixture
def client_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def known_customer(db):
    company = CustomerCompany.objects.create(customer_id="ACME", name="Acme")
    login = factories.customer("wile")
    login.first_name, login.last_name = "Wile", "Coyote"
    login.save()
    return CustomerUser.objects.create(user=login, email="wile@acme.test", company=company)


def _form(support, **overrides):
    data = {
        "customer": "wile",
        "queue": support.queue.pk,
        "title": "Printer on fire",
        "body": "It smokes.",
        "state": State.objects.get(name="open").pk,
        "priority": factories.priority(3).pk,
        "type": Ticket._meta.get_field("type").related_model.objects.get(is_default=True).pk,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_creates_a_phone_ticket_for_a_known_customer(support, agent, known_customer, client_for):
    client = client_for(agent)

    response = client.post(PHONE, _form(support))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("agent:zoom", args=[ticket.pk])
    assert _messages(response) == [f"Ticket {ticket.number} created."]
    assert (ticket.title, ticket.queue, ticket.state.name) == (
        "Printer on fire",
        support.queue,
        "open",
    )
    assert (ticket.customer_user, ticket.customer_id) == ("wile", "ACME")
    assert ticket.owner.is_system and ticket.lock == LockState.UNLOCK
    article = Article.objects.get(ticket=ticket)
    assert (article.channel, article.sender_type) == (Channel.PHONE, SenderType.CUSTOMER)
    assert article.is_visible_for_customer
    assert article.from_address == "Wile Coyote <wile@acme.test>"
    assert (article.subject, article.body) == ("Printer on fire", "It smokes.")
    history = list(TicketHistory.objects.filter(ticket=ticket).order_by("pk"))
    assert [h.history_type for h in history] == [
        HistoryType.NEW_TICKET,
        HistoryType.CUSTOMER_UPDATE,
        HistoryType.PHONE_CALL_CUSTOMER,
    ]
    assert history[2].article_id == article.pk
    assert all(h.actor_id == agent.pk for h in history)


def test_a_phone_ticket_gets_the_queues_auto_reply(support, agent, known_customer, client_for):
    address = SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support", queue=support.queue
    )
    support.queue.system_address = address
    support.queue.save()
    reply = AutoResponse.objects.create(
        name="Thanks",
        subject="We have your request",
        text="We will call you back.",
        response_type=AutoResponseType.AUTO_REPLY,
    )
    QueueAutoResponse.objects.create(queue=support.queue, auto_response=reply)

    client_for(agent).post(PHONE, _form(support))

    ticket = Ticket.objects.get()
    first, auto = Article.objects.filter(ticket=ticket).order_by("id")
    assert first.channel == Channel.PHONE
    assert (auto.channel, auto.sender_type) == (Channel.EMAIL, SenderType.SYSTEM)
    assert "wile@acme.test" in auto.to_address
    assert "We will call you back." in auto.body
    assert TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.SEND_AUTO_REPLY
    ).exists()


def test_it_finds_a_known_customer_by_email_and_keeps_a_given_customer_id(
    support, agent, known_customer, client_for
):
    response = client_for(agent).post(
        PHONE, _form(support, customer="WILE@acme.test", customer_id="ACME-EU")
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.customer_user, ticket.customer_id) == ("wile", "ACME-EU")


def test_it_takes_an_unknown_address_as_customer_user_and_id(support, agent, client_for):
    response = client_for(agent).post(
        PHONE, _form(support, customer="Road Runner <beep@desert.test>")
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.customer_user, ticket.customer_id) == ("beep@desert.test", "beep@desert.test")
    assert Article.objects.get().from_address == "Road Runner <beep@desert.test>"


@pytest.mark.parametrize("customer", ["nobody-we-know", "a@x.test, b@x.test", ""])
def test_it_refuses_a_customer_that_is_neither_known_nor_one_address(
    support, agent, client_for, customer
):
    response = client_for(agent).post(PHONE, _form(support, customer=customer))

    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_it_offers_only_queues_where_the_agent_may_create(support, agent, client_for):
    factories.queue("Secret stuff", group_=factories.group("secret"))
    reading = factories.group("reading")
    factories.queue("Read only", group_=reading)
    factories.grant(agent, reading, PermissionKey.RO, PermissionKey.MOVE_INTO)

    page = client_for(agent).get(PHONE).content.decode()

    assert ">Support</option>" in page
    assert "Secret stuff" not in page
    assert "Read only" not in page


def test_it_refuses_a_forged_queue_and_creates_nothing(support, agent, client_for):
    reading = factories.group("reading")
    read_only = factories.queue("Read only", group_=reading)
    factories.grant(agent, reading, PermissionKey.RO)
    before = factories.snapshot()

    response = client_for(agent).post(PHONE, _form(support, queue=read_only.pk))

    assert response.status_code == 400
    assert "queue" in response.context["form"].errors
    assert factories.snapshot() == before


def test_it_needs_a_pending_time_for_a_pending_state(support, agent, known_customer, client_for):
    pending = State.objects.get(name="pending reminder")

    response = client_for(agent).post(PHONE, _form(support, state=pending.pk))

    assert response.status_code == 400
    assert "pending_until" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_it_reads_the_pending_time_in_the_agents_time_zone(
    support, agent, known_customer, client_for
):
    agent.time_zone = "Europe/Berlin"
    agent.save()
    pending = State.objects.get(name="pending reminder")

    response = client_for(agent).post(
        PHONE, _form(support, state=pending.pk, pending_until="2031-01-15T10:30")
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.pending_until == datetime(2031, 1, 15, 9, 30, tzinfo=UTC)


def test_it_stores_attachments(support, agent, known_customer, client_for, settings):
    settings.ATTACHMENT_STORAGE = "db"
    files = [
        SimpleUploadedFile("log.txt", b"line 1\n", content_type="text/plain"),
        SimpleUploadedFile("photo.png", b"\x89PNG...", content_type="image/png"),
    ]

    response = client_for(agent).post(PHONE, {**_form(support), "attachments": files})

    assert response.status_code == 302
    stored = list(Article.objects.get().attachments.order_by("filename"))
    assert [(a.filename, a.content_type, a.read()) for a in stored] == [
        ("log.txt", "text/plain", b"line 1\n"),
        ("photo.png", "image/png", b"\x89PNG..."),
    ]


def test_it_refuses_attachments_over_the_limit(
    support, agent, known_customer, client_for, settings
):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10
    big = SimpleUploadedFile("big.bin", b"x" * 11)

    response = client_for(agent).post(PHONE, {**_form(support), "attachments": [big]})

    assert response.status_code == 400
    assert "The attachments are too large together; at most 10" in response.content.decode()
    assert not Ticket.objects.exists()


def test_it_locks_the_ticket_to_a_chosen_owner(support, agent, known_customer, client_for):
    response = client_for(agent).post(PHONE, _form(support, owner=support.rw.pk))

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.owner, ticket.responsible, ticket.lock) == (
        support.rw,
        support.rw,
        LockState.LOCK,
    )


def test_it_refuses_an_owner_without_the_owner_key_on_the_chosen_queue(
    support, agent, known_customer, client_for
):
    other = factories.group("other")
    factories.queue("Other", group_=other)
    stranger = factories.agent("stranger")
    factories.grant(stranger, other, PermissionKey.OWNER)
    factories.grant(agent, other, PermissionKey.CREATE)

    response = client_for(agent).post(PHONE, _form(support, owner=stranger.pk))

    assert response.status_code == 400
    assert "cannot own tickets in queue Support" in str(response.context["form"].errors["owner"])
    assert not Ticket.objects.exists()


def test_it_shows_an_sla_of_another_service_as_a_form_error(
    support, agent, known_customer, client_for
):
    service = Service.objects.create(name="Printing")
    sla = SLA.objects.create(name="Gold")
    before = factories.snapshot()

    response = client_for(agent).post(PHONE, _form(support, service=service.pk, sla=sla.pk))

    assert response.status_code == 400
    assert "The SLA does not belong" in str(response.context["form"].errors["sla"])
    assert factories.snapshot() == before


def test_it_creates_an_email_ticket_and_queues_the_mail(
    support, agent, known_customer, client_for, django_capture_on_commit_callbacks
):
    data = _form(support, customer=None, to="wile@acme.test", cc="boss@acme.test, x@y.test")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(EMAIL, data)

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    (message,) = _messages(response)
    assert message == f"Ticket {ticket.number} created; the email is queued for sending."
    assert (ticket.customer_user, ticket.customer_id) == ("wile", "ACME")
    article = Article.objects.get()
    assert (article.channel, article.sender_type) == (Channel.EMAIL, SenderType.AGENT)
    assert article.is_visible_for_customer
    # The queue has no system address: the configured sender (tests/mail/test_outbound.py
    # has the queue's own address).
    assert article.from_address == "Help desk <helpdesk@localhost>"
    assert article.to_address == "Wile Coyote <wile@acme.test>"
    assert article.cc_address == "boss@acme.test, x@y.test"
    assert article.subject == f"[Ticket#{ticket.number}] Printer on fire"
    assert TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.EMAIL_AGENT, article=article
    ).exists()
    (sent,) = OutboundMessage.objects.filter(ticket_delivery__article=article)
    assert sent.recipients == ["wile@acme.test", "boss@acme.test", "x@y.test"]
    assert sent.status == OutboundStatus.SENT  # into this test's own outbox directory
    assert sent.content() == bytes(article.raw.content)


def test_it_no_longer_says_on_the_email_screen_that_mail_is_not_sent(support, agent, client_for):
    page = client_for(agent).get(EMAIL).content.decode()

    assert "not sent" not in page


@pytest.mark.parametrize(
    ("to", "cc"), [("wile", ""), ("not an address", ""), ("a@x.test", "bad address")]
)
def test_it_validates_the_email_addresses(support, agent, known_customer, client_for, to, cc):
    data = _form(support, customer=None, to=to, cc=cc)

    response = client_for(agent).post(EMAIL, data)

    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_it_escapes_user_text_when_the_form_comes_back(support, agent, client_for):
    support.queue.name = XSS
    support.queue.save()
    factories.grant(factories.agent("evil", first_name=XSS), support.group, PermissionKey.OWNER)

    response = client_for(agent).post(PHONE, _form(support, customer=XSS, title=XSS, body=XSS))

    page = response.content.decode()
    assert response.status_code == 400
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("url", [PHONE, EMAIL])
def test_it_enforces_csrf(support, agent, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    assert client.post(url, _form(support)).status_code == 403
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("url", [PHONE, EMAIL])
def test_it_sends_anonymous_visitors_to_the_sign_in(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/agent/login/?next=")


@pytest.mark.parametrize("url", [PHONE, EMAIL])
def test_it_refuses_customers(client, support, url):
    client.force_login(factories.customer())

    response = client.post(url, _form(support, customer="x@y.test"))

    assert response.status_code == 403
    assert not Ticket.objects.exists()


@pytest.fixture
def queue_texts(support):
    """Support with a salutation and a signature (tags inside), and templates."""

    queue = support.queue
    queue.salutation = Salutation.objects.create(name="Dear", text="Dear <OTRS_CUSTOMER_REALNAME>,")
    queue.signature = Signature.objects.create(
        name="Team", text="-- \n<OTRS_CURRENT_UserFirstname>, Support (<OTRS_TICKET_TicketNumber>)"
    )
    queue.save()
    made = {}
    for name, kind in [("Welcome", TemplateType.EMAIL), ("Answer only", TemplateType.ANSWER)]:
        made[name] = StandardTemplate.objects.create(
            name=name, text=f"{name} text.", template_type=kind
        )
        made[name].queues.add(queue)
    return made


def test_the_email_screen_starts_with_the_queues_salutation_template_and_signature(
    support, agent, client_for, queue_texts
):
    client = client_for(agent)
    plain = client.get(EMAIL).content.decode()
    chosen = client.get(EMAIL, {"queue": support.queue.pk, "template": queue_texts["Welcome"].pk})

    page = chosen.content.decode()
    assert 'id="start-text"' in plain and "Welcome" not in plain
    assert chosen.context["form"]["body"].value() == (
        "Dear <OTRS_CUSTOMER_REALNAME>,\n\nWelcome text.\n\n"
        "-- \n<OTRS_CURRENT_UserFirstname>, Support (<OTRS_TICKET_TicketNumber>)"
    )
    assert chosen.context["form"]["queue"].value() == support.queue.pk
    # Templates for new email tickets only, no answers.
    assert ">Welcome</option>" in page and "Answer only" not in page


def test_the_new_email_ticket_goes_out_with_the_tags_filled_in(
    support, agent, known_customer, client_for, queue_texts, django_capture_on_commit_callbacks
):
    body = "Dear <OTRS_CUSTOMER_REALNAME>,\n\nIt smokes.\n\n-- \n<OTRS_CURRENT_UserFirstname>"
    data = _form(support, customer=None, to="wile@acme.test", body=body)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(EMAIL, data)

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.body == "Dear Wile Coyote,\n\nIt smokes.\n\n-- \nCleo"
    (sent,) = OutboundMessage.objects.filter(ticket_delivery__article=article)
    assert b"Dear Wile Coyote," in sent.content()


# --- text modules (issue 18, part 5) ------------------------------------------------------------


@pytest.fixture
def modules(support):
    """A module of Support with placeholders, one for every queue, one of another queue."""
    tagged = TextModule.objects.create(
        name="Create tagged",
        keyword="ctagged",
        text="Your ticket <OTRS_TICKET_TicketNumber>, <OTRS_CUSTOMER_REALNAME>.",
    )
    tagged.queues.add(support.queue)
    everywhere = TextModule.objects.create(name="Create thanks", keyword="cthanks", text="Thanks.")
    elsewhere = TextModule.objects.create(name="Create foreign", keyword="cforeign", text="No.")
    elsewhere.queues.add(factories.queue("CreateForeign"))
    return tagged, everywhere, elsewhere


@pytest.mark.parametrize("url", [PHONE, EMAIL])
def test_the_new_ticket_screens_offer_the_agents_text_modules(
    support, agent, client_for, modules, url
):
    page = client_for(agent).get(url).content.decode()
    assert "Create tagged (::ctagged)" in page and "Create thanks (::cthanks)" in page
    assert "Create foreign" not in page


def test_insert_on_a_new_ticket_screen_adds_the_module_and_creates_nothing(
    support, agent, known_customer, client_for, modules
):
    _tagged, everywhere, _elsewhere = modules
    data = _form(support, body="Hello", text_module=everywhere.pk, text_module_insert="1")
    response = client_for(agent).post(PHONE, data)
    assert response.status_code == 200
    assert "Hello\n\nThanks.\n</textarea>" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_module_chosen_on_a_new_email_ticket_is_filled_for_the_new_ticket(
    support, agent, known_customer, client_for, modules
):
    tagged, _everywhere, _elsewhere = modules
    data = _form(support, customer=None, to="wile@acme.test", body="Hi", text_module=tagged.pk)
    response = client_for(agent).post(EMAIL, data)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    body = ticket.articles.get().body
    assert f"Hi\n\nYour ticket {ticket.number}, Wile Coyote." in body


def test_a_module_of_another_queue_is_refused_on_a_new_ticket(
    support, agent, known_customer, client_for, modules
):
    _tagged, _everywhere, elsewhere = modules
    elsewhere.queues.set([factories.queue("CreateOther", group_=support.group)])
    response = client_for(agent).post(PHONE, _form(support, text_module=elsewhere.pk))
    assert "is not offered in queue" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_module_chosen_on_a_new_phone_ticket_is_filled_for_the_new_ticket(
    support, agent, known_customer, client_for, modules
):
    tagged, _everywhere, _elsewhere = modules
    response = client_for(agent).post(PHONE, _form(support, body="Called", text_module=tagged.pk))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    body = ticket.articles.get().body
    assert body == f"Called\n\nYour ticket {ticket.number}, Wile Coyote.\n"


def test_a_module_inserted_before_on_a_new_phone_ticket_is_filled_when_it_is_made(
    support, agent, known_customer, client_for, modules
):
    tagged, _everywhere, _elsewhere = modules
    client = client_for(agent)
    step = client.post(
        PHONE, _form(support, body="Called", text_module=tagged.pk, text_module_insert="1")
    )
    assert "Your ticket &lt;OTRS_TICKET_TicketNumber&gt;" in step.content.decode()

    # What the Insert step (or the script) put in the text is sent as the text.
    typed = "Called\n\nYour ticket <OTRS_TICKET_TicketNumber>, <OTRS_CUSTOMER_REALNAME>.\n"
    assert client.post(PHONE, _form(support, body=typed)).status_code == 302
    ticket = Ticket.objects.get()
    # (The form strips the text's trailing line end.)
    assert ticket.articles.get().body == f"Called\n\nYour ticket {ticket.number}, Wile Coyote."


@pytest.mark.parametrize("url", [PHONE, EMAIL])
def test_the_new_ticket_screens_give_the_script_the_modules_and_their_queues(
    support, agent, client_for, modules, url
):
    tagged, everywhere, _elsewhere = modules
    page = client_for(agent).get(url).content.decode()
    assert "data-text-modules" in page
    data = json.loads(
        page.split('<script id="text-modules" type="application/json">')[1].split("</script>")[0]
    )
    assert data == [
        {
            "keyword": "ctagged",
            "name": "Create tagged",
            "text": tagged.text,
            "queues": [support.queue.pk],
        },
        {"keyword": "cthanks", "name": "Create thanks", "text": everywhere.text, "queues": []},
    ]

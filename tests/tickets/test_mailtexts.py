"""Mail texts: OTRS tag expansion, quoting, reply and forward bodies."""

from __future__ import annotations

import pytest
from django.utils import translation

from customers.models import CustomerCompany, CustomerUser
from tests import factories
from tickets import actions
from tickets.choices import Channel, SenderType, TemplateType
from tickets.mailtexts import forward_text, quote, render, reply_text, wrap_lines
from tickets.models import Queue, Salutation, Signature, StandardTemplate

pytestmark = pytest.mark.django_db

BODY = "Hello,\n\nmy printer is on fire.\nPlease help.\n\nCarla"


@pytest.fixture
def carla(db):
    company = CustomerCompany.objects.create(
        customer_id="ACME", name="Acme Corporation", city="Phoenix", url="https://acme.example"
    )
    user = factories.customer("carla")
    user.first_name, user.last_name = "Carla", "Customer"
    user.save()
    return CustomerUser.objects.create(
        user=user, email="carla@acme.example", phone="+1 555", company=company
    )


@pytest.fixture
def ticket(support, carla):
    owner = support.rw
    owner.first_name, owner.last_name, owner.email = "Rita", "Writer", "rita@example.com"
    owner.save()
    return actions.create_ticket(
        title="Printer on fire",
        queue=support.queue,
        actor=factories.system(),
        owner=owner,
        customer_id="ACME",
        customer_user="carla",
        article=actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            subject="Re: [Ticket#123] Printer on fire",
            body=BODY,
            from_address='"Carla C." <carla@acme.example>',
            to_address="support@example.com",
            message_id="<m1@acme.example>",
            is_visible_for_customer=True,
        ),
    )


@pytest.fixture
def article(ticket):
    return ticket.articles.get()


def expand(text, ticket, article=None, **kwargs):
    return render(text, ticket=ticket, article=article, **kwargs)


# --- families ----------------------------------------------------------------------------------


def test_it_expands_ticket_tags(ticket):
    text = (
        "<OTRS_TICKET_TicketNumber>|<OTRS_TICKET_Number>|<OTRS_TICKET_ID>|<OTRS_TICKET_Title>|"
        "<OTRS_TICKET_Queue>|<OTRS_TICKET_State>|<OTRS_TICKET_Priority>|<OTRS_TICKET_Type>|"
        "<OTRS_TICKET_CustomerID>|<OTRS_TICKET_CustomerUserID>|<OTRS_TICKET_Owner>|"
        "<OTRS_TICKET_Responsible>"
    )
    assert expand(text, ticket).split("|") == [
        ticket.number,
        ticket.number,
        str(ticket.pk),
        "Printer on fire",
        "Support",
        "new",
        ticket.priority.name,
        ticket.type.name,
        "ACME",
        "carla",
        "rw_agent",
        "rw_agent",
    ]


def test_it_matches_tag_names_in_any_case(ticket):
    assert expand("<OTRS_ticket_number> <OTRS_Ticket_TITLE>", ticket) == (
        f"{ticket.number} Printer on fire"
    )


def test_it_expands_the_customer_article_tags(ticket, article):
    text = "<OTRS_CUSTOMER_Subject>|<OTRS_CUSTOMER_From>|<OTRS_CUSTOMER_REALNAME>"
    assert expand(text, ticket, article).split("|") == [
        "Re: [Ticket#123] Printer on fire",
        '"Carla C." <carla@acme.example>',
        "Carla Customer",
    ]
    assert expand("<OTRS_CUSTOMER_Body>", ticket, article) == BODY


def test_it_quotes_the_first_lines_of_the_customer_mail(ticket, article):
    assert expand("<OTRS_CUSTOMER_EMAIL[3]>", ticket, article) == (
        "> Hello,\n>\n> my printer is on fire."
    )
    assert expand("<OTRS_CUSTOMER_BODY[1]>", ticket, article) == "> Hello,"
    assert expand("<OTRS_CUSTOMER_EMAIL>", ticket, article).endswith("> Carla")


def test_it_shortens_the_cleaned_customer_subject(ticket, article):
    # The hook of this ticket and Re: are cleaned away first (OTRS TicketSubjectClean).
    article.subject = f"Re: [Ticket#{ticket.number}] Printer on fire in room 101"
    assert expand("<OTRS_CUSTOMER_SUBJECT[15]>", ticket, article) == "Printer on fire [...]"
    assert expand("<OTRS_CUSTOMER_SUBJECT[100]>", ticket, article) == (
        "Printer on fire in room 101"
    )


def test_it_falls_back_to_the_sender_name_for_an_unknown_customer(support):
    ticket = factories.ticket(support.queue, customer_user="someone@else.example")
    article = ticket.articles.get()
    article.from_address = "Some One <someone@else.example>"
    assert expand("<OTRS_CUSTOMER_REALNAME>", ticket, article) == "Some One"
    article.from_address = "someone@else.example"
    assert expand("<OTRS_CUSTOMER_REALNAME>", ticket, article) == "someone@else.example"
    # No customer user: the customer data tags are unknown.
    assert expand("<OTRS_CUSTOMER_DATA_UserEmail>", ticket, article) == "-"


def test_it_expands_customer_data_from_the_customer_user(ticket):
    text = (
        "<OTRS_CUSTOMER_DATA_UserFirstname>|<OTRS_CUSTOMER_DATA_UserLastname>|"
        "<OTRS_CUSTOMER_DATA_UserEmail>|<OTRS_CUSTOMER_DATA_UserLogin>|"
        "<OTRS_CUSTOMER_DATA_UserCustomerID>|<OTRS_CUSTOMER_DATA_UserPhone>|"
        "<OTRS_CUSTOMER_DATA_CustomerCompanyName>|<OTRS_CUSTOMER_DATA_CustomerCompanyCity>"
    )
    assert expand(text, ticket).split("|") == [
        "Carla",
        "Customer",
        "carla@acme.example",
        "carla",
        "ACME",
        "+1 555",
        "Acme Corporation",
        "Phoenix",
    ]


def test_it_finds_the_customer_user_whatever_the_case_of_the_login(support, carla):
    ticket = factories.ticket(support.queue, customer_user="CARLA")
    assert expand("<OTRS_CUSTOMER_DATA_UserEmail>", ticket) == "carla@acme.example"


def test_it_expands_agent_owner_responsible_and_recipient_tags(ticket, support):
    agent = factories.agent("bob", first_name="Bob", last_name="Builder", email="bob@ex.org")
    recipient = factories.agent("eve", first_name="Eve", email="eve@ex.org")
    text = (
        "<OTRS_AGENT_UserFirstname> <OTRS_AGENT_UserLastname> <OTRS_AGENT_UserLogin> "
        "<OTRS_AGENT_UserEmail>|<OTRS_CURRENT_UserFullname>|<OTRS_OWNER_UserFirstname> "
        "<OTRS_OWNER_UserEmail>|<OTRS_RESPONSIBLE_UserLastname>|"
        "<OTRS_NOTIFICATION_RECIPIENT_UserFirstname> <OTRS_NOTIFICATION_RECIPIENT_UserEmail>"
    )
    assert expand(text, ticket, agent=agent, recipient=recipient).split("|") == [
        "Bob Builder bob bob@ex.org",
        "Bob Builder",
        "Rita rita@example.com",
        "Writer",
        "Eve eve@ex.org",
    ]


def test_it_expands_the_whitelisted_config_tags(ticket, settings):
    settings.SITE_URL = "https://desk.example.org"
    settings.MAIL_DOMAIN = "mail.example.org"
    text = (
        "<OTRS_CONFIG_FQDN>|<OTRS_CONFIG_SITE_URL>|<OTRS_CONFIG_HttpType>|"
        "<OTRS_CONFIG_Ticket::Hook>|<OTRS_CONFIG_TICKET_HOOK>|<OTRS_CONFIG_SystemID>"
    )
    assert expand(text, ticket).split("|") == [
        "mail.example.org",
        "https://desk.example.org",
        "https",
        "Ticket#",
        "Ticket#",
        str(settings.SYSTEM_ID),
    ]


# --- unknown tags and safety -------------------------------------------------------------------


def test_it_turns_unknown_tags_into_a_dash(ticket):
    text = "<OTRS_TICKET_Nonsense>|<OTRS_FOO_Bar>|<OTRS_CUSTOMER_DATA_UserPassword>|<OTRS_X>"
    assert expand(text, ticket) == "-|-|-|-"


def test_it_shows_a_dash_for_families_without_a_source(ticket):
    # No article, no agent, no recipient.
    text = "<OTRS_CUSTOMER_Subject>|<OTRS_CUSTOMER_EMAIL[3]>|<OTRS_AGENT_UserLogin>|"
    text += "<OTRS_NOTIFICATION_RECIPIENT_UserEmail>|<OTRS_TICKET_Service>"
    assert expand(text, ticket) == "-|-|-|-|-"


def test_it_never_reveals_secrets(ticket, settings):
    settings.SECRET_KEY = "s3cr3t-key-value"
    text = (
        "<OTRS_CONFIG_SECRET_KEY> <OTRS_CONFIG_DATABASES> <OTRS_CONFIG_OUTGOING_MAIL> "
        "<OTRS_CONFIG_EMAIL_HOST_PASSWORD> <OTRS_OWNER_password> <OTRS_OWNER_UserPw> "
        "<OTRS_AGENT_password> <OTRS_TICKET_owner__password>"
    )
    result = expand(text, ticket, agent=ticket.owner)
    assert result == " ".join(["-"] * 8)
    assert "s3cr3t" not in result and "md5" not in result.lower()


def test_it_does_not_expand_tags_inside_inserted_values(support):
    ticket = factories.ticket(
        support.queue, title="<OTRS_CONFIG_SITE_URL>", body="<OTRS_TICKET_ID>"
    )
    article = ticket.articles.get()
    assert expand("<OTRS_TICKET_Title>", ticket) == "<OTRS_CONFIG_SITE_URL>"
    assert expand("<OTRS_CUSTOMER_Body>", ticket, article) == "<OTRS_TICKET_ID>"


def test_it_leaves_other_text_alone(ticket):
    assert expand("a < b > c <OTRS_ and <b>bold</b>", ticket) == "a < b > c <OTRS_ and <b>bold</b>"
    assert expand("", ticket) == ""


# --- quoting -----------------------------------------------------------------------------------


def test_it_wraps_long_lines_at_86_characters():
    words = " ".join(["word"] * 40)
    lines = wrap_lines(words)
    assert len(lines) > 1 and all(len(line) <= 86 for line in lines)
    assert " ".join(lines) == words


def test_it_keeps_long_words_and_existing_quotes_whole():
    url = "https://example.org/" + "x" * 120
    assert wrap_lines(url) == [url]
    quoted = "> " + "y " * 60
    assert wrap_lines(quoted) == [quoted.rstrip()]


def test_it_quotes_each_line_and_limits_the_count():
    assert quote("a\n\nb\nc") == "> a\n>\n> b\n> c"
    assert quote("a\nb\nc", lines=2) == "> a\n> b"
    assert quote("a\r\nb\n\n\n") == "> a\n> b"


# --- reply and forward -------------------------------------------------------------------------


@pytest.fixture
def texts(support):
    queue = Queue.objects.get(pk=support.queue.pk)
    queue.salutation = Salutation.objects.create(
        name="Formal", text="Dear <OTRS_CUSTOMER_REALNAME>,"
    )
    queue.signature = Signature.objects.create(
        name="Team", text="Regards,\n<OTRS_AGENT_UserFirstname>"
    )
    queue.save()
    return queue


def test_it_builds_a_reply_from_salutation_template_signature_and_quote(texts, ticket, article):
    agent = factories.agent("bob", first_name="Bob")
    template = StandardTemplate.objects.create(
        name="Thanks", template_type=TemplateType.ANSWER, text="About <OTRS_TICKET_Title>: ok."
    )
    ticket.refresh_from_db()
    text = reply_text(ticket, article, agent, template)
    head, quoted = text.split("wrote:\n")
    assert head.startswith(
        "Dear Carla Customer,\n\nAbout Printer on fire: ok.\n\nRegards,\nBob\n\nOn "
    )
    assert "Carla C. wrote:" in text
    assert quoted == quote(BODY) + "\n"


def test_it_leaves_out_invalid_and_missing_texts(texts, ticket, article):
    Salutation.objects.update(is_valid=False)
    ticket.refresh_from_db()
    text = reply_text(ticket, article, factories.agent("bob", first_name="Bob"))
    assert text.startswith("Regards,\nBob\n\nOn ")


def test_it_forwards_with_the_original_headers_unquoted(texts, ticket, article):
    ticket.refresh_from_db()
    text = forward_text(ticket, article, factories.agent("bob", first_name="Bob"))
    assert text.startswith("Regards,\nBob\n\n---- Forwarded message from Carla C. ----")
    assert 'From: "Carla C." <carla@acme.example>\nTo: support@example.com\n' in text
    assert f"\n{BODY}\n" in text
    assert text.rstrip().endswith("---- End of forwarded message ----")


def test_it_renders_the_reply_in_the_active_language(texts, ticket, article):
    ticket.refresh_from_db()
    with translation.override("de"):
        text = reply_text(ticket, article, factories.agent("bob", first_name="Bob"))
    assert "wrote:" not in text  # "schrieb" in German, once the catalogue has it


def test_it_quotes_the_body_only_in_the_capital_or_counted_form(ticket, article):
    assert expand("<OTRS_CUSTOMER_Body>", ticket, article) == BODY
    assert expand("<OTRS_CUSTOMER_BODY>", ticket, article) == quote(BODY)
    assert expand("<OTRS_CUSTOMER_body[2]>", ticket, article) == "> Hello,\n>"


def test_it_quotes_an_empty_body_as_nothing():
    assert quote("") == "" and quote("\n\n") == ""

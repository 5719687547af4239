"""The customer portal's frame and accounts: sign-in and sign-out, who is refused where,
password reset and self-registration by mail through a real SMTP server, preferences, CSRF."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

import otrs.settings as project
from customer_portal.views.accounts import home_url
from customers.actions import CustomerUserInput, create_customer_user, set_customer_user_validity
from customers.models import CustomerCompany, CustomerUser
from otrs.accounts.models import User, UserKind, system_user
from otrs.mail.models import OutboundKind, OutboundMessage, OutboundStatus
from tests import factories

LOGIN = "/customer/login/"
LOGOUT = "/customer/logout/"
PREFERENCES = "/customer/preferences/"
PASSWORD = "/customer/password/"
RESET = "/customer/password-reset/"
REGISTER = "/customer/register/"
PASSWORD_OF_CAROL = "Carol-Secret-2024"
NEW_PASSWORD = "a-much-Longer-one-42"
INVALID_LOGIN = "The login or the password is not correct."


# --- personas and helpers ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _mail_through_the_queue(settings):
    """pytest-django swaps the mail backend for its in-memory one; these tests use the
    project's (the persistent queue, sent to the test's SMTP server or outbox)."""
    settings.EMAIL_BACKEND = "otrs.mail.backend.QueueBackend"


def make_customer(login: str, email: str, *, company=None, valid: bool = True) -> CustomerUser:
    return create_customer_user(
        CustomerUserInput(
            login=login, email=email, first_name=login.title(), company=company, is_valid=valid
        ),
        password=PASSWORD_OF_CAROL,
        actor=factories.system(),
    )


@pytest.fixture
def company(db):
    return CustomerCompany.objects.create(customer_id="ACME", name="Acme Ltd")


@pytest.fixture
def carol(company):
    return make_customer("carol", "carol@example.com", company=company).user


@pytest.fixture
def agent(db):
    return factories.agent("alice", first_name="Alice", last_name="Agentson")


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def errors_of(response) -> list[str]:
    return [str(error) for error in response.context["form"].non_field_errors()]


def portal_pages() -> list[str]:
    """Every portal page behind the customer gate: the account pages here, and the ticket
    pages once they exist."""
    pages = [PREFERENCES, PASSWORD]
    for name, args in [("customer:tickets", []), ("customer:ticket_create", [])]:
        with contextlib.suppress(NoReverseMatch):
            pages.append(reverse(name, args=args))
    return pages


def mail_text(raw: bytes) -> str:
    """Headers and decoded text of a mail (received by the SMTP server, or still queued)."""
    message = message_from_bytes(bytes(raw), policy=policy.default)
    headers = "".join(f"{name}: {value}\n" for name, value in message.items())
    return f"{headers}\n{message.get_body(('plain',)).get_content()}"


def mailed_link(raw: bytes) -> str:
    """The one portal link with a token in a mail, as a path for the test client."""
    (url,) = re.findall(
        rf"{re.escape(settings.SITE_URL)}/customer/[-\w/]+/[\w]+/[-\w]+/", mail_text(raw)
    )
    return urlsplit(url).path


# --- signing in and out ------------------------------------------------------------------------


def test_it_signs_a_customer_in_and_out(client, carol):
    response = sign_in(client, "carol", PASSWORD_OF_CAROL)
    assert (response.status_code, response.url) == (302, home_url())
    assert client.get(PREFERENCES).status_code == 200

    assert client.get(LOGOUT).status_code == 405  # sign-out is a POST
    response = client.post(LOGOUT)
    assert (response.status_code, response.url) == (302, LOGIN)
    assert not signed_in(client)
    assert client.get(PREFERENCES).status_code == 302


def test_it_returns_to_the_page_asked_for(client, carol):
    response = client.get(PREFERENCES)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={PREFERENCES}"
    response = client.post(
        LOGIN, {"username": "carol", "password": PASSWORD_OF_CAROL, "next": PREFERENCES}
    )
    assert response.url == PREFERENCES


def test_it_refuses_agents_and_the_system_user_like_a_wrong_password(client, carol, agent):
    system = factories.system()
    system.set_password("x")
    system.save()
    wrong = sign_in(client, "carol", "wrong")
    unknown = sign_in(client, "nobody", "x")
    as_agent = sign_in(client, "alice", "x")
    as_system = sign_in(client, "system", "x")
    for response in (wrong, unknown, as_agent, as_system):
        assert response.status_code == 200
        assert errors_of(response) == [INVALID_LOGIN]
        assert not signed_in(client)
    assert "agent" not in as_agent.content.decode().lower()


def test_it_refuses_invalid_customers_and_logins_without_a_customer_user(client, company):
    invalid = make_customer("ivan", "ivan@example.com", company=company)
    set_customer_user_validity(invalid, False, actor=factories.system())
    # Only the customer user invalid, the login still active: the portal's own check.
    half = make_customer("hal", "hal@example.com", company=company)
    CustomerUser.objects.filter(pk=half.pk).update(is_valid=False)
    orphan = factories.customer("orphan")  # kind customer, no customer user
    orphan.set_password(PASSWORD_OF_CAROL)
    orphan.save()
    for username in ("ivan", "hal", "orphan"):
        response = sign_in(client, username, PASSWORD_OF_CAROL)
        assert errors_of(response) == [INVALID_LOGIN], username
        assert not signed_in(client)


def test_it_throttles_repeated_failures(client, carol):
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "carol", "wrong")
    response = sign_in(client, "carol", PASSWORD_OF_CAROL)
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert not signed_in(client)
    # Another login, from this address or another, is not affected; nor is carol elsewhere.
    make_customer("dave", "dave@example.com")
    assert sign_in(Client(), "dave", PASSWORD_OF_CAROL).status_code == 302
    assert sign_in(Client(REMOTE_ADDR="10.9.8.7"), "dave", PASSWORD_OF_CAROL).status_code == 302
    assert sign_in(Client(REMOTE_ADDR="10.9.8.7"), "carol", PASSWORD_OF_CAROL).status_code == 302


def test_agents_trying_the_portal_count_as_failures(client, agent):
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "alice", "x")
    assert "Too many failed sign-ins" in sign_in(client, "alice", "x").content.decode()


def test_the_sign_in_page_offers_password_reset_but_no_registration_by_default(client, db):
    page = client.get(LOGIN).content.decode()
    assert RESET in page
    assert REGISTER not in page


# --- who gets what -----------------------------------------------------------------------------


def test_an_agent_gets_the_portals_refusal_on_every_portal_page(client, agent):
    agent.is_staff = agent.is_superuser = True
    agent.save()
    client.force_login(agent)
    for url in portal_pages():
        responses = [client.get(url)]
        if url in (PREFERENCES, PASSWORD):
            responses.append(client.post(url, {"language": "de"}))
        for response in responses:
            assert response.status_code == 403, url
            page = response.content.decode()
            assert "Customer portal only" in page
            assert "Alice" not in page and "alice" not in page
    # The refusal offers a way out and takes nothing from the agent.
    assert f'action="{LOGOUT}"' in client.get(PREFERENCES).content.decode()
    agent.refresh_from_db()
    assert agent.language == ""


def test_a_customer_gets_nothing_in_the_agent_portal_or_the_admin(client, carol, support):
    factories.ticket(support.queue, title="Secret internal matter")
    carol.is_staff = carol.is_superuser = True  # whatever flags the account has
    carol.save()
    client.force_login(carol)
    for url in ["/agent/", "/agent/queues/", "/agent/search/?q=Secret", "/agent/preferences/"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Secret internal matter" not in response.content.decode()
    for url in ["/admin/", "/admin/tickets/ticket/", "/admin/accounts/user/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/admin/login/")
    assert (
        client.get("/admin/tickets/ticket/", follow=True)
        .content.decode()
        .count("Secret internal matter")
        == 0
    )


def test_a_customer_made_invalid_is_signed_out_on_the_next_request(client, carol):
    client.force_login(carol)
    assert client.get(PREFERENCES).status_code == 200
    CustomerUser.objects.filter(user=carol).update(is_valid=False)
    response = client.get(PREFERENCES)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert not signed_in(client)


def test_a_deactivated_login_is_signed_out(client, carol):
    client.force_login(carol)
    User.objects.filter(pk=carol.pk).update(is_active=False)
    response = client.get(PREFERENCES)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_idle_sessions_expire_in_the_portal_too(client, carol):
    client.force_login(carol)
    client.get(PREFERENCES)
    # Renewed on every request, up to the idle limit.
    assert 0 < client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(PREFERENCES)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# --- the frame ---------------------------------------------------------------------------------


def test_the_frame_has_the_portal_links_and_no_script(client, carol):
    client.force_login(carol)
    page = client.get(PREFERENCES).content.decode()
    assert '<html lang="en">' in page
    assert 'href="#content"' in page and 'id="content"' in page
    assert "/static/otrs/customer.css" in page
    assert "agent.css" not in page and "<script" not in page
    assert "Preferences" in page and "Sign out" in page
    assert f'<form method="post" action="{LOGOUT}">' in page
    for name, text in [
        ("customer:tickets", "My tickets"),
        ("customer:ticket_create", "New ticket"),
    ]:
        try:
            assert reverse(name) in page and text in page
        except NoReverseMatch:
            assert text not in page


# --- password reset ----------------------------------------------------------------------------


def test_a_password_reset_goes_out_by_mail_and_works_once(
    client, carol, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESET, {"login": "Carol@Example.com"})
    assert response.status_code == 302
    assert response.url == "/customer/password-reset/sent/"

    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["carol@example.com"]
    assert received.mail_from == "helpdesk@localhost"
    assert received.message["Subject"] == "Reset your password"
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert OutboundMessage.objects.get().status == OutboundStatus.SENT
    link = mailed_link(received.raw)

    page = client.get(link, follow=True)
    assert page.context["validlink"] is True
    form_url = page.redirect_chain[-1][0]
    assert "set-password" in form_url
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == "/customer/password-reset/done/"

    assert sign_in(client, "carol", PASSWORD_OF_CAROL).status_code == 200
    assert sign_in(client, "carol", NEW_PASSWORD).status_code == 302

    # The link is used up: the password it was made for has changed.
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False
    assert "This link cannot be used" in again.content.decode()


def test_a_tampered_reset_link_is_refused(client, carol):
    client.post(RESET, {"login": "carol"})
    link = mailed_link(OutboundMessage.objects.get().raw)
    uid, token = link.rstrip("/").split("/")[-2:]
    tampered = f"/customer/password-reset/{uid}/{token[:-1]}{'a' if token[-1] != 'a' else 'b'}/"
    page = client.get(tampered, follow=True)
    assert page.context["validlink"] is False
    assert "The link is invalid, has expired or was already used" in page.content.decode()
    carol.refresh_from_db()
    assert carol.check_password(PASSWORD_OF_CAROL)


def test_a_reset_for_an_unknown_or_non_customer_address_looks_the_same_and_sends_nothing(
    client, carol, agent
):
    agent.email = "alice@example.com"
    agent.save()
    invalid = make_customer("ivan", "ivan@example.com")
    set_customer_user_validity(invalid, False, actor=factories.system())
    known = client.post(RESET, {"login": "carol@example.com"})
    assert OutboundMessage.objects.count() == 1
    for value in ("nobody@example.com", "alice@example.com", "alice", "ivan", "system"):
        response = client.post(RESET, {"login": value})
        assert (response.status_code, response.url) == (known.status_code, known.url), value
    assert OutboundMessage.objects.count() == 1


def test_a_reset_link_made_for_an_agent_does_not_work_in_the_portal(client, agent):
    uid = urlsafe_base64_encode(force_bytes(agent.pk))
    token = default_token_generator.make_token(agent)
    page = client.get(f"/customer/password-reset/{uid}/{token}/", follow=True)
    assert page.context["validlink"] is False


def test_the_reset_form_says_what_is_missing(client, db):
    response = client.post(RESET, {"login": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["login"] == ["This field is required."]


# --- the mail backend --------------------------------------------------------------------------


def test_the_project_sends_django_mail_through_the_queue():
    assert project.EMAIL_BACKEND == "otrs.mail.backend.QueueBackend"
    assert project.DEFAULT_FROM_EMAIL == project.NOTIFICATION_FROM


def test_mail_waits_for_the_commit_and_a_rollback_sends_nothing(
    db, smtp_server, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        mail.send_mail("Lost", "Never sent.", None, ["x@example.com"])
        raise RuntimeError("rolled back")
    assert OutboundMessage.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert mail.send_mail("Kept", "Sent after the commit.", None, ["x@example.com"]) == 1
    assert smtp_server.messages == []  # queued, not sent, until the commit
    row = OutboundMessage.objects.get()
    assert (row.kind, row.status, row.recipients) == (
        OutboundKind.SYSTEM,
        OutboundStatus.QUEUED,
        ["x@example.com"],
    )
    assert row.envelope_from == "helpdesk@localhost"
    assert row.message_id.endswith("@localhost>")
    # The commit: its callbacks run, and those they register in turn (the queue's handler).
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    (received,) = smtp_server.messages
    assert received.message["Subject"] == "Kept"
    assert received.message["From"] == "Help desk <helpdesk@localhost>"


def test_a_mail_server_that_is_down_delays_the_mail(
    db, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.refuse_data("451 4.3.0 Try again later")
    with django_capture_on_commit_callbacks(execute=True):
        mail.send_mail("Later", "Body.", None, ["x@example.com"])
    row = OutboundMessage.objects.get()
    assert (row.status, row.attempts) == (OutboundStatus.QUEUED, 1)
    assert smtp_server.messages == []


def test_bcc_is_a_recipient_but_no_header(db):
    message = mail.EmailMessage("Hi", "Body.", None, ["to@example.com"], bcc=["b@example.com"])
    assert message.send() == 1
    row = OutboundMessage.objects.get()
    assert row.recipients == ["to@example.com", "b@example.com"]
    assert b"b@example.com" not in bytes(row.raw)


# --- self-registration -------------------------------------------------------------------------


def registration(**changes) -> dict:
    data = {
        "first_name": "Rita",
        "last_name": "Registers",
        "email": "Rita@Example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(changes)
    return data


def test_registration_is_off_by_default(client, db):
    assert settings.CUSTOMER_SELF_REGISTRATION is False
    assert client.get(REGISTER).status_code == 404
    assert client.post(REGISTER, registration()).status_code == 404
    assert client.get("/customer/register/sent/").status_code == 404
    assert client.get("/customer/register/confirm/MQ/abc-def/").status_code == 404
    assert User.objects.filter(username="rita@example.com").count() == 0


def test_a_visitor_registers_confirms_by_mail_and_signs_in(
    client, db, settings, smtp_server, django_capture_on_commit_callbacks
):
    settings.CUSTOMER_SELF_REGISTRATION = True
    assert REGISTER in client.get(LOGIN).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, registration())
    assert (response.status_code, response.url) == (302, "/customer/register/sent/")
    assert "Check your mail" in client.get(response.url).content.decode()

    customer = CustomerUser.objects.select_related("user").get(user__username="rita@example.com")
    assert (customer.email, customer.company, customer.is_valid) == (
        "Rita@Example.com",
        None,
        False,
    )
    assert (customer.user.kind, customer.user.first_name) == (UserKind.CUSTOMER, "Rita")
    # Not usable before the address is confirmed.
    assert errors_of(sign_in(client, "rita@example.com", NEW_PASSWORD)) == [INVALID_LOGIN]

    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["Rita@Example.com"]
    assert received.message["Subject"] == "Confirm your registration"
    link = mailed_link(received.raw)
    assert "Activate my account" in client.get(link).content.decode()

    wrong = client.post(link, {"password": "not-the-one"})
    assert wrong.status_code == 200
    assert "This is not the password chosen when registering" in wrong.content.decode()
    assert not signed_in(client)

    response = client.post(link, {"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)
    customer.refresh_from_db()
    customer.user.refresh_from_db()
    assert customer.is_valid and customer.user.is_active
    assert customer.customer_ids() == []  # no company: the ticket pages use the login
    # The link confirms once.
    assert Client().get(link).context["validlink"] is False
    client.post(LOGOUT)
    assert sign_in(client, "Rita@Example.COM", NEW_PASSWORD).status_code == 302
    # An agent switches the account off: the old link cannot switch it on again.
    client.post(LOGOUT)

    set_customer_user_validity(customer, False, actor=system_user())
    assert Client().get(link).context["validlink"] is False
    Client().post(link, {"password": NEW_PASSWORD})
    customer.refresh_from_db()
    assert not customer.is_valid


def test_registration_shows_precise_errors_and_keeps_the_input(client, db, settings):
    settings.CUSTOMER_SELF_REGISTRATION = True
    response = client.post(
        REGISTER,
        registration(email="not-an-address", password1="short", password2="other"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["email"] == ["Enter a valid email address."]
    assert [error.code for error in errors.as_data()["password2"]] == ["password_mismatch"]
    page = response.content.decode()
    assert 'value="Rita"' in page and 'value="Registers"' in page
    assert 'value="not-an-address"' in page
    assert "short" not in page  # passwords are never sent back

    response = client.post(REGISTER, registration(password1="rita", password2="rita"))
    assert "This password is too short" in " ".join(response.context["form"].errors["password2"])
    response = client.post(
        REGISTER, registration(password1="RitaRegisters", password2="RitaRegisters")
    )
    assert "too similar" in " ".join(response.context["form"].errors["password2"])
    assert User.objects.filter(kind=UserKind.CUSTOMER).count() == 0
    assert OutboundMessage.objects.count() == 0


@pytest.mark.parametrize("holder", ["customer", "agent", "pending"])
def test_a_registration_for_a_used_address_looks_the_same_and_mails_the_owner(
    client, db, settings, agent, holder
):
    settings.CUSTOMER_SELF_REGISTRATION = True
    address = "taken@example.com"
    if holder == "customer":
        make_customer("tina", address)
    elif holder == "agent":
        agent.email = address
        agent.save()
    else:
        client.post(REGISTER, registration(email=address))
        OutboundMessage.objects.all().delete()
    users = User.objects.count()

    fresh = Client().post(REGISTER, registration(email="fresh@example.com"))
    taken = client.post(
        REGISTER,
        registration(email=address.upper(), password1="Other-pass-77", password2="Other-pass-77"),
    )
    assert (taken.status_code, taken.url) == (fresh.status_code, fresh.url)
    assert User.objects.count() == users + 1  # only the fresh address got an account

    mails = {row.recipients[0].lower(): row for row in OutboundMessage.objects.all()}
    text = mail_text(mails[address].raw)
    if holder == "customer":
        assert "Subject: You already have an account" in text
        assert "tina" in text and f"{settings.SITE_URL}{RESET}" in text
    else:
        assert "Subject: Your registration" in text
        assert "cannot be registered" in text
        assert "alice" not in text
    assert "/register/confirm/" not in text
    if holder == "pending":
        # The first registration's password still stands.
        assert User.objects.get(username=address).check_password(NEW_PASSWORD)


# --- preferences -------------------------------------------------------------------------------


def test_a_customer_switches_the_portal_to_german(client, carol):
    client.force_login(carol)
    response = client.post(PREFERENCES, {"language": "de", "time_zone": "Europe/Berlin"})
    assert (response.status_code, response.url) == (302, PREFERENCES)
    carol.refresh_from_db()
    assert (carol.language, carol.time_zone) == ("de", "Europe/Berlin")
    page = client.get(PREFERENCES)
    assert page.wsgi_request.LANGUAGE_CODE == "de"
    html = page.content.decode()
    assert '<html lang="de">' in html
    assert "Einstellungen" in html and "Abmelden" in html
    assert "Ihre Einstellungen wurden gespeichert." in html

    # And back to the browser's language.
    client.post(PREFERENCES, {"language": "", "time_zone": ""}, HTTP_ACCEPT_LANGUAGE="en")
    html = client.get(PREFERENCES, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html


def test_preferences_refuse_an_unknown_time_zone_and_keep_the_input(client, carol):
    client.force_login(carol)
    response = client.post(PREFERENCES, {"language": "de", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert '<option value="de" selected>' in response.content.decode()
    carol.refresh_from_db()
    assert (carol.language, carol.time_zone) == ("", "")


def test_a_customer_changes_the_password_with_the_old_one(client, carol):
    client.force_login(carol)
    response = client.post(
        PASSWORD,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    response = client.post(
        PASSWORD,
        {
            "old_password": PASSWORD_OF_CAROL,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert (response.status_code, response.url) == (302, PREFERENCES)
    assert client.get(PREFERENCES).status_code == 200  # still signed in
    carol.refresh_from_db()
    assert carol.check_password(NEW_PASSWORD)


# --- CSRF --------------------------------------------------------------------------------------


def test_every_portal_form_needs_the_csrf_token(carol, settings):
    settings.CUSTOMER_SELF_REGISTRATION = True
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "carol", PASSWORD_OF_CAROL).status_code == 403
    assert client.post(RESET, {"login": "carol"}).status_code == 403
    assert client.post(REGISTER, registration()).status_code == 403

    # With the token of the page, the same sign-in works.
    client.get(LOGIN)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        LOGIN, {"username": "carol", "password": PASSWORD_OF_CAROL, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    # Signed in, a form posted without the token is refused and changes nothing.
    for url, data in [
        (PREFERENCES, {"language": "de", "time_zone": ""}),
        (PASSWORD, {"old_password": PASSWORD_OF_CAROL}),
        (LOGOUT, {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert signed_in(client)
    carol.refresh_from_db()
    assert carol.language == ""

"""The notification admin's tools (issue 15): a test mail to the admin's own address over a
real SMTP server that writes nothing; YAML export and import (precise errors, nothing
written on a refusal, overwrite or skip for existing names); built-in names translated in
the list."""

from __future__ import annotations

import pytest
import yaml
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from tests import factories
from tests.tickets.test_customer_notifications import answer, customer_user
from tickets.automation import notification_yaml
from tickets.models import TicketNotification, TicketNotificationText

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return User.objects.create_superuser(
        "toolroot",
        "toolroot@example.test",
        "pw",
        kind=UserKind.AGENT,
        first_name="Tilda",
        last_name="Root",
    )


@pytest.fixture
def root(client, admin_user):
    client.force_login(admin_user)
    return client


def row_counts() -> dict[str, int]:
    """Rows of every table but the sessions (a signed-in admin's session may change)."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model is not Session and model._meta.managed
    }


# --- test mail ---------------------------------------------------------------------------------


def test_the_test_mail_goes_to_the_admins_address_and_writes_nothing(
    smtp_server, root, support, settings
):
    settings.SITE_URL = "https://desk.example.org"
    customer_user("tmcarla", "tmcarla@acme.example")
    ticket = factories.ticket(support.queue, title="Printer on fire", customer_user="tmcarla")
    answer(ticket, support.rw, "Please switch it off and on again.")
    closed = TicketNotification.objects.get(key="customer_ticket_closed")
    url = reverse("admin:tickets_ticketnotification_test_mail", args=[closed.pk])
    assert root.get(url).status_code == 200
    before = row_counts()

    page = root.post(
        url, {"ticket": ticket.number, "event": "TicketClosed", "language": "de"}, follow=True
    )

    assert page.status_code == 200
    assert "toolroot@example.test" in page.content.decode()
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["toolroot@example.test"]
    message = received.message
    assert message["To"] == "Tilda Root <toolroot@example.test>"
    assert (
        # The parsed header of a non-ASCII subject keeps the space of its fold.
        message["Subject"].strip()
        == f"[Ticket#{ticket.number}] Ihr Ticket wurde geschlossen: Printer on fire"
    )
    text = message.get_content().replace("\r\n", "\n")
    # The customer's mail as the customer would get it, in the language chosen.
    assert text.startswith("Hallo Carla Customer,\n")
    assert "Please switch it off and on again." in text
    assert f"https://desk.example.org/customer/tickets/{ticket.pk}/" in text
    assert row_counts() == before


def test_the_test_mail_of_an_agent_notification_names_the_admin(smtp_server, root, support):
    ticket = factories.ticket(support.queue, title="Printer on fire")
    new_ticket = TicketNotification.objects.get(key="new_ticket")
    url = reverse("admin:tickets_ticketnotification_test_mail", args=[new_ticket.pk])

    root.post(url, {"ticket": ticket.number, "event": "TicketCreate", "language": "en"})

    (received,) = smtp_server.messages
    assert received.message["Subject"] == f"[Ticket#{ticket.number}] New ticket: Printer on fire"


def test_the_test_mail_refuses_bad_input_and_sends_nothing(smtp_server, root, admin_user):
    new_ticket = TicketNotification.objects.get(key="new_ticket")
    url = reverse("admin:tickets_ticketnotification_test_mail", args=[new_ticket.pk])

    page = root.post(url, {"ticket": "999", "event": "TicketCreate", "language": "en"})
    assert page.status_code == 400 and "There is no ticket" in page.content.decode()
    page = root.post(url, {"ticket": "999", "event": "NoSuchEvent", "language": "fr"})
    assert page.status_code == 400
    missing = reverse("admin:tickets_ticketnotification_test_mail", args=[987654])
    assert root.get(missing).status_code == 404
    admin_user.email = ""
    admin_user.save()
    page = root.get(url)
    assert "Your account has no mail address" in page.content.decode()
    assert smtp_server.messages == []


def test_the_test_mail_needs_the_admin(client, support):
    new_ticket = TicketNotification.objects.get(key="new_ticket")
    client.force_login(support.rw)
    url = reverse("admin:tickets_ticketnotification_test_mail", args=[new_ticket.pk])
    assert client.get(url).status_code in (302, 403, 404)


# --- YAML --------------------------------------------------------------------------------------


def export(root, *keys) -> str:
    pks = TicketNotification.objects.filter(key__in=keys).values_list("pk", flat=True)
    response = root.post(
        reverse("admin:tickets_ticketnotification_changelist"),
        {"action": "export_yaml", "_selected_action": [str(pk) for pk in pks]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml"
    return response.content.decode()


def upload(root, text: str, **extra):
    url = reverse("admin:tickets_ticketnotification_import")
    data = {"file": SimpleUploadedFile("n.yaml", text.encode(), "application/yaml"), **extra}
    return root.post(url, data)


def test_export_then_import_on_another_system_gives_the_same(root, support):
    follow = TicketNotification.objects.get(key="follow_up_unlocked")
    follow.recipient_agents.set([support.rw])
    text = export(root, "follow_up_unlocked", "customer_ticket_closed")
    data = yaml.safe_load(text)
    assert [n["key"] for n in data["notifications"]] == [
        "follow_up_unlocked",
        "customer_ticket_closed",
    ][:: -1 if data["notifications"][0]["key"] == "customer_ticket_closed" else 1]
    entry = next(n for n in data["notifications"] if n["key"] == "follow_up_unlocked")
    assert entry["ticket_filter"] == "lock = unlocked"
    assert entry["recipient_agents"] == ["rw_agent"]
    before = {
        n.key: (n.events, n.ticket_filter, n.recipients, sorted(n.texts.values_list("body")))
        for n in TicketNotification.objects.filter(key__in=["follow_up_unlocked"])
    }
    # "Another system": the two are gone, then imported.
    TicketNotification.objects.filter(
        key__in=["follow_up_unlocked", "customer_ticket_closed"]
    ).delete()

    page = upload(root, text)

    assert page.status_code == 302
    again = TicketNotification.objects.get(key="follow_up_unlocked")
    after = (
        again.events,
        again.ticket_filter,
        again.recipients,
        sorted(again.texts.values_list("body")),
    )
    assert after == before["follow_up_unlocked"]
    assert list(again.recipient_agents.all()) == [support.rw]
    closed = TicketNotification.objects.get(key="customer_ticket_closed")
    assert closed.recipients == ["customer"] and closed.texts.count() == 2


def _one(**fields) -> str:
    entry = {
        "name": "Prio to owner",
        "key": "prio-to-owner",
        "events": ["TicketPriorityUpdate"],
        "recipients": ["owner"],
        "texts": {"en": {"subject": "Prio <OTRS_TICKET_Title>", "body": "Prio."}},
        **fields,
    }
    return yaml.safe_dump({"format": 1, "notifications": [entry]})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("notifications: [", "This is no YAML"),
        ("other: []", "The YAML has no list “notifications”."),
        (_one(events=["NoSuchEvent"]), "Notification Prio to owner: events: Select a valid"),
        (_one(recipients=["boss"]), "Notification Prio to owner: recipients: Select a valid"),
        (_one(recipient_groups=["nope"]), "recipient_groups: “nope” does not exist."),
        (_one(ticket_filter="colour = red"), "Notification Prio to owner: ticket_filter:"),
        (_one(texts={"xx": {"subject": "a", "body": "b"}}), "texts: unknown language “xx”."),
        (_one(valid="yes"), "valid must be true or false."),
    ],
)
def test_a_bad_file_gives_a_precise_error_and_writes_nothing(root, text, message):
    count = TicketNotification.objects.count(), TicketNotificationText.objects.count()

    page = upload(root, text)

    assert page.status_code == 400
    assert message in page.content.decode().replace("&quot;", '"')
    assert (TicketNotification.objects.count(), TicketNotificationText.objects.count()) == count


def test_one_bad_entry_keeps_the_good_ones_out_too(root):
    good = yaml.safe_load(_one())["notifications"][0]
    bad = {**good, "name": "Broken", "key": "broken", "events": ["Nope"]}
    text = yaml.safe_dump({"notifications": [good, bad]})

    assert upload(root, text).status_code == 400
    assert not TicketNotification.objects.filter(key__in=["prio-to-owner", "broken"]).exists()


def test_an_existing_name_asks_and_then_overwrites_or_skips(root):
    closed = TicketNotification.objects.get(key="customer_ticket_closed")
    data = yaml.safe_load(export(root, "customer_ticket_closed"))
    data["notifications"][0]["texts"]["en"]["subject"] = "Closed: <OTRS_TICKET_Title>"
    data["notifications"].append(yaml.safe_load(_one())["notifications"][0])
    text = yaml.safe_dump(data, allow_unicode=True)

    asked = upload(root, text)

    page = asked.content.decode()
    assert asked.status_code == 200 and "exist already" in page and closed.name in page
    assert not TicketNotification.objects.filter(key="prio-to-owner").exists()
    url = reverse("admin:tickets_ticketnotification_import")

    kept = root.post(url, {"text": text, "existing": "skip"})
    assert kept.status_code == 302
    assert TicketNotification.objects.filter(key="prio-to-owner").exists()
    assert closed.texts.get(language="en").subject == "Your ticket was closed: <OTRS_TICKET_Title>"

    TicketNotification.objects.filter(key="prio-to-owner").delete()
    replaced = root.post(url, {"text": text, "existing": "overwrite"})
    assert replaced.status_code == 302
    assert TicketNotification.objects.get(pk=closed.pk).texts.get(language="en").subject == (
        "Closed: <OTRS_TICKET_Title>"
    )


def test_import_functions_refuse_an_unknown_event_naming_it():
    with pytest.raises(notification_yaml.ValidationError) as refused:
        notification_yaml.import_notifications(_one(events=["NoSuchEvent"]))
    assert any("NoSuchEvent" in m for m in refused.value.messages)


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_built_in_names_in_the_admins_language(root, admin_user):
    own = TicketNotification.objects.create(key="mine", name="My own notification")
    admin_user.language = "de"
    admin_user.save()

    page = root.get(
        reverse("admin:tickets_ticketnotification_changelist"), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()

    assert ">Ein neues Ticket in einer meiner Queues</a>" in page
    assert ">Der Kunde: sein Ticket wurde geschlossen</a>" in page
    assert f">{own.name}</a>" in page
    assert ">A new ticket in one of my queues</a>" not in page

"""Install the customer notifications as editable records: the three mails the code
(``tickets/customer_notifications.py``) sent until now, an agent's answer the customer did not
get by mail, a closed and a reopened ticket, to the ticket's customer, in English and German,
with the texts they had word for word. Frozen here on purpose (later code changes must not
change history)."""

from django.db import migrations

_EN_END = (
    "You can also answer this mail; please keep the ticket number in the subject.\n"
    "\n"
    "-- \n"
    "This mail was sent automatically.\n"
    "\n"
)
_DE_END = (
    "Sie können auch auf diese E-Mail antworten; bitte lassen Sie dabei die Ticketnummer im "
    "Betreff stehen.\n"
    "\n"
    "-- \n"
    "Diese E-Mail wurde automatisch versendet.\n"
    "\n"
)
_NUMBER = "<OTRS_CONFIG_Ticket::Hook><OTRS_TICKET_TicketNumber>"


def _en(intro, link):
    return (
        "<OTRS_NOTIFICATION_Greeting>\n"
        "\n"
        f"{intro}\n"
        "<OTRS_NOTIFICATION_CustomerArticle>\n"
        f"Ticket: {_NUMBER}\n"
        "Title: <OTRS_TICKET_Title>\n"
        "State: <OTRS_TICKET_State>\n"
        f"{link}\n"
        f"{_EN_END}"
    )


def _de(intro, link):
    return (
        "<OTRS_NOTIFICATION_Greeting>\n"
        "\n"
        f"{intro}\n"
        "<OTRS_NOTIFICATION_CustomerArticle>\n"
        f"Ticket: {_NUMBER}\n"
        "Titel: <OTRS_TICKET_Title>\n"
        "Status: <OTRS_TICKET_State>\n"
        f"{link}\n"
        f"{_DE_END}"
    )


_ANSWER_LINK = "<OTRS_NOTIFICATION_PortalAnswerLink>"
_LINK = "<OTRS_NOTIFICATION_PortalLink>"

DEFAULTS = [
    {
        "key": "customer_answer",
        "name": "The customer: an agent's answer they did not get by mail",
        "events": ["VisibleAnswer"],
        "texts": {
            "en": {
                "subject": "New answer to your ticket: <OTRS_TICKET_Title>",
                "body": _en(f"There is a new answer to your ticket {_NUMBER}.", _ANSWER_LINK),
            },
            "de": {
                "subject": "Neue Antwort auf Ihr Ticket: <OTRS_TICKET_Title>",
                "body": _de(f"Es gibt eine neue Antwort auf Ihr Ticket {_NUMBER}.", _ANSWER_LINK),
            },
        },
    },
    {
        "key": "customer_ticket_closed",
        "name": "The customer: their ticket was closed",
        "events": ["TicketClosed"],
        "texts": {
            "en": {
                "subject": "Your ticket was closed: <OTRS_TICKET_Title>",
                "body": _en(f"Your ticket {_NUMBER} was closed.", _LINK),
            },
            "de": {
                "subject": "Ihr Ticket wurde geschlossen: <OTRS_TICKET_Title>",
                "body": _de(f"Ihr Ticket {_NUMBER} wurde geschlossen.", _LINK),
            },
        },
    },
    {
        "key": "customer_ticket_reopened",
        "name": "The customer: their ticket was reopened",
        "events": ["TicketReopened"],
        "texts": {
            "en": {
                "subject": "Your ticket was reopened: <OTRS_TICKET_Title>",
                "body": _en(
                    f"Your ticket {_NUMBER} was reopened; we are working on it again.", _LINK
                ),
            },
            "de": {
                "subject": "Ihr Ticket wurde wiedereröffnet: <OTRS_TICKET_Title>",
                "body": _de(
                    f"Ihr Ticket {_NUMBER} wurde wiedereröffnet; wir bearbeiten es erneut.", _LINK
                ),
            },
        },
    },
]


def install(apps, schema_editor):
    notification = apps.get_model("tickets", "TicketNotification")
    text = apps.get_model("tickets", "TicketNotificationText")
    for entry in DEFAULTS:
        if notification.objects.filter(key=entry["key"]).exists():
            continue
        record = notification.objects.create(
            key=entry["key"],
            name=entry["name"],
            comment="",
            events=entry["events"],
            ticket_filter={},
            recipients=["customer"],
            once_per_day=False,
            # Customers have no notification preferences; agents have nothing to switch.
            agent_may_choose=False,
            enabled_by_default=True,
        )
        for language, words in entry["texts"].items():
            text.objects.create(notification=record, language=language, **words)


def remove(apps, schema_editor):
    keys = [entry["key"] for entry in DEFAULTS]
    apps.get_model("tickets", "TicketNotification").objects.filter(key__in=keys).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0029_notification_customer_recipient")]

    operations = [migrations.RunPython(install, remove)]

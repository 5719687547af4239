"""Custom fields of articles (OTRS: dynamic fields of the object type Article): the writer
(ticket history naming the article, an event), the note, phone-call and reply screens that
take them, and the zoom that shows them under each article."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from otrs.errors import DomainError
from otrs.fields.actions import FieldErrors, set_field_values
from otrs.fields.models import FieldValue
from otrs.fields.selectors import definitions, values_for
from tests import factories
from tests.tickets.views.test_create import _form as new_ticket_form
from tickets import actions
from tickets.actions import ticket_version
from tickets.choices import HistoryType
from tickets.models import Article, Ticket, TicketHistory

from .helpers import define

pytestmark = pytest.mark.django_db

SCREENS = {"note": "shown", "phone_call": "shown", "compose": "shown", "zoom": "shown"}


@pytest.fixture
def article_fields(db):
    return {
        "reason": define(
            "CallReason",
            "dropdown",
            object_type="article",
            options=["billing", "outage"],
            screens={**SCREENS, "note": "required"},
            labels={"de": "Anrufgrund"},
            order=1,
        ),
        "callback": define("CallbackOn", "date", object_type="article", screens=SCREENS, order=2),
        "hidden": define("Internal", "text", object_type="article", screens={}, order=3),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def article_values(article) -> dict:
    return values_for("article", [article], definitions("article"))[article.pk]


def test_the_engine_hands_articles_to_the_ticket_writer_with_history_and_event(
    support, article_fields, outbox
):
    ticket = factories.ticket(support.queue)
    article = factories.note(ticket, actor=support.rw)

    changes = set_field_values(
        article, {"CallReason": "billing", "CallbackOn": date(2031, 2, 3)}, actor=support.rw
    )
    set_field_values(article, {"CallReason": "outage"}, actor=support.rw)

    assert [c.definition.name for c in changes] == ["CallReason", "CallbackOn"]
    assert article_values(article) == {"CallReason": "outage", "CallbackOn": date(2031, 2, 3)}
    # Stored as the article's, not the ticket's.
    assert not FieldValue.objects.filter(object_type="ticket", object_id=ticket.pk).exists()
    rows = TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
    ).order_by("id")
    assert [(r.article_id, r.extra, r.old_value, r.new_value) for r in rows] == [
        (article.pk, {"field": "CallReason", "article": article.pk}, "", "billing"),
        (article.pk, {"field": "CallbackOn", "article": article.pk}, "", "2031-02-03"),
        (article.pk, {"field": "CallReason", "article": article.pk}, "billing", "outage"),
    ]
    events = outbox("TicketDynamicFieldUpdate")
    assert [(e[1], e[2]["article_id"], e[2]["field"], e[2]["new"]) for e in events] == [
        (ticket.pk, article.pk, "CallReason", "billing"),
        (ticket.pk, article.pk, "CallbackOn", "2031-02-03"),
        (ticket.pk, article.pk, "CallReason", "outage"),
    ]


def test_it_refuses_a_bad_value_naming_the_field_and_writes_nothing(support, article_fields):
    ticket = factories.ticket(support.queue)
    article = factories.note(ticket, actor=support.rw)
    with pytest.raises(FieldErrors, match="CallReason"):
        set_field_values(
            article, {"CallbackOn": date(2031, 1, 1), "CallReason": "nope"}, actor=support.rw
        )
    assert not FieldValue.objects.filter(object_type="article").exists()
    assert not TicketHistory.objects.filter(
        history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
    ).exists()


def test_ticket_fields_are_not_article_fields(support, article_fields):
    define("Product", "dropdown", options=["alpha"])
    article = factories.note(factories.ticket(support.queue), actor=support.rw)
    with pytest.raises(FieldErrors, match="no such custom field"):
        set_field_values(article, {"Product": "alpha"}, actor=support.rw)


def test_it_needs_rw_on_the_ticket(support, article_fields):
    article = factories.note(factories.ticket(support.queue), actor=support.rw)
    with pytest.raises(DomainError):
        set_field_values(article, {"CallReason": "billing"}, actor=support.ro)
    assert not FieldValue.objects.exists()


def test_a_new_article_carries_its_values_all_or_nothing(support, article_fields):
    ticket = factories.ticket(support.queue)
    before = Article.objects.count()
    with pytest.raises(FieldErrors):
        actions.add_article(
            ticket,
            actions.ArticleInput(body="b", subject="s"),
            actor=support.rw,
            article_field_values={"CallReason": "nope"},
        )
    assert Article.objects.count() == before
    created = actions.add_article(
        ticket,
        actions.ArticleInput(body="b", subject="s"),
        actor=support.rw,
        article_field_values={"CallReason": "billing"},
    )
    assert article_values(created) == {"CallReason": "billing"}


def test_the_note_screen_sets_the_new_articles_fields_and_requires_its_required_one(
    support, article_fields
):
    ticket = factories.ticket(support.queue)
    client = client_for(support.rw)
    url = reverse("agent:note", args=[ticket.pk])
    page = client.get(url).content.decode()
    assert 'name="field_CallReason"' in page and 'name="field_CallbackOn"' in page
    assert 'name="field_Internal"' not in page

    data = {"seen": ticket_version(ticket), "subject": "s", "body": "b"}
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert Article.objects.filter(ticket=ticket).count() == 1

    response = client.post(url, {**data, "field_CallReason": "outage"})
    assert response.status_code == 302
    note = Article.objects.filter(ticket=ticket).latest("id")
    assert article_values(note) == {"CallReason": "outage"}


def test_the_phone_call_screen_sets_the_calls_fields(support, article_fields):
    ticket = factories.ticket(support.queue)
    response = client_for(support.rw).post(
        reverse("agent:phone_inbound", args=[ticket.pk]),
        {
            "seen": ticket_version(ticket),
            "subject": "s",
            "body": "b",
            "field_CallbackOn": "2031-04-05",
        },
    )
    assert response.status_code == 302
    call = Article.objects.filter(ticket=ticket).latest("id")
    assert call.channel == "phone"
    assert article_values(call) == {"CallbackOn": date(2031, 4, 5)}


def test_the_reply_sets_the_answers_fields(support, article_fields):
    ticket = factories.ticket(support.queue)
    first = ticket.articles.get()
    url = reverse("agent:reply", args=[ticket.pk, first.pk])
    client = client_for(support.rw)
    assert 'name="field_CallReason"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "seen": ticket_version(ticket),
            "to": "carol@example.com",
            "subject": "Re",
            "body": "Done.",
            "field_CallReason": "billing",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    answer = Article.objects.filter(ticket=ticket).latest("id")
    assert answer.channel == "email"
    assert article_values(answer) == {"CallReason": "billing"}


def test_the_zoom_shows_each_articles_fields_under_it_in_the_readers_language(
    support, article_fields
):
    ticket = factories.ticket(support.queue)
    first = ticket.articles.get()
    note = factories.note(ticket, actor=support.rw)
    set_field_values(note, {"CallReason": "billing", "Internal": "psst"}, actor=support.rw)
    support.ro.language = "de"
    support.ro.save()
    page = client_for(support.ro).get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    section = page[page.index(f'id="article-{note.pk}"') :]
    section = section[: section.index("</article>")]
    assert 'data-field="CallReason"' in section and "Anrufgrund" in section
    assert "Billing" in section
    # A field the zoom does not show stays off the page; an article without values shows none.
    assert 'data-field="Internal"' not in page
    other = page[page.index(f'id="article-{first.pk}"') :]
    assert "article-fields" not in other[: other.index("</article>")]


def test_the_new_ticket_screens_set_the_first_articles_fields_apart_from_the_tickets(support):
    define("Product", "text", screens={"phone_ticket": "shown"})
    define(
        "CallReason",
        "dropdown",
        object_type="article",
        options=["billing", "outage"],
        screens={"phone_ticket": "required", "email_ticket": "shown"},
    )
    client = client_for(support.rw)
    url = reverse("agent:new_phone_ticket")
    page = client.get(url).content.decode()
    assert 'name="field_CallReason"' in page and 'name="field_Product"' in page
    data = new_ticket_form(support, customer="carol@example.com", field_Product="Laser 9")
    # The article field is required on this screen: refused, and nothing is made.
    assert client.post(url, data).status_code == 400
    assert not Ticket.objects.exists()
    # A value outside the field's list is refused as well, naming nothing else.
    assert client.post(url, {**data, "field_CallReason": "nope"}).status_code == 400
    assert not Ticket.objects.exists()

    response = client.post(url, {**data, "field_CallReason": "outage"})
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    first = ticket.articles.get()
    assert article_values(first) == {"CallReason": "outage"}
    assert values_for("ticket", [ticket], definitions("ticket"))[ticket.pk] == {
        "Product": "Laser 9"
    }
    # The history names the article whose field was set (as the other article screens do).
    assert (
        TicketHistory.objects.filter(
            ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
        ).count()
        == 2
    )

"""The ticket screens that show and set custom fields: zoom, free fields, note, close,
pending, new phone ticket; per-screen off / shown / required."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from otrs.fields.actions import set_field_values
from otrs.fields.models import FieldValue
from otrs.fields.selectors import definitions, values_for
from otrs.permissions import PermissionKey
from tests import factories
from tickets.actions import ticket_version
from tickets.choices import HistoryType
from tickets.models import SLA, Service, Ticket, TicketHistory, TicketType

from .helpers import define, every_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    return {
        "product": define("Product", "dropdown", options=["alpha", "beta"], order=1),
        "contract": define(
            "Contract",
            "text",
            settings={"regex": r"^C-\d+$", "regex_error": "Use C-digits."},
            order=2,
            screens={"free_fields": "required", "zoom": "shown"},
        ),
        "due": define("DueDate", "date", order=3, screens={"zoom": "shown"}),
        "hidden": define("Secret", "text", order=4, screens={}),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_zoom_shows_set_fields_of_its_screen_only(support, fields):
    ticket = factories.ticket(support.queue)
    set_field_values(
        ticket,
        {"Product": "beta", "DueDate": date(2031, 1, 2), "Secret": "psst"},
        actor=support.rw,
    )
    page = client_for(support.ro).get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert 'data-field="Product"' in page and "Beta" in page
    assert 'data-field="DueDate"' in page
    assert 'data-field="Secret"' not in page
    # Unset fields are not listed.
    assert 'data-field="Contract"' not in page


def free_fields_data(ticket, **overrides):
    data = {
        "seen": ticket_version(ticket),
        "title": "New title",
        "type": str(ticket.type_id),
        "service": "",
        "sla": "",
        "field_Product": "alpha",
        "field_Contract": "C-77",
    }
    data.update(overrides)
    return data


def test_free_fields_change_title_type_service_sla_and_fields_in_one_form(support, fields):
    ticket = factories.ticket(support.queue)
    new_type = TicketType.objects.create(name="Incident")
    service = Service.objects.create(name="Mail")
    sla = SLA.objects.create(name="Gold")
    sla.services.add(service)
    client = client_for(support.rw)
    url = reverse("agent:free_fields", args=[ticket.pk])
    form = client.get(url).content.decode()
    assert 'name="field_Product"' in form and 'name="field_Contract"' in form
    assert 'name="field_Secret"' not in form

    response = client.post(
        url,
        free_fields_data(ticket, type=str(new_type.pk), service=str(service.pk), sla=str(sla.pk)),
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.title, ticket.type_id, ticket.service_id, ticket.sla_id) == (
        "New title",
        new_type.pk,
        service.pk,
        sla.pk,
    )
    types = list(
        TicketHistory.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("history_type", "new_value")
    )[-6:]
    assert types == [
        (HistoryType.TITLE_UPDATE, "New title"),
        (HistoryType.TYPE_UPDATE, str(new_type.pk)),
        (HistoryType.SERVICE_UPDATE, str(service.pk)),
        (HistoryType.SLA_UPDATE, str(sla.pk)),
        (HistoryType.TICKET_DYNAMIC_FIELD_UPDATE, "alpha"),
        (HistoryType.TICKET_DYNAMIC_FIELD_UPDATE, "C-77"),
    ]


def test_free_fields_refuse_a_bad_value_on_its_field_and_change_nothing(support, fields):
    ticket = factories.ticket(support.queue)
    response = client_for(support.rw).post(
        reverse("agent:free_fields", args=[ticket.pk]),
        free_fields_data(ticket, field_Contract="nope"),
    )
    assert response.status_code == 400
    assert "Use C-digits." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.title != "New title"
    assert not FieldValue.objects.exists()


def test_free_fields_require_a_required_field(support, fields):
    ticket = factories.ticket(support.queue)
    response = client_for(support.rw).post(
        reverse("agent:free_fields", args=[ticket.pk]),
        free_fields_data(ticket, field_Contract=""),
    )
    assert response.status_code == 400
    assert not FieldValue.objects.exists()


def test_free_fields_need_rw(support, fields):
    ticket = factories.ticket(support.queue)
    url = reverse("agent:free_fields", args=[ticket.pk])
    assert client_for(support.ro).get(url).status_code == 404
    assert client_for(support.ro).post(url, free_fields_data(ticket)).status_code == 404


def test_free_fields_show_an_edit_conflict(support, fields):
    ticket = factories.ticket(support.queue)
    seen = ticket_version(ticket)
    other = factories.agent()
    factories.grant(other, support.group, factories.RW)
    set_field_values(ticket, {"Product": "beta"}, actor=other)
    response = client_for(support.rw).post(
        reverse("agent:free_fields", args=[ticket.pk]), free_fields_data(ticket, seen=seen)
    )
    assert response.status_code == 409
    assert FieldValue.objects.get(field__name="Product").value_text == "beta"


def test_the_note_screen_sets_its_fields(support, fields):
    ticket = factories.ticket(support.queue)
    response = client_for(support.rw).post(
        reverse("agent:note", args=[ticket.pk]),
        {"seen": ticket_version(ticket), "subject": "s", "body": "b", "field_Product": "beta"},
    )
    assert response.status_code == 302
    assert FieldValue.objects.get(field__name="Product", object_id=ticket.pk).value_text == "beta"


def test_the_phone_ticket_screen_sets_its_fields(support, fields):
    factories.grant(support.rw, support.group, PermissionKey.CREATE)
    client = client_for(support.rw)
    page = client.get(reverse("agent:new_phone_ticket")).content.decode()
    assert 'name="field_Product"' in page
    open_state = factories.state("open")
    response = client.post(
        reverse("agent:new_phone_ticket"),
        {
            "customer": "someone@example.test",
            "queue": str(support.queue.pk),
            "title": "Phone",
            "body": "Hello",
            "state": str(open_state.pk),
            "priority": str(factories.priority(3).pk),
            "type": str(TicketType.objects.first().pk),
            "field_Product": "alpha",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get(title="Phone")
    assert FieldValue.objects.get(object_id=ticket.pk).value_text == "alpha"


def _label_of(page: str, field_id: str) -> str:
    """The label of a field with the mark after it (outside the <label>, so the field's
    accessible name stays its label)."""
    start = page.index(f'<label for="{field_id}"')
    return page[start : page.index("</span>", page.index("</label>", start) + 8) + 7]


@pytest.mark.parametrize("language", ["en", "de"])
def test_required_fields_are_marked_for_eyes_and_assistive_technology(support, language):
    define("Contract", "text", screens={"note": "required", "free_fields": "required"})
    define("Product", "dropdown", options=["alpha"], screens={"note": "shown"})
    define("Sites", "multiselect", options=["berlin", "rome"], screens={"note": "required"})
    support.rw.language = language
    support.rw.save()
    ticket = factories.ticket(support.queue)
    client = client_for(support.rw)
    for url in (
        reverse("agent:note", args=[ticket.pk]),
        reverse("agent:free_fields", args=[ticket.pk]),
    ):
        page = client.get(url).content.decode()
        contract = _label_of(page, "id_field_Contract")
        assert 'class="required"' in contract
        assert ("Pflicht" if language == "de" else "required") in contract
        assert 'name="field_Contract"' in page and 'aria-required="true"' in page
    page = client.get(reverse("agent:note", args=[ticket.pk])).content.decode()
    # An optional field has no mark.
    assert 'class="required"' not in _label_of(page, "id_field_Product")
    # A group of checkboxes says it in its legend, to screen readers too.
    legend = page[
        page.index("<legend>Sites") : page.index("</legend>", page.index("<legend>Sites"))
    ]
    assert 'class="required"' in legend
    assert ("(Pflichtfeld)" if language == "de" else "(required)") in legend
    # Only the required inputs carry aria-required.
    assert page.count('aria-required="true"') == 1


def test_every_type_round_trips_through_the_form_history_search_and_csv(support):
    """One field of each type: the free-fields form sets it from its form text, shows it back,
    the history keeps its raw text, and the search and the CSV find and export it."""
    every_type()
    ticket = factories.ticket(support.queue)
    other = factories.ticket(support.queue, title="Other")
    client = client_for(support.rw)
    url = reverse("agent:free_fields", args=[ticket.pk])
    form_text = {
        "field_Contract": "C-123",
        "field_Notes": "Line one\r\nline two",
        "field_Urgent": "on",
        "field_Product": "beta",
        "field_Sites": ["paris", "berlin"],
        "field_Seats": "42",
        "field_Amount": "1234.50",
        "field_DueDate": "2031-05-17",
        "field_Visit": "2031-05-17T09:30",
        "field_Related": str(other.pk),
    }
    response = client.post(
        url,
        {
            "seen": ticket_version(ticket),
            "title": ticket.title,
            "type": ticket.type_id,
            **form_text,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    read = values_for("ticket", [ticket], definitions("ticket"))[ticket.pk]
    assert set(read) == {name[len("field_") :] for name in form_text}
    assert sorted(read["Sites"]) == ["berlin", "paris"]
    assert read["Seats"] == 42 and read["Amount"] == Decimal("1234.50")
    assert read["DueDate"] == date(2031, 5, 17) and read["Urgent"] is True
    assert read["Related"] == other.pk and read["Notes"] == "Line one\nline two"
    # Shown back in the form as it was typed.
    page = client.get(url).content.decode()
    for name in ("Contract", "Seats", "DueDate"):
        assert f'value="{form_text["field_" + name]}"' in page, name
    assert 'value="2031-05-17T09:30"' in page
    # The history: one row per field, raw text (keys, ISO dates), in the definitions' order.
    rows = TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
    ).order_by("id")
    history = {r.extra["field"]: r.new_value for r in rows}
    assert history["Product"] == "beta" and history["DueDate"] == "2031-05-17"
    assert history["Seats"] == "42" and history["Related"] == str(other.pk)
    assert len(history) == 10
    # The search finds it by each type, and the CSV exports each.
    search = reverse("agent:search") + "?"
    for params in (
        "df_Contract_op=equals&df_Contract=C-123",
        "df_Notes=one",
        "df_Urgent_op=equals&df_Urgent=1",
        "df_Product=beta",
        "df_Sites=paris",
        "df_Seats_op=equals&df_Seats=42",
        "df_Amount_from=1234&df_Amount_to=1235",
        "df_DueDate_op=equals&df_DueDate=2031-05-17",
        "df_Visit_from=2031-05-17 00:00&df_Visit_to=2031-05-18 00:00",
        f"df_Related_op=equals&df_Related={other.pk}",
    ):
        found = client.get(search + params)
        assert found.status_code == 200, params
        assert [t.pk for t in found.context["results"].rows] == [ticket.pk], params
    export = client.get(reverse("agent:search_export") + "?df_Product=beta")
    header, row = csv.reader(io.StringIO(b"".join(export.streaming_content).decode()))
    exported = dict(zip(header, row, strict=True))
    assert {name: exported[name] for name in ("Contract", "Product", "Seats", "DueDate")} == {
        "Contract": "C-123",
        "Product": "beta",
        "Seats": "42",
        "DueDate": "2031-05-17",
    }
    assert exported["Notes"] == "Line one\nline two" and exported["Urgent"] == "1"
    assert exported["Sites"] in ("paris, berlin", "berlin, paris")
    assert exported["Related"] == str(other.pk) and exported["Amount"] == "1234.5"

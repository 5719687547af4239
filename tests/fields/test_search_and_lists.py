"""Custom fields in the ticket search (every operator, every type), saved searches, the CSV
export, and as columns of the queue and search lists."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from otrs.fields.actions import set_field_values
from tests import factories
from tickets.models import SavedSearch

from .helpers import define, every_type

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def found_numbers(client, params) -> set[str]:
    response = client.get(reverse("agent:search") + "?" + urlencode(params, doseq=True))
    assert response.status_code == 200, response.content.decode()[:2000]
    rows = response.context["results"].rows
    return {t.number for t in rows}


@pytest.fixture
def world(support):
    every_type()
    one = factories.ticket(support.queue, title="One")
    two = factories.ticket(support.queue, title="Two")
    three = factories.ticket(support.queue, title="Three")
    set_field_values(
        one,
        {
            "Contract": "C-100",
            "Notes": "the printer is broken",
            "Urgent": True,
            "Product": "alpha",
            "Sites": ["paris", "rome"],
            "Seats": 5,
            "Amount": Decimal("10.50"),
            "DueDate": date(2031, 1, 10),
            "Visit": datetime(2031, 1, 10, 9, 0, tzinfo=BERLIN),
            "Related": two.pk,
        },
        actor=support.rw,
    )
    set_field_values(
        two,
        {
            "Contract": "C-200",
            "Urgent": False,
            "Product": "beta",
            "Sites": ["berlin"],
            "Seats": 50,
            "Amount": Decimal("99.99"),
            "DueDate": date(2031, 3, 1),
            "Visit": datetime(2031, 3, 1, 18, 0, tzinfo=BERLIN),
            "Related": one.pk,
        },
        actor=support.rw,
    )
    return type("World", (), {"one": one, "two": two, "three": three, "agent": support.rw})


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"df_Contract": "C-1"}, {"One"}),  # text: contains by default
        ({"df_Contract_op": "equals", "df_Contract": "C-200"}, {"Two"}),
        ({"df_Contract_op": "prefix", "df_Contract": "C-2"}, {"Two"}),
        ({"df_Contract_op": "in", "df_Contract": "C-100, C-200"}, {"One", "Two"}),
        ({"df_Contract_op": "empty"}, {"Three"}),
        ({"df_Contract_op": "not_empty"}, {"One", "Two"}),
        ({"df_Notes_op": "contains", "df_Notes": "printer"}, {"One"}),
        ({"df_Urgent_op": "equals", "df_Urgent": "1"}, {"One"}),
        ({"df_Urgent_op": "equals", "df_Urgent": "0"}, {"Two"}),
        ({"df_Product": ["alpha", "beta"]}, {"One", "Two"}),
        ({"df_Product": "beta"}, {"Two"}),
        ({"df_Product_op": "empty"}, {"Three"}),
        ({"df_Sites": "rome"}, {"One"}),
        ({"df_Seats_op": "range", "df_Seats_from": "10"}, {"Two"}),
        ({"df_Seats_op": "equals", "df_Seats": "5"}, {"One"}),
        ({"df_Amount_from": "10", "df_Amount_to": "11"}, {"One"}),
        ({"df_DueDate_from": "2031-02-01"}, {"Two"}),
        ({"df_DueDate_op": "equals", "df_DueDate": "2031-01-10"}, {"One"}),
        ({"df_Visit_to": "2031-02-01 00:00"}, {"One"}),
        ({"df_Related_op": "equals", "df_Related": "__two__"}, {"One"}),
    ],
)
def test_it_finds_tickets_by_each_type_and_operator(world, params, expected):
    params = {k: (world.two.number if v == "__two__" else v) for k, v in params.items()}
    numbers = found_numbers(client_for(world.agent), params)
    titles = {t.title: t.number for t in (world.one, world.two, world.three)}
    assert numbers == {titles[t] for t in expected}


def test_a_bad_search_value_is_an_error_on_its_field(world):
    response = client_for(world.agent).get(
        reverse("agent:search") + "?df_Seats_op=equals&df_Seats=many"
    )
    assert response.status_code == 400
    assert "Expected a whole number." in response.content.decode()


def test_a_saved_search_keeps_field_criteria(world):
    client = client_for(world.agent)
    query = urlencode({"df_Product": "beta", "df_Seats_from": "10"}, doseq=True)
    response = client.post(reverse("agent:saved_search_save"), {"name": "Beta", "query": query})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(name="Beta")
    assert saved.criteria == {"df_Product": ["beta"], "df_Seats_from": ["10"]}
    assert found_numbers(client, saved.criteria) == {world.two.number}


def test_the_search_list_and_csv_carry_the_fields_of_the_search_list_screen(world):
    client = client_for(world.agent)
    page = client.get(reverse("agent:search") + "?df_Product=alpha").content.decode()
    assert '<th scope="col" class="custom-field" data-field="Product">Product</th>' in page
    assert '<td class="custom-field">Alpha</td>' in page

    response = client.get(reverse("agent:search_export") + "?df_Product_op=not_empty")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = rows[0]
    assert header[-10:] == [
        "Contract",
        "Notes",
        "Urgent",
        "Product",
        "Sites",
        "Seats",
        "Amount",
        "DueDate",
        "Visit",
        "Related",
    ]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    one = by_number[world.one.number]
    assert one["Product"] == "alpha"
    assert one["Sites"] == "paris, rome"
    assert one["Seats"] == "5"
    assert one["Amount"] == "10.5"
    assert one["DueDate"] == "2031-01-10"
    assert one["Visit"] == "2031-01-10T08:00:00+00:00"  # raw: UTC
    assert one["Urgent"] == "1"
    assert one["Related"] == str(world.two.pk)


def test_the_queue_list_shows_its_columns(support):
    define("Product", "dropdown", options=["alpha"], screens={"queue_list": "shown"})
    define("Hidden", "text", screens={"search_list": "shown"})
    ticket = factories.ticket(support.queue)
    set_field_values(ticket, {"Product": "alpha", "Hidden": "x"}, actor=support.rw)
    page = (
        client_for(support.rw)
        .get(reverse("agent:queues") + f"?queue={support.queue.pk}")
        .content.decode()
    )
    assert 'data-field="Product"' in page and '<td class="custom-field">Alpha</td>' in page
    assert 'data-field="Hidden"' not in page

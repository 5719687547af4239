"""The Customer Information Center shows a customer user's and a company's custom fields and
their history: field entries by their translated label, value labels, old → new."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import actions
from otrs.fields.actions import delete_definition
from tests.fields.helpers import define

from . import company, customer_user, manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(db):
    return manager("cic")


def client_for(user, language: str = "") -> Client:
    user.language = language
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _history_section(page: str) -> str:
    start = page.index('class="card cic-history"')
    return page[start : page.index("</section>", start)]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_customer_user_page_shows_field_changes_old_to_new(agent, language):
    define(
        "ContractLevel",
        "dropdown",
        object_type="customer_user",
        options=["bronze", "gold"],
        labels={"de": "Vertragsstufe"},
        screens={"customer_user_edit": "shown"},
    )
    gina = customer_user("gina")
    data = actions.CustomerUserInput(login="gina", email="gina@example.com", phone="123")
    actions.update_customer_user(gina, data, actor=agent, field_values={"ContractLevel": "bronze"})
    actions.update_customer_user(gina, data, actor=agent, field_values={"ContractLevel": "gold"})

    page = client_for(agent, language).get(reverse("agent:customer_user", args=[gina.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    history = _history_section(text)
    label = "Vertragsstufe" if language == "de" else "ContractLevel"
    # Newest first: bronze → gold, then (none) → bronze; labels of the values, not keys.
    assert history.count(f'<span class="change-label">{label}</span>') == 2
    assert (
        '<span class="old">Bronze</span>' in history and '<span class="new">Gold</span>' in history
    )
    assert history.index('<span class="new">Gold</span>') < history.index(
        '<span class="new">Bronze</span>'
    )
    # The phone change is an attribute entry with a translated label.
    assert ("Telefon" if language == "de" else "Phone") in history
    assert ("Kundenbenutzer geändert" if language == "de" else "Customer user changed") in history
    # The current value is on the page too.
    assert 'data-field="ContractLevel"' in text


def test_the_company_page_shows_field_changes_and_survives_a_deleted_field(agent):
    seats = define(
        "Seats",
        "integer",
        object_type="customer_company",
        screens={"customer_company_edit": "shown"},
    )
    acme = company("ACME", "Acme")
    data = actions.CompanyInput(customer_id="ACME", name="Acme")
    actions.update_company(acme, data, actor=agent, field_values={"Seats": 10})
    actions.update_company(
        acme, dataclasses.replace(data, city="Berlin"), actor=agent, field_values={"Seats": 12}
    )
    client = client_for(agent)
    history = _history_section(
        client.get(reverse("agent:company", args=[acme.pk])).content.decode()
    )
    assert '<span class="old">10</span>' in history and '<span class="new">12</span>' in history
    assert "Berlin" in history
    # A field deleted since: its entries stay, named and valued as stored.
    delete_definition(seats, confirmed_count=1)
    history = _history_section(
        client.get(reverse("agent:company", args=[acme.pk])).content.decode()
    )
    assert '<span class="change-label">Seats</span>' in history


def test_a_password_change_names_no_values_and_a_new_customer_has_history(agent):
    gina = customer_user("gina")
    actions.set_customer_user_password(gina, "Tr0ub4dor-and-3", actor=agent)
    history = _history_section(
        client_for(agent).get(reverse("agent:customer_user", args=[gina.pk])).content.decode()
    )
    assert "Password changed" in history
    assert "Tr0ub4dor" not in history
    assert "Customer user added" in history


def test_the_history_costs_constant_queries(agent):
    define("Level", "text", object_type="customer_user", screens={"customer_user_edit": "shown"})
    gina = customer_user("gina")
    data = actions.CustomerUserInput(login="gina", email="gina@example.com")
    client = client_for(agent)
    url = reverse("agent:customer_user", args=[gina.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(8):
        actions.update_customer_user(
            gina,
            dataclasses.replace(data, phone=str(n)),
            actor=agent,
            field_values={"Level": f"L{n}"},
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    # Field definitions and companies are read once, whatever the number of entries.
    assert len(many.captured_queries) <= len(few.captured_queries) + 2

"""Custom fields on the agent portal's customer user and company forms: only the fields of
their object type configured for the form, required enforced, values and history through
the customer actions, bad values named and nothing half written."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import CustomerCompany, CustomerHistory, CustomerUser
from otrs.fields.models import FieldValue
from otrs.fields.selectors import values_for
from tests import factories
from tests.customers import company, customer_user, manager

from .helpers import define

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Tr0ub4dor-and-3"


@pytest.fixture
def boss(support):
    agent = manager("boss")
    factories.grant(agent, support.group, factories.RW)
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def fields(db):
    return {
        "level": define(
            "ContractLevel",
            "dropdown",
            object_type="customer_user",
            options=["bronze", "gold"],
            screens={"customer_user_edit": "required"},
        ),
        "hidden": define(
            "Nickname", "text", object_type="customer_user", screens={"customer_user_edit": "off"}
        ),
        "seats": define(
            "Seats",
            "integer",
            object_type="customer_company",
            settings={"min": 1, "max": 500},
            screens={"customer_company_edit": "shown"},
        ),
        # A ticket field with the same screen key would never show on a customer form.
        "ticket": define("Product", "text", screens={"customer_user_edit": "shown"}),
    }


def user_form(**overrides) -> dict:
    return {
        "login": "gina",
        "first_name": "Gina",
        "email": "gina@acme.example",
        "is_valid": "on",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        **overrides,
    }


def test_the_customer_user_form_offers_its_configured_fields_only(boss, fields):
    html = boss.get(reverse("agent:customer_user_add")).content.decode()
    assert 'name="field_ContractLevel"' in html
    assert 'name="field_Nickname"' not in html and 'name="field_Product"' not in html


def test_adding_a_customer_user_sets_fields_with_history(boss, fields):
    response = boss.post(reverse("agent:customer_user_add"), user_form(field_ContractLevel="gold"))
    assert response.status_code == 302, response.content.decode()
    gina = CustomerUser.objects.get(user__username="gina")
    assert values_for("customer_user", [gina], [fields["level"]])[gina.pk] == {
        "ContractLevel": "gold"
    }
    history = CustomerHistory.objects.get(customer_user=gina)
    assert history.changes["field:ContractLevel"] == ["", "gold"]


def test_a_required_customer_field_is_enforced_and_nothing_is_written(boss, fields):
    response = boss.post(reverse("agent:customer_user_add"), user_form())
    assert response.status_code == 400
    assert response.context["form"].errors["field_ContractLevel"]
    assert not CustomerUser.objects.filter(user__username="gina").exists()

    response = boss.post(reverse("agent:customer_user_add"), user_form(field_ContractLevel="tin"))
    assert response.status_code == 400
    assert response.context["form"].errors["field_ContractLevel"]
    assert not FieldValue.objects.exists()


def test_editing_a_customer_user_shows_and_changes_the_value(boss, fields):
    acme = company("ACME")
    carla = customer_user("carla", email="carla@acme.example", company=acme)
    boss.post(
        reverse("agent:customer_user_edit", args=[carla.pk]),
        user_form(login="carla", email="carla@acme.example", field_ContractLevel="bronze"),
    )
    page = boss.get(reverse("agent:customer_user_edit", args=[carla.pk])).content.decode()
    assert 'value="bronze" selected' in page
    response = boss.post(
        reverse("agent:customer_user_edit", args=[carla.pk]),
        user_form(login="carla", email="carla@acme.example", field_ContractLevel="gold"),
    )
    assert response.status_code == 302
    assert values_for("customer_user", [carla], [fields["level"]])[carla.pk] == {
        "ContractLevel": "gold"
    }
    logged = [
        h.changes["field:ContractLevel"]
        for h in CustomerHistory.objects.filter(customer_user=carla).order_by("id")
        if "field:ContractLevel" in h.changes
    ]
    assert logged == [["", "bronze"], ["bronze", "gold"]]


def test_the_company_form_sets_its_fields_and_names_a_bad_value(boss, fields):
    data = {"customer_id": "INITECH", "name": "Initech", "is_valid": "on"}
    response = boss.post(reverse("agent:company_add"), {**data, "field_Seats": "9000"})
    assert response.status_code == 400
    assert response.context["form"].errors["field_Seats"]
    assert not CustomerCompany.objects.exists()

    response = boss.post(reverse("agent:company_add"), {**data, "field_Seats": "42"})
    assert response.status_code == 302, response.content.decode()
    initech = CustomerCompany.objects.get(customer_id="INITECH")
    assert values_for("customer_company", [initech], [fields["seats"]])[initech.pk] == {"Seats": 42}
    # Editing without touching the field keeps the value (the form is filled with it).
    page = boss.get(reverse("agent:company_edit", args=[initech.pk])).content.decode()
    assert 'name="field_Seats"' in page and 'value="42"' in page

"""Customer users and companies keep an append-only history, and each change records its
event with it (CustomerUserAdd/Update, CustomerCompanyAdd/Update)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers import actions
from customers.models import CustomerHistory
from otrs.accounts.models import User, UserKind
from otrs.errors import DomainError
from tests.customers import company, customer_user, manager

pytestmark = pytest.mark.django_db


def history(obj) -> list[tuple[str, dict, str]]:
    return [(h.event, h.changes, h.actor.username) for h in obj.history.order_by("pk")]


def same_details(customer, **changed) -> actions.CustomerUserInput:
    details = {
        "login": customer.login,
        "email": customer.email,
        "first_name": customer.user.first_name,
        "last_name": customer.user.last_name,
        "phone": customer.phone,
        "company": customer.company,
        "other_companies": tuple(customer.other_companies.all()),
        "is_valid": customer.is_valid,
    }
    return actions.CustomerUserInput(**{**details, **changed})


def test_it_records_a_new_customer_user_with_its_event(outbox):
    acme = company("ACME")
    carla = customer_user("carla", first_name="Carla", company=acme)

    ((event, changes, actor),) = history(carla)
    assert (event, actor) == ("CustomerUserAdd", "system")
    assert changes["login"] == [None, "carla"]
    assert changes["company_id"] == [None, acme.pk]
    ((name, object_id, payload),) = outbox("CustomerUserAdd")
    assert (name, object_id, payload["login"]) == ("CustomerUserAdd", carla.pk, "carla")
    assert payload["changes"] == changes


def test_it_records_what_an_update_changed_and_who_changed_it(outbox):
    boss = manager("boss")
    carla = customer_user("carla", first_name="Carla")
    other = company("OTHER")

    actions.update_customer_user(
        carla, same_details(carla, email="carla@new.example", company=other), actor=boss
    )

    update = history(carla)[-1]
    assert update == (
        "CustomerUserUpdate",
        {"email": ["carla@example.com", "carla@new.example"], "company_id": [None, other.pk]},
        "boss",
    )
    ((_name, _pk, payload),) = outbox("CustomerUserUpdate")
    assert payload["changes"] == update[1]


def test_an_update_that_changes_nothing_records_nothing(outbox):
    carla = customer_user("carla")
    actions.update_customer_user(carla, same_details(carla), actor=manager("boss"))

    assert [h[0] for h in history(carla)] == ["CustomerUserAdd"]
    assert outbox("CustomerUserUpdate") == []


def test_validity_and_password_changes_are_recorded_without_the_password():
    carla = customer_user("carla")
    boss = manager("boss")

    actions.set_customer_user_validity(carla, False, actor=boss)
    actions.set_customer_user_password(carla, "Tr0ub4dor-and-3", actor=boss)

    assert history(carla)[1:] == [
        ("CustomerUserUpdate", {"is_valid": [True, False]}, "boss"),
        ("CustomerUserUpdate", {"password": ["", ""]}, "boss"),
    ]
    assert "Tr0ub4dor" not in str(CustomerHistory.objects.values_list("changes", flat=True))


def test_companies_record_their_changes_and_events(outbox):
    boss = manager("boss")
    acme = company("ACME", name="Acme")
    data = actions.CompanyInput(customer_id="ACME", name="Acme Corporation", city="Berlin")

    actions.update_company(acme, data, actor=boss)
    actions.set_company_validity(acme, False, actor=boss)

    assert [h[:2] for h in history(acme)][1:] == [
        ("CustomerCompanyUpdate", {"name": ["Acme", "Acme Corporation"], "city": ["", "Berlin"]}),
        ("CustomerCompanyUpdate", {"is_valid": [True, False]}),
    ]
    assert [name for name, _pk, _data in outbox(object_type="customer_company")] == [
        "CustomerCompanyAdd",
        "CustomerCompanyUpdate",
        "CustomerCompanyUpdate",
    ]


def test_a_refused_change_records_nothing(outbox):
    carla = customer_user("carla")
    customer_user("dora")
    before = outbox()

    with pytest.raises(DomainError):
        actions.update_customer_user(carla, same_details(carla, login="DORA"), actor=manager())

    assert outbox() == before
    assert [h[0] for h in history(carla)] == ["CustomerUserAdd"]


def test_the_django_admin_shows_customers_but_never_writes_them(client):
    carla = customer_user("carla")
    root = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(root)

    change = reverse("admin:customers_customeruser_change", args=[carla.pk])
    page = client.get(change)
    assert page.status_code == 200 and "CustomerUserAdd" in page.content.decode()
    assert client.post(change, {"email": "evil@example.com", "is_valid": ""}).status_code == 403
    assert client.get(reverse("admin:customers_customeruser_add")).status_code == 403
    assert client.get(reverse("admin:customers_customercompany_add")).status_code == 403
    carla.refresh_from_db()
    assert carla.email == "carla@example.com"

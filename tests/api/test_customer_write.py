"""Customer users and companies changed through the API: the customers' actions (history,
events, password rules, unique logins and customer ids), precise 400s that name the field,
nothing half written, and missing == forbidden (404) for changes the caller may not make."""

from __future__ import annotations

import pytest

from customers.models import CustomerCompany, CustomerHistory, CustomerUser
from otrs.accounts.models import User
from otrs.events.models import OutboxEvent
from tests import factories
from tests.customers import company, customer_user, manager
from tests.fields.helpers import define

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db

USERS = "/api/v1/customer-users/"
COMPANIES = "/api/v1/companies/"


def errors(response, status: int = 400) -> dict[str, str]:
    """``{field: code}`` of a problem-details answer."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return {e["field"]: e["code"] for e in response.json()["errors"]}


def test_it_creates_a_customer_user_through_the_action(settings):
    define("ApiCwTier", "dropdown", object_type="customer_user", options=["gold", "silver"])
    main = company("APICW-MAIN", "Api Cw Main")
    other = company("APICW-OTHER", "Api Cw Other")
    boss = manager("api-cw-boss")
    api = ApiClient(token_for(boss))
    made = api.post(
        USERS,
        {
            "login": "api-cw-carol",
            "email": "carol@api-cw.example",
            "first_name": "Carol",
            "company": main.pk,
            "other_companies": [other.pk, main.pk],
            "password": "a long Passphrase 42",
            "custom_fields": {"ApiCwTier": "gold"},
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["login"] == "api-cw-carol" and body["first_name"] == "Carol"
    assert body["company"]["id"] == main.pk
    assert [c["id"] for c in body["other_companies"]] == [other.pk]  # main one not twice
    assert body["custom_fields"] == {"ApiCwTier": "gold"} and body["is_valid"] is True
    assert "password" not in body
    customer = CustomerUser.objects.select_related("user").get(pk=body["id"])
    assert customer.user.check_password("a long Passphrase 42")
    assert customer.user.kind == "customer"
    history = CustomerHistory.objects.get(customer_user=customer)
    assert history.event == "CustomerUserAdd" and history.actor == boss
    assert history.changes["field:ApiCwTier"] == ["", "gold"]
    assert history.changes["company_id"] == [None, main.pk]
    assert OutboxEvent.objects.filter(
        name="CustomerUserAdd", object_type="customer_user", object_id=customer.pk
    ).exists()
    # Without a password the login cannot sign in until one is set.
    bare = api.post(USERS, {"login": "api-cw-dan", "email": "dan@api-cw.example"})
    assert bare.status_code == 201, bare.content
    assert not User.objects.get(username="api-cw-dan").has_usable_password()


def test_it_refuses_bad_input_naming_the_field_and_writes_nothing():
    company("APICW-TAKEN", "Api Cw Taken")
    retired = company("APICW-RETIRED", "Api Cw Retired", is_valid=False)
    customer_user("api-cw-erin", email="erin@api-cw.example")
    factories.agent("api-cw-agentlogin")
    api = ApiClient(token_for(manager("api-cw-boss2")))
    valid = {"login": "api-cw-new", "email": "new@api-cw.example"}
    cases = [
        ({"email": "x@api-cw.example"}, {"login": "required"}),
        ({**valid, "email": "not an address"}, {"email": "invalid"}),
        ({**valid, "login": "API-CW-ERIN"}, {"login": "login_taken"}),
        ({**valid, "login": "api-cw-agentlogin"}, {"login": "login_of_agent"}),
        ({**valid, "login": "bad login!"}, {"login": "invalid_login"}),
        ({**valid, "email": "ERIN@api-cw.example"}, {"email": "email_taken"}),
        ({**valid, "password": "123"}, {"password": "invalid_password"}),
        ({**valid, "company": 2**40}, {"company": "invalid"}),
        ({**valid, "company": retired.pk}, {"company": "invalid"}),
        ({**valid, "other_companies": [retired.pk, 0]}, {"other_companies.1": "min_value"}),
        ({**valid, "other_companies": [retired.pk]}, {"other_companies.0": "invalid"}),
        ({**valid, "phone": "1" * 51}, {"phone": "max_length"}),
        ({**valid, "custom_fields": {"NoSuchApiCwField": "x"}}, None),
    ]
    for given, expected in cases:
        answer = api.post(USERS, given)
        found = errors(answer)
        if expected is None:
            assert set(found) == {"custom_fields.NoSuchApiCwField"}, found
        else:
            assert found == expected, (given, found)
    assert not User.objects.filter(username__iexact="api-cw-new").exists()
    assert not CustomerUser.objects.filter(email__iexact="new@api-cw.example").exists()


def test_it_changes_only_what_a_patch_names_and_invalidates():
    acme = company("APICW-ACME", "Api Cw Acme")
    frank = customer_user("api-cw-frank", first_name="Frank", phone="123", company=acme)
    api = ApiClient(token_for(manager("api-cw-boss3")))
    changed = api.patch(f"{USERS}{frank.pk}/", {"last_name": "Miller", "company": None})
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["first_name"] == "Frank" and body["last_name"] == "Miller"
    assert body["phone"] == "123" and body["company"] is None
    latest = CustomerHistory.objects.filter(customer_user=frank).latest("pk")
    assert latest.changes == {"last_name": ["", "Miller"], "company_id": [acme.pk, None]}
    # An unchanged patch writes no history.
    count = CustomerHistory.objects.filter(customer_user=frank).count()
    assert api.patch(f"{USERS}{frank.pk}/", {"phone": "123"}).status_code == 200
    assert CustomerHistory.objects.filter(customer_user=frank).count() == count
    # A refused change leaves everything as it was.
    customer_user("api-cw-gina", email="gina@api-cw.example")
    refused = api.patch(f"{USERS}{frank.pk}/", {"last_name": "X", "email": "gina@api-cw.example"})
    assert errors(refused) == {"email": "email_taken"}
    assert CustomerUser.objects.get(pk=frank.pk).user.last_name == "Miller"
    # Invalidate, and valid again.
    gone = api.post(f"{USERS}{frank.pk}/invalidate/")
    assert gone.status_code == 200 and gone.json()["is_valid"] is False
    frank.refresh_from_db()
    frank.user.refresh_from_db()
    assert not frank.is_valid and not frank.user.is_active
    back = api.patch(f"{USERS}{frank.pk}/", {"is_valid": True})
    assert back.json()["is_valid"] is True
    assert User.objects.get(pk=frank.user_id).is_active


def test_companies_are_created_changed_and_invalidated():
    define("ApiCwRegion", "text", object_type="customer_company")
    api = ApiClient(token_for(manager("api-cw-boss4")))
    made = api.post(
        COMPANIES,
        {
            "customer_id": "APICW-NEW",
            "name": "Api Cw New",
            "url": "https://api-cw.example/",
            "custom_fields": {"ApiCwRegion": "north"},
        },
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["custom_fields"] == {"ApiCwRegion": "north"}
    assert errors(api.post(COMPANIES, {"customer_id": "apicw-new", "name": "Twin"})) == {
        "customer_id": "customer_id_taken"
    }
    assert errors(
        api.post(COMPANIES, {"customer_id": "APICW-URL", "name": "U", "url": "nope"})
    ) == {"url": "invalid"}
    assert errors(api.post(COMPANIES, {"customer_id": "APICW-EMPTY", "name": "  "})) == {
        "name": "blank"
    }
    assert CustomerCompany.objects.filter(customer_id__istartswith="APICW-").count() == 1
    changed = api.patch(f"{COMPANIES}{pk}/", {"city": "Leipzig"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["city"] == "Leipzig" and changed.json()["name"] == "Api Cw New"
    gone = api.post(f"{COMPANIES}{pk}/invalidate/")
    assert gone.status_code == 200 and gone.json()["is_valid"] is False
    events = OutboxEvent.objects.filter(object_type="customer_company", object_id=pk)
    assert list(events.values_list("name", flat=True)) == [
        "CustomerCompanyAdd",
        "CustomerCompanyUpdate",
        "CustomerCompanyUpdate",
    ]


def test_changes_the_caller_may_not_make_look_like_missing_ones(settings):
    settings.API_CUSTOMER_ACCESS = True
    acme = company("APICW-HIDDEN", "Api Cw Hidden")
    hank = customer_user("api-cw-hank", password="a long Passphrase 42", company=acme)
    plain_agent = ApiClient(token_for(factories.agent("api-cw-plain")))
    reader = ApiClient(token_for(manager("api-cw-reader"), scope="read"))
    as_customer = ApiClient(token_for(hank.user))
    missing = 2**40
    for base, pk, body in ((USERS, hank.pk, {"phone": "1"}), (COMPANIES, acme.pk, {"city": "x"})):
        url = f"{base}{pk}/"
        for client in (plain_agent, as_customer):
            refused = client.patch(url, body)
            absent = client.patch(f"{base}{missing}/", body)
            assert refused.status_code == absent.status_code == 404
            assert refused.json() == absent.json()
            assert client.post(f"{url}invalidate/").status_code == 404
        assert reader.patch(url, body).status_code == 403
    for client in (plain_agent, as_customer, reader):
        assert client.post(USERS, {"login": "api-cw-x", "email": "x@x.example"}).status_code == 403
        assert client.post(COMPANIES, {"customer_id": "APICW-X", "name": "X"}).status_code == 403
    assert not User.objects.filter(username="api-cw-x").exists()
    hank.refresh_from_db()
    assert hank.phone == "" and hank.is_valid
    # Reads stay as they were: every agent may read, the customer sees themselves.
    assert plain_agent.get(f"{USERS}{hank.pk}/").status_code == 200
    assert as_customer.get(f"{USERS}{hank.pk}/").status_code == 200


def test_the_schema_describes_the_change_operations():
    api = ApiClient(token_for(factories.agent("api-cw-schema")))
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/customer-users/"])
    assert {"get", "patch"} <= set(paths["/api/v1/companies/{id}/"])
    assert "post" in paths["/api/v1/customer-users/{id}/invalidate/"]
    post = paths["/api/v1/customer-users/"]["post"]
    assert "201" in post["responses"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(component["required"]) == {"login", "email"}
    assert component["properties"]["password"]["writeOnly"] is True

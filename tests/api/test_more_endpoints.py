"""Customers, companies, FAQ items and configuration items through the API: the same access
entries as the agent screens, paging and field selection, problem details, and CI changes
through the CMDB's actions."""

from __future__ import annotations

import random

import pytest
from django.test import Client

from cmdb import access as cmdb_access
from cmdb.models import Version
from customers import access as customer_access
from faq import access as faq_access
from faq.choices import ItemState
from tests import factories
from tests.cmdb import cmdb_group, make_ci, path
from tests.customers import company, customer_user
from tests.faq import category, item

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_customer_users_and_companies_are_listed_with_search_paging_and_fields(settings):
    acme = company("APIACME", "Api Acme")
    globex = company("APIGLOBEX", "Api Globex")
    alice = customer_user("api-alice", first_name="Alice", company=acme)
    bob = customer_user("api-bob", first_name="Bob", company=globex)
    agent = factories.agent("api-cust-agent")
    api = ApiClient(token_for(agent))
    assert ids(api.get("/api/v1/customer-users/", {"q": "api-alice"})) == {alice.pk}
    assert ids(api.get("/api/v1/customer-users/", {"company": globex.pk})) == {bob.pk}
    page = api.get("/api/v1/companies/", {"q": "Api", "page_size": 1, "sort": "customer_id"})
    assert page.json()["count"] == 2 and page.json()["next"]
    assert [r["id"] for r in page.json()["results"]] == [acme.pk]
    one = api.get(f"/api/v1/customer-users/{alice.pk}/", {"fields": "login,company"})
    assert one.json() == {
        "login": "api-alice",
        "company": {"id": acme.pk, "customer_id": "APIACME", "name": "Api Acme"},
    }
    bad = api.get("/api/v1/customer-users/", {"sort": "nonsense"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "sort"
    assert api.get("/api/v1/companies/999999/").status_code == 404
    # A customer (when the API lets customers in) sees only themselves and their company.
    settings.API_CUSTOMER_ACCESS = True
    mine = ApiClient(token_for(alice.user))
    assert ids(mine.get("/api/v1/customer-users/")) == {alice.pk}
    assert ids(mine.get("/api/v1/companies/")) == {acme.pk}
    assert mine.get(f"/api/v1/customer-users/{bob.pk}/").status_code == 404
    for user in (agent, alice.user):
        listed = ids(ApiClient(token_for(user)).get("/api/v1/customer-users/"))
        assert listed == set(customer_access.visible_to(user).values_list("pk", flat=True))


def test_faq_items_follow_the_agent_faq_rules_and_show_the_published_revision(settings):
    readers = factories.group("api-faq-readers")
    open_cat = category("Api FAQ open")
    closed_cat = category("Api FAQ closed", read=[readers])
    public = item(open_cat, "Api public printer", solution="<p>Turn it off.</p>")
    internal = item(closed_cat, "Api internal", state=ItemState.INTERNAL)
    draft = item(open_cat, "Api draft", submit=False)
    rng = random.Random(16)
    agents = [factories.agent(f"api-faq-agent{n}") for n in range(4)]
    for agent in agents:
        if rng.random() < 0.5:
            factories.grant(agent, readers, factories.RO)
    for agent in agents:
        api = ApiClient(token_for(agent))
        listed = ids(api.get("/api/v1/faq-items/", {"page_size": 100}))
        assert listed == set(faq_access.visible_to(agent).values_list("pk", flat=True))
        portal = Client()
        portal.force_login(agent)
        for faq in (public, internal, draft):
            assert (api.get(f"/api/v1/faq-items/{faq.pk}/").status_code == 200) == (
                faq.pk in listed
            )
    api = ApiClient(token_for(agents[0]))
    got = api.get(f"/api/v1/faq-items/{public.pk}/").json()
    assert got["published"]["solution"] == "<p>Turn it off.</p>"
    assert got["category"] == {"id": open_cat.pk, "name": "Api FAQ open"}
    assert api.get(f"/api/v1/faq-items/{draft.pk}/").json()["published"] is None
    assert ids(api.get("/api/v1/faq-items/", {"category": open_cat.pk, "state": "public"})) >= {
        public.pk
    }
    bad = api.get("/api/v1/faq-items/", {"category": "x"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "category"
    # Customers read public and external published items only.
    settings.API_CUSTOMER_ACCESS = True
    customer = customer_user("api-faq-customer")
    seen = ids(ApiClient(token_for(customer.user)).get("/api/v1/faq-items/"))
    assert public.pk in seen and internal.pk not in seen and draft.pk not in seen


def test_configuration_items_are_read_and_changed_through_the_cmdb_actions():
    group = cmdb_group()
    rw, ro, outsider = (factories.agent(f"api-ci-{n}") for n in ("rw", "ro", "out"))
    factories.grant(rw, group, factories.RW)
    factories.grant(ro, group, factories.RO)
    ci = make_ci("api-pc-1", values={"Vendor": "Acme"})
    vendor = path("Computer", "Vendor")
    for user in (rw, ro, outsider):
        listed = ids(ApiClient(token_for(user)).get("/api/v1/config-items/", {"q": "api-pc"}))
        expected = set(
            cmdb_access.visible_to(user)
            .filter(name__startswith="api-pc")
            .values_list("pk", flat=True)
        )
        assert listed == expected
    assert ApiClient(token_for(outsider)).get(f"/api/v1/config-items/{ci.pk}/").status_code == 404
    reader = ApiClient(token_for(ro))
    got = reader.get(f"/api/v1/config-items/{ci.pk}/")
    assert got.status_code == 200
    body = got.json()
    assert body["version"] == 1 and got["ETag"] == '"1"'
    assert {"path": vendor, "key": "Vendor", "value": "Acme"}.items() <= next(
        a for a in body["attributes"] if a["path"] == vendor
    ).items()
    # ro may not change; rw changes through the action (a new version, with history).
    change = {"attributes": {vendor: "Globex"}}
    assert reader.patch(f"/api/v1/config-items/{ci.pk}/", change).status_code == 404
    writer = ApiClient(token_for(rw))
    changed = writer.patch(f"/api/v1/config-items/{ci.pk}/", change, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 2
    assert Version.objects.filter(configitem=ci).count() == 2
    stale = writer.patch(
        f"/api/v1/config-items/{ci.pk}/", {"name": "api-pc-2"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    bad = writer.patch(f"/api/v1/config-items/{ci.pk}/", {"attributes": {"999999:0": "x"}})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"].startswith("attributes.")
    assert Version.objects.filter(configitem=ci).count() == 2
    read_only = ApiClient(token_for(rw, scope="read"))
    assert read_only.patch(f"/api/v1/config-items/{ci.pk}/", change).status_code == 403

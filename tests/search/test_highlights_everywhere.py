"""Matched words marked for FAQ items, configuration items and customers too, not only
tickets: on the agent lists and in the API lists, escaped first and then marked, with the
database backend and with Elasticsearch (over real HTTP)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cmdb.models import ConfigItem
from otrs.permissions import PermissionKey
from otrs.search import maintenance
from otrs.search.elastic import alias_name
from tests import factories
from tests.api.conftest import ApiClient, token_for
from tests.cmdb import cmdb_group, make_ci
from tests.customers import company, customer_user
from tests.faq import category, fulltext_db, item

pytestmark = pytest.mark.django_db


def marked_section(html: str) -> str:
    """The page's "Where the words occur" section (empty if it has none)."""
    found = re.search(r'<section class="search-highlights".*?</section>', html, re.S)
    return found.group(0) if found else ""


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@fulltext_db
def test_the_agent_lists_mark_the_words_in_what_they_show():
    agent = factories.agent("hlx-agent")
    factories.grant(agent, cmdb_group(), PermissionKey.RO)
    faq = item(category("Hlx FAQ"), "Hlx narwhal printer", solution="<b>narwhal</b> toner")
    ci = make_ci("hlx-narwhal-server")
    person = customer_user("hlx-narwhal", first_name="Nora", last_name="Narwhal")
    firm = company("HLX-NARWHAL", "Narwhal <Works>", comment="narwhal & sons")
    client = signed_in(agent)
    pages = {
        "/agent/faq/": (faq.title, f"/agent/faq/{faq.pk}/"),
        "/agent/cmdb/items/": (ci.name, f"/agent/cmdb/items/{ci.pk}/"),
        "/agent/customers/users/": ("Nora Narwhal", f"/agent/customers/users/{person.pk}/"),
        "/agent/customers/companies/": (
            "Narwhal &lt;Works&gt;",
            f"/agent/customers/companies/{firm.pk}/",
        ),
    }
    for url, (label, link) in pages.items():
        answer = client.get(url, {"q": "narwhal"})
        assert answer.status_code == 200, url
        section = marked_section(answer.content.decode())
        assert "<mark>" in section and "narwhal" in section.lower(), url
        assert f'href="{link}"' in section and label in section, (url, section)
        # No search, no section.
        assert marked_section(client.get(url).content.decode()) == "", url
    firms = marked_section(
        client.get("/agent/customers/companies/", {"q": "narwhal"}).content.decode()
    )
    assert "<Works>" not in firms and "<mark>narwhal</mark> &amp; sons" in firms
    faqs = marked_section(client.get("/agent/faq/", {"q": "narwhal"}).content.decode())
    # The FAQ's text is indexed without its markup.
    assert "<b>" not in faqs and "<mark>narwhal</mark> toner" in faqs


@fulltext_db
def test_the_api_lists_give_highlights_with_q(settings):
    settings.API_CUSTOMER_ACCESS = True
    queue = factories.queue("Hlx queue", group_=factories.group("hlx"))
    agent = factories.agent("hlx-api-agent")
    factories.grant(agent, queue.group, PermissionKey.RW)
    factories.grant(agent, cmdb_group(), PermissionKey.RO)
    ci = make_ci("hlx-okapi-router")
    person = customer_user("hlx-okapi", first_name="Otto", last_name="<Okapi>")
    firm = company("HLX-OKAPI", "Okapi Trading")
    api = ApiClient(token_for(agent))
    for url, pk in (
        ("/api/v1/config-items/", ci.pk),
        ("/api/v1/customer-users/", person.pk),
        ("/api/v1/companies/", firm.pk),
    ):
        rows = {row["id"]: row for row in api.get(url, {"q": "okapi"}).json()["results"]}
        passages = rows[pk]["highlights"]
        assert passages and all("<mark>" in p for p in passages), (url, passages)
        plain = {row["id"]: row for row in api.get(url).json()["results"]}
        assert plain[pk]["highlights"] == []
    person_rows = api.get("/api/v1/customer-users/", {"q": "okapi"}).json()["results"]
    text = " ".join(person_rows[0]["highlights"])
    assert "&lt;<mark>Okapi</mark>&gt;" in text
    # Tickets: agents get passages; customers none (a ticket's text holds internal notes).
    ticket = factories.ticket(queue, title="Hlx okapi ticket", customer_user="hlx-okapi")
    found = api.get("/api/v1/tickets/", {"fulltext": "okapi"}).json()["results"]
    assert any(r["id"] == ticket.pk and r["highlights"] for r in found)
    customer = ApiClient(token_for(person.user))
    for row in customer.get("/api/v1/tickets/", {"fulltext": "okapi"}).json()["results"]:
        assert row["highlights"] == []
    assert ConfigItem.objects.filter(pk=ci.pk).exists()
    # FAQ items: agents get passages from every field; customers from what they may read
    # (never the internal comment).
    faq = item(
        category("Hlx API FAQ", read=[queue.group], customers_all=True),
        "Hlx okapi feeding",
        comment="okapi internal remark",
    )
    faqs = {r["id"]: r for r in api.get("/api/v1/faq-items/", {"q": "okapi"}).json()["results"]}
    assert any("<mark>" in p for p in faqs[faq.pk]["highlights"])
    assert api.get("/api/v1/faq-items/").json()["results"][0]["highlights"] == []
    assert any("<mark>okapi</mark> internal remark" in p for p in faqs[faq.pk]["highlights"])
    seen = customer.get("/api/v1/faq-items/", {"q": "okapi"}).json()["results"]
    passages = [" ".join(r["highlights"]) for r in seen if r["id"] == faq.pk]
    assert len(passages) == 1 and "<mark>okapi</mark>" in passages[0]
    assert "internal remark" not in passages[0]


def test_elasticsearch_marks_customers_faq_items_and_cis(es):
    agent = factories.agent("hlx-es-agent")
    factories.grant(agent, cmdb_group(), PermissionKey.RO)
    faq = item(category("Hlx ES FAQ"), "Hlx quokka manual", solution="feed the <i>quokka</i>")
    ci = make_ci("hlx-quokka-switch")
    company("HLX-QUOKKA", "Quokka & Co", comment="<b>quokka</b> farm")
    for kind in ("faq_item", "configitem", "customer_company"):
        maintenance.rebuild(kind)
        es.indices.refresh(index=alias_name(kind))
    client = signed_in(agent)
    firms = marked_section(
        client.get("/agent/customers/companies/", {"q": "quokka"}).content.decode()
    )
    assert "&lt;b&gt;<mark>quokka</mark>&lt;/b&gt;" in firms and "<b>" not in firms
    api = ApiClient(token_for(agent))
    rows = api.get("/api/v1/config-items/", {"q": "quokka"}).json()["results"]
    assert any(
        r["id"] == ci.pk and "<mark>quokka</mark>" in " ".join(r["highlights"]) for r in rows
    )
    faqs = marked_section(client.get("/agent/faq/", {"q": "quokka"}).content.decode())
    assert f'href="/agent/faq/{faq.pk}/"' in faqs and "<mark>" in faqs
    assert "<i>" not in faqs

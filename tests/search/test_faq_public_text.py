"""A FAQ item's internal comment is searched by agents only: a word that only the comment
holds finds the item for an agent (explorer, insert search, suggestions, API) and never for
a customer or an anonymous reader (portal, public pages, suggestions, API, highlights), on
the database backend of whichever database the tests run on and on Elasticsearch (real
HTTP, tests/search/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from faq import access, selectors
from faq.choices import ItemState
from faq.models import FaqItem
from otrs.permissions import PermissionKey
from otrs.search import maintenance
from otrs.search.elastic import alias_name
from tests import factories
from tests.api.conftest import ApiClient, token_for
from tests.customers import customer_user
from tests.faq import category, fulltext_db, item, signed_in

# The words: one only in the comment, one in the solution (every reader finds that one, so
# a search that finds nothing at all cannot pass the comment checks by accident).
SECRET = "pubtxtwombat"
OPEN_WORD = "pubtxtkestrel"

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(settings):
    settings.API_CUSTOMER_ACCESS = True
    group = factories.group("pubtxt-readers")
    agent = factories.agent("pubtxt-agent")
    factories.grant(agent, group, PermissionKey.RW)
    cat = category("Pubtxt FAQ", read=[group], edit=[group], customers_all=True)
    found = item(
        cat,
        "Pubtxt printer jams",
        state=ItemState.PUBLIC,
        solution=f"<p>Open the tray, the {OPEN_WORD} lever.</p>",
        comment=f"<p>Internal: ask {SECRET} in purchasing.</p>",
    )
    person = customer_user("pubtxt-customer")
    return agent, person.user, found


def _ids(rows) -> set[int]:
    return {r["id"] for r in rows}


def _listed(client, url: str, word: str, pk: int) -> bool:
    answer = client.get(url, {"q": word})
    assert answer.status_code == 200, url
    return f"/{pk}/" in answer.content.decode()


def test_it_keeps_the_comment_out_of_the_public_text(setup):
    _agent, _customer, found = setup
    assert SECRET in found.search_text and OPEN_WORD in found.search_text
    assert SECRET not in found.public_text and OPEN_WORD in found.public_text
    assert found.title in found.public_text


@fulltext_db
def test_a_comment_word_finds_the_item_for_agents_only(setup):
    agent, customer, found = setup
    staff, reader, anyone = signed_in(agent), signed_in(customer), signed_in(None)
    for word in (SECRET, OPEN_WORD):
        assert _listed(staff, "/agent/faq/", word, found.pk), word
    assert _listed(reader, "/customer/faq/", OPEN_WORD, found.pk)
    assert not _listed(reader, "/customer/faq/", SECRET, found.pk)
    assert _listed(anyone, "/public/faq/", OPEN_WORD, found.pk)
    assert not _listed(anyone, "/public/faq/", SECRET, found.pk)
    # The agent's insert search (JSON) finds it by the comment too.
    hits = staff.get("/agent/faq/suggest.json", {"q": SECRET}).json()["items"]
    assert [h["id"] for h in hits] == [found.pk]


@fulltext_db
def test_suggestions_use_the_comment_for_agents_only(setup):
    agent, customer, found = setup
    text = f"Who is {SECRET} again?"
    agents = selectors.suggestions(access.visible_to(agent), text, internal=True)
    assert [i.pk for i in agents] == [found.pk]
    customers = selectors.suggestions(access.visible_to(customer), text)
    assert customers == []
    assert [i.pk for i in selectors.suggestions(access.visible_to(customer), OPEN_WORD)] == [
        found.pk
    ]
    anyone = access.visible_to(AnonymousUser())
    assert selectors.suggestions(anyone, text) == []


@fulltext_db
def test_the_api_searches_and_marks_the_public_text_for_customers(setup):
    agent, customer, found = setup
    staff, reader = ApiClient(token_for(agent)), ApiClient(token_for(customer))
    rows = staff.get("/api/v1/faq-items/", {"q": SECRET}).json()["results"]
    assert _ids(rows) == {found.pk}
    assert any(f"<mark>{SECRET}</mark>" in p for p in rows[0]["highlights"])
    assert reader.get("/api/v1/faq-items/", {"q": SECRET}).json()["results"] == []
    rows = reader.get("/api/v1/faq-items/", {"q": f"printer {OPEN_WORD}"}).json()["results"]
    assert _ids(rows) == {found.pk}
    passages = " ".join(rows[0]["highlights"])
    assert f"<mark>{OPEN_WORD}</mark>" in passages and SECRET not in passages


@fulltext_db
def test_the_migration_fills_the_public_text_of_existing_items(setup):
    _agent, _customer, found = setup
    draft = item(category("Pubtxt drafts"), "Pubtxt draft only", submit=False, comment=SECRET)
    FaqItem.objects.filter(pk__in=[found.pk, draft.pk]).update(public_text="")
    migration = __import__("faq.migrations.0005_faq_public_text", fromlist=["fill"])
    # fill() reads only the editor's connection.
    migration.fill(apps, SimpleNamespace(connection=connection))
    found.refresh_from_db()
    draft.refresh_from_db()
    assert OPEN_WORD in found.public_text and SECRET not in found.public_text
    assert draft.public_text == "Pubtxt draft only\nThe solution."


def test_elasticsearch_searches_the_comment_for_agents_only(setup, es):
    agent, customer, found = setup
    maintenance.rebuild("faq_item")
    es.indices.refresh(index=alias_name("faq_item"))
    staff, reader, anyone = signed_in(agent), signed_in(customer), signed_in(None)
    assert _listed(staff, "/agent/faq/", SECRET, found.pk)
    assert not _listed(reader, "/customer/faq/", SECRET, found.pk)
    assert _listed(reader, "/customer/faq/", OPEN_WORD, found.pk)
    assert not _listed(anyone, "/public/faq/", SECRET, found.pk)
    assert _listed(anyone, "/public/faq/", OPEN_WORD, found.pk)
    text = f"who is {SECRET}"
    assert [i.pk for i in selectors.suggestions(access.visible_to(agent), text, internal=True)]
    assert selectors.suggestions(access.visible_to(customer), text) == []
    api = ApiClient(token_for(customer))
    assert api.get("/api/v1/faq-items/", {"q": SECRET}).json()["results"] == []
    rows = api.get("/api/v1/faq-items/", {"q": OPEN_WORD}).json()["results"]
    passages = " ".join(rows[0]["highlights"])
    assert "<mark>" in passages and SECRET not in passages
    rows = ApiClient(token_for(agent)).get("/api/v1/faq-items/", {"q": SECRET}).json()["results"]
    assert _ids(rows) == {found.pk} and SECRET in " ".join(rows[0]["highlights"])

"""Who reads what: every FAQ URL of the three portals, per item state, category rule and
persona (anonymous, customer of an admitted company, other customer, agent with and
without the category's groups). Forbidden and missing answer alike."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from faq import access, actions
from faq.choices import ItemState
from otrs.errors import DomainError
from tests import factories
from tests.customers import company, customer_user
from tests.faq import category, fulltext_db, item, signed_in

pytestmark = pytest.mark.django_db

RULES = ("all_customers", "company_a")
STATES = tuple(ItemState)
PERSONAS = ("anonymous", "customer_a", "customer_b", "agent_with", "agent_without")


@pytest.fixture
def world(db):
    group = factories.group("faq-readers")
    agent_with = factories.agent("faq_with")
    factories.grant(agent_with, group, factories.RW)
    agent_without = factories.agent("faq_without")
    other_group = factories.group("faq-other")
    factories.grant(agent_without, other_group, factories.RW)
    company_a, company_b = company("FAQ-A"), company("FAQ-B")
    cust_a = customer_user("faq_cust_a", company=company_a).user
    cust_b = customer_user("faq_cust_b", company=company_b).user
    cats = {
        "all_customers": category("For all", read=[group], edit=[group], customers_all=True),
        "company_a": category("For A", read=[group], edit=[group], companies=[company_a]),
    }
    items = {}
    for rule, state in itertools.product(RULES, STATES):
        found = item(cats[rule], f"{rule} {state}", state=state)
        actions.add_attachment(
            found,
            actor=factories.system(),
            filename="a.txt",
            content_type="text/plain",
            data=b"x",
        )
        items[rule, state] = found
    users = {
        "anonymous": None,
        "customer_a": cust_a,
        "customer_b": cust_b,
        "agent_with": agent_with,
        "agent_without": agent_without,
    }
    return type("World", (), {"items": items, "users": users, "cats": cats})


def expected(persona: str, rule: str, state: str) -> bool:
    if persona == "agent_with":
        return True
    if persona == "agent_without":
        return False
    if state == ItemState.PUBLIC:
        return True
    if state == ItemState.INTERNAL or persona == "anonymous":
        return False
    return persona == "customer_a" or rule == "all_customers"


def agent_urls(pk: int, attachment: int) -> list[str]:
    return [
        reverse("agent:faq_item", args=[pk]),
        reverse("agent:faq_revision", args=[pk, 1]),
        reverse("agent:faq_diff", args=[pk]) + "?a=1&b=1",
        reverse("agent:faq_attachment", args=[pk, attachment]),
    ]


def customer_urls(pk: int, attachment: int) -> list[str]:
    return [
        reverse("customer:faq_item", args=[pk]),
        reverse("customer:faq_attachment", args=[pk, attachment]),
    ]


def public_urls(pk: int, attachment: int) -> list[str]:
    return [
        reverse("faq_public:item", args=[pk]),
        reverse("faq_public:attachment", args=[pk, attachment]),
    ]


MISSING = 2**31 - 7


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_answers_every_url_by_the_matrix(world, persona):
    user = world.users[persona]
    client = signed_in(user)
    for (rule, state), found in world.items.items():
        attachment = found.attachments.get().pk
        allowed = expected(persona, rule, state)
        where = f"{persona} {rule} {state}"
        # the access entry itself
        assert access.can(user or AnonymousUser(), found) is allowed, where
        for urls, portal in (
            (agent_urls, "agent"),
            (customer_urls, "customer"),
            (public_urls, "public"),
        ):
            if portal == "agent" and persona not in ("agent_with", "agent_without"):
                continue  # the agent portal refuses non-agents at its gate
            if portal == "customer" and persona not in ("customer_a", "customer_b"):
                continue  # the customer portal refuses others at its gate
            for path, missing in zip(
                urls(found.pk, attachment), urls(MISSING, MISSING), strict=True
            ):
                response = client.get(path)
                # Public pages show public items only, whoever is signed in.
                ok = state == ItemState.PUBLIC if portal == "public" else allowed
                assert response.status_code == (200 if ok else 404), f"{where} {path}"
                if not ok:
                    # Forbidden looks exactly like missing: the same status, no trace of it.
                    assert client.get(missing).status_code == 404
                    assert found.title not in response.content.decode()


@fulltext_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_search_and_feed_hold_only_readable_items(world, persona):
    user = world.users[persona]
    client = signed_in(user)
    if persona.startswith("agent"):
        pages = [reverse("agent:faq"), reverse("agent:faq") + "?q=solution"]
    elif persona.startswith("customer"):
        pages = [reverse("customer:faq"), reverse("customer:faq") + "?q=solution"]
    else:
        pages = [reverse("faq_public:index"), reverse("faq_public:index") + "?q=solution"]
    for page in pages:
        body = client.get(page).content.decode()
        for (rule, state), found in world.items.items():
            shown = f">{found.title}<" in body
            assert shown is expected(persona, rule, state), f"{persona} {page} {found.title}"
    feed = client.get(reverse("faq_public:feed")).content.decode()
    for (_rule, state), found in world.items.items():
        assert (found.title in feed) is (state == ItemState.PUBLIC)


def test_edit_screens_need_the_edit_group(world):
    found = world.items["company_a", ItemState.INTERNAL]
    reader = factories.agent("faq_reader_only")
    read_group = world.cats["company_a"].agent_read_groups.get()
    factories.grant(reader, read_group, factories.RO)
    client = signed_in(reader)
    assert client.get(reverse("agent:faq_item", args=[found.pk])).status_code == 200
    for name in ("faq_item_edit", "faq_item_properties"):
        assert client.get(reverse(f"agent:{name}", args=[found.pk])).status_code == 404
    response = client.post(reverse("agent:faq_revert", args=[found.pk, 1]))
    assert response.status_code == 404
    assert (
        signed_in(world.users["agent_with"])
        .get(reverse("agent:faq_item_edit", args=[found.pk]))
        .status_code
        == 200
    )


def test_moving_never_widens_the_movers_access(world):
    agent = world.users["agent_with"]
    secret_group = factories.group("faq-secret")
    secret = category("Secret", read=[secret_group], edit=[secret_group])
    found = world.items["company_a", ItemState.INTERNAL]
    with pytest.raises(DomainError):
        actions.change_properties(
            found,
            actor=agent,
            category=secret,
            state=found.state,
            is_valid=True,
            review_after=None,
        )
    found.refresh_from_db()
    assert found.category == world.cats["company_a"]
    # The properties form does not even offer the category.
    body = (
        signed_in(agent).get(reverse("agent:faq_item_properties", args=[found.pk])).content.decode()
    )
    assert "Secret" not in body


def test_an_unpublished_item_reaches_no_reader(world):
    cat = world.cats["all_customers"]
    draft = item(cat, "Draft only", state=ItemState.PUBLIC, submit=False)
    assert not access.can(world.users["customer_a"], draft)
    assert signed_in(None).get(reverse("faq_public:item", args=[draft.pk])).status_code == 404
    assert access.can(world.users["agent_with"], draft)

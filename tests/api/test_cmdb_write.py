"""Configuration items created and linked through the API: the CMDB's actions with their
access checks (rw on the class / this CI, ro on the other end), problem details for bad
input, and links that both ends show."""

from __future__ import annotations

import pytest

from cmdb.choices import Catalog, HistoryType, LinkType
from cmdb.models import CatalogItem, ConfigItem, History, Link, TicketLink
from tests import factories
from tests.cmdb import ci_class, cmdb_group, make_ci, path

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db


def state(catalog: str, name: str) -> int:
    return CatalogItem.objects.get(catalog=catalog, name=name).pk


@pytest.fixture
def people():
    group = cmdb_group()
    rw, ro, outsider = (factories.agent(f"apiw-ci-{n}") for n in ("rw", "ro", "out"))
    factories.grant(rw, group, factories.RW)
    factories.grant(ro, group, factories.RO)
    return rw, ro, outsider


def new_ci(name: str, **extra) -> dict:
    return {
        "ci_class": ci_class("Computer").pk,
        "name": name,
        "deployment_state": state(Catalog.DEPLOYMENT_STATE, "Production"),
        "incident_state": state(Catalog.INCIDENT_STATE, "Operational"),
        "attributes": {"Vendor": "Acme", path("Computer", "Type"): "Other"},
        **extra,
    }


def test_an_agent_with_rw_on_the_class_creates_a_ci(people):
    rw, ro, outsider = people
    created = ApiClient(token_for(rw)).post("/api/v1/config-items/", new_ci("apiw-pc-1"))
    assert created.status_code == 201, created.content
    body = created.json()
    item = ConfigItem.objects.get(pk=body["id"])
    assert (item.name, item.ci_class.name, body["version"]) == ("apiw-pc-1", "Computer", 1)
    vendor = next(a for a in body["attributes"] if a["key"] == "Vendor")
    assert (vendor["path"], vendor["value"]) == (path("Computer", "Vendor"), "Acme")
    assert History.objects.filter(configitem=item, history_type=HistoryType.CREATE).exists()
    # ro on the class: the action refuses; no access at all: the class is unknown.
    refused = ApiClient(token_for(ro)).post("/api/v1/config-items/", new_ci("apiw-pc-2"))
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    unknown = ApiClient(token_for(outsider)).post("/api/v1/config-items/", new_ci("apiw-pc-3"))
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "ci_class"
    read_only = ApiClient(token_for(rw, scope="read"))
    assert read_only.post("/api/v1/config-items/", new_ci("apiw-pc-4")).status_code == 403
    assert not ConfigItem.objects.filter(name__in=["apiw-pc-2", "apiw-pc-3", "apiw-pc-4"])


def test_bad_input_names_the_field_and_writes_nothing(people):
    api = ApiClient(token_for(people[0]))
    before = ConfigItem.objects.count()
    bad_state = api.post("/api/v1/config-items/", new_ci("apiw-bad", deployment_state=999999))
    assert bad_state.status_code == 400
    assert bad_state.json()["errors"][0]["field"] == "deployment_state"
    bad_value = api.post("/api/v1/config-items/", new_ci("apiw-bad", attributes={"999999:0": "x"}))
    assert bad_value.status_code == 400
    assert bad_value.json()["errors"][0]["field"].startswith("attributes.")
    assert api.post("/api/v1/config-items/", {"name": "apiw-bad"}).status_code == 400
    make_ci("apiw-taken")
    taken = api.post("/api/v1/config-items/", new_ci("apiw-taken"))
    assert taken.status_code == 409
    assert ConfigItem.objects.count() == before + 1


def test_two_cis_are_linked_and_unlinked_through_the_link_actions(people):
    rw, ro, outsider = people
    pc, net = make_ci("apiw-link-pc"), make_ci("apiw-link-net", "Network")
    api = ApiClient(token_for(rw))
    url = f"/api/v1/config-items/{pc.pk}/links/"
    made = api.post(url, {"config_item": net.pk, "link_type": LinkType.DEPENDS_ON})
    assert made.status_code == 201, made.content
    assert made.json() == {
        "config_item": net.pk,
        "ticket": None,
        "link_type": "DependsOn",
        "source": pc.pk,
    }
    link = Link.objects.get()
    assert (link.source_id, link.target_id, link.link_type) == (pc.pk, net.pk, "DependsOn")
    for ci in (pc, net):
        assert History.objects.filter(configitem=ci, history_type=HistoryType.LINK_ADD).exists()
    again = api.post(url, {"config_item": net.pk, "link_type": LinkType.DEPENDS_ON})
    assert again.status_code == 201 and Link.objects.count() == 1
    itself = api.post(url, {"config_item": pc.pk})
    assert itself.status_code == 409
    # ro may not link from this CI; the outsider sees neither (404 like a missing CI).
    assert ApiClient(token_for(ro)).post(url, {"config_item": net.pk}).status_code == 404
    assert ApiClient(token_for(outsider)).post(url, {"config_item": net.pk}).status_code == 404
    assert api.post(url, {"config_item": 999999}).status_code == 404
    assert api.post(url, {}).json()["errors"][0]["field"] == "config_item"
    gone = api.delete(f"{url}?config_item={net.pk}&link_type=DependsOn")
    assert gone.status_code == 204
    assert not Link.objects.exists()
    assert History.objects.filter(configitem=net, history_type=HistoryType.LINK_DELETE).exists()
    assert api.delete(f"{url}?config_item={net.pk}").status_code == 404
    assert api.delete(f"{url}?config_item=abc").status_code == 400


def test_a_ci_is_linked_to_a_ticket_the_agent_can_read(people):
    rw, ro, _outsider = people
    pc = make_ci("apiw-ticket-pc")
    readable = factories.queue("Apiw readable", group_=factories.group("apiw-readable"))
    hidden = factories.queue("Apiw hidden", group_=factories.group("apiw-hidden"))
    factories.grant(rw, readable.group, factories.RO)
    ticket, secret = factories.ticket(readable), factories.ticket(hidden)
    api = ApiClient(token_for(rw))
    url = f"/api/v1/config-items/{pc.pk}/links/"
    made = api.post(url, {"ticket": ticket.pk})
    assert made.status_code == 201, made.content
    assert made.json()["link_type"] == "RelevantTo" and made.json()["ticket"] == ticket.pk
    assert TicketLink.objects.filter(configitem=pc, ticket=ticket).exists()
    assert api.post(url, {"ticket": secret.pk}).status_code == 404
    wrong_type = api.post(url, {"ticket": ticket.pk, "link_type": "Includes"})
    assert wrong_type.status_code == 400
    assert wrong_type.json()["errors"][0]["field"] == "link_type"
    assert api.post(url, {"ticket": ticket.pk, "config_item": pc.pk}).status_code == 400
    assert ApiClient(token_for(ro)).delete(f"{url}?ticket={ticket.pk}").status_code == 404
    assert api.delete(f"{url}?ticket={ticket.pk}").status_code == 204
    assert not TicketLink.objects.exists()
    assert api.delete(f"{url}?ticket={ticket.pk}").status_code == 404

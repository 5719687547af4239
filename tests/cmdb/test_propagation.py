"""Links and incident propagation: chains, cycles, both directions, clearing."""

from __future__ import annotations

import pytest

from cmdb import actions
from cmdb.choices import HistoryType, LinkType
from cmdb.models import CatalogItem, ConfigItem, History, TicketLink
from otrs.errors import DomainError
from tests import factories
from tests.cmdb import make_ci, personas
from tickets import actions as ticket_actions

pytestmark = pytest.mark.django_db


def current(*cis) -> list[str]:
    return [
        ConfigItem.objects.select_related("current_incident_state")
        .get(pk=ci.pk)
        .current_incident_state.name
        for ci in cis
    ]


def depends(a, b):
    """a depends on b."""
    return actions.link_configitems(a, b, LinkType.DEPENDS_ON, actor=factories.system())


def incident(ci, name="Incident"):
    actions.set_incident_state(ci, name, actor=factories.system())


def test_an_incident_warns_a_chain_of_dependents_and_clears():
    app, server, rack = make_ci("app"), make_ci("server"), make_ci("rack", "Location")
    depends(app, server)
    depends(server, rack)
    incident(rack)
    assert current(rack, server, app) == ["Incident", "Warning", "Warning"]
    incident(rack, "Operational")
    assert current(rack, server, app) == ["Operational", "Operational", "Operational"]


def test_both_directions_by_default_and_one_by_setting(settings):
    app, server = make_ci("app"), make_ci("server")
    depends(app, server)
    incident(app)  # what app depends on is warned too (DependsOn: both)
    assert current(server) == ["Warning"]
    incident(app, "Operational")
    settings.CMDB_INCIDENT_LINK_TYPES = ["DependsOn:source"]
    incident(app)
    assert current(server) == ["Operational"]
    incident(app, "Operational")
    incident(server)
    assert current(app) == ["Warning"]


def test_a_cycle_ends_and_everyone_on_it_is_warned():
    a, b, c = make_ci("a"), make_ci("b"), make_ci("c")
    depends(a, b)
    depends(b, c)
    depends(c, a)
    incident(a)
    assert current(a, b, c) == ["Incident", "Warning", "Warning"]
    incident(a, "Operational")
    assert current(a, b, c) == ["Operational"] * 3


def test_other_link_types_do_not_carry_warnings():
    a, b = make_ci("a"), make_ci("b")
    actions.link_configitems(a, b, LinkType.CONNECTED_TO, actor=factories.system())
    incident(a)
    assert current(b) == ["Operational"]


def test_a_new_link_to_a_ci_in_incident_warns_and_unlinking_clears():
    a, b = make_ci("a"), make_ci("b")
    incident(b)
    link = depends(a, b)
    assert current(a) == ["Warning"]
    actions.unlink_configitems(link, actor=factories.system(), acting_on=a)
    assert current(a) == ["Operational"]
    assert History.objects.filter(configitem=a, history_type=HistoryType.LINK_DELETE).exists()


def test_a_ci_warned_by_two_incidents_stays_warned_until_both_end():
    a, b, c = make_ci("a"), make_ci("b"), make_ci("c")
    depends(c, a)
    depends(c, b)
    incident(a)
    incident(b)
    incident(a, "Operational")
    assert current(c) == ["Warning"]
    incident(b, "Operational")
    assert current(c) == ["Operational"]


def test_links_show_from_both_ends_and_duplicates_are_no_ops():
    a, b = make_ci("a"), make_ci("b")
    first = depends(a, b)
    assert depends(a, b).pk == first.pk
    with pytest.raises(DomainError):
        depends(b, a)  # the reverse pointed link
    assert a.links_out.count() == 1 and b.links_in.count() == 1


def test_a_link_to_a_ci_the_agent_cannot_see_is_not_found():
    rw, _ro, outsider = personas()
    mine = make_ci("mine")
    group = factories.group("secret")

    CatalogItem.objects.filter(name="Hardware", catalog="ITSM::ConfigItem::Class").update(
        group=group
    )
    hidden = make_ci("hidden", "Hardware")
    with pytest.raises(DomainError) as caught:
        actions.link_configitems(mine, hidden, LinkType.DEPENDS_ON, actor=rw)
    assert "No such configuration item" in caught.value.message
    with pytest.raises(DomainError):
        actions.link_configitems(mine, make_ci("x"), LinkType.DEPENDS_ON, actor=outsider)


def test_ticket_links_and_incidents_from_tickets(
    settings, support, django_capture_on_commit_callbacks
):
    settings.CMDB_INCIDENT_FROM_TICKETS = True
    server, app = make_ci("server"), make_ci("app")
    depends(app, server)
    ticket = factories.ticket(support.queue)
    actions.link_ticket(server, ticket.pk, LinkType.RELEVANT_TO, actor=factories.system())
    assert TicketLink.objects.filter(configitem=server, ticket=ticket).exists()
    assert current(server, app) == ["Incident", "Warning"]

    with django_capture_on_commit_callbacks(execute=True):  # the event reaches the handler
        ticket_actions.set_state(ticket, factories.state("closed successful"), actor=support.rw)
    assert current(server, app) == ["Operational", "Operational"]


def test_linking_a_ticket_the_agent_cannot_see_is_refused(support):
    rw, _ro, _outsider = personas()
    server = make_ci("server")
    ticket = factories.ticket(support.queue)
    with pytest.raises(DomainError) as caught:
        actions.link_ticket(server, ticket.pk, LinkType.RELEVANT_TO, actor=rw)
    assert "No such ticket" in caught.value.message

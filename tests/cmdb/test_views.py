"""The agent's CMDB screens: every URL against every persona, forms, refusals."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from cmdb import actions
from cmdb.choices import LinkType
from cmdb.models import ConfigItem, Link, TicketLink, Version
from tests import factories
from tests.cmdb import ci_class, make_ci, path, personas
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(support):
    rw, ro, outsider = personas()
    factories.grant(rw, support.group, factories.RW)
    server = make_ci("server-1", values={"Vendor": "Acme", "SerialNumber": "SN-1"})
    app = make_ci("app-1", "Software")
    link = actions.link_configitems(app, server, LinkType.DEPENDS_ON, actor=factories.system())
    ticket = factories.ticket(support.queue)
    ticket_link = actions.link_ticket(
        server, ticket.pk, LinkType.RELEVANT_TO, actor=factories.system()
    )
    # A second link of the ticket, for the zoom panel's remove button in the matrix (the CI
    # page's button has removed the first one by then).
    panel_link = actions.link_ticket(app, ticket.pk, LinkType.RELEVANT_TO, actor=factories.system())
    customer = factories.customer()
    return type(
        "World",
        (),
        {
            "rw": rw,
            "ro": ro,
            "outsider": outsider,
            "customer": customer,
            "server": server,
            "app": app,
            "link": link,
            "ticket": ticket,
            "ticket_link": ticket_link,
            "panel_link": panel_link,
            "support": support,
        },
    )


def urls(w):
    """(method, url, who may) for every CMDB URL: "ro" readers, "rw" writers."""
    ci = w.server.pk
    cls = ci_class().pk
    return [
        ("get", reverse("agent:cmdb"), "agent"),
        ("get", reverse("agent:cmdb_list"), "agent"),
        ("get", reverse("agent:cmdb_ci", args=[ci]), "ro"),
        ("get", reverse("agent:cmdb_print", args=[ci]), "ro"),
        ("get", reverse("agent:cmdb_ci_links", args=[ci]), "ro"),
        ("get", reverse("agent:cmdb_graph", args=[ci]), "ro"),
        ("get", reverse("agent:cmdb_diff", args=[ci]), "ro"),
        ("get", reverse("agent:cmdb_edit", args=[ci]), "rw"),
        ("get", reverse("agent:cmdb_copy", args=[ci]), "rw"),
        ("get", reverse("agent:cmdb_add", args=[cls]), "rw"),
        ("get", reverse("agent:cmdb_definition", args=[cls]), "rw"),
        ("get", reverse("agent:cmdb_definition_export", args=[cls]), "rw"),
        ("post", reverse("agent:cmdb_link", args=[ci]), "rw"),
        ("post", reverse("agent:cmdb_unlink", args=[ci, w.link.pk]), "rw"),
        ("post", reverse("agent:cmdb_link_ticket", args=[ci]), "rw"),
        ("post", reverse("agent:cmdb_unlink_ticket", args=[ci, w.ticket_link.pk]), "rw"),
        ("get", reverse("agent:cmdb_ticket_panel", args=[w.ticket.pk]), "rw"),
        ("post", reverse("agent:cmdb_ticket_link", args=[w.ticket.pk]), "rw"),
        (
            "post",
            reverse("agent:cmdb_ticket_unlink", args=[w.ticket.pk, w.panel_link.pk]),
            "rw",
        ),
        ("post", reverse("agent:cmdb_bulk"), "agent"),
        ("get", reverse("agent:cmdb_export"), "agent"),
        ("get", reverse("agent:cmdb_import"), "agent"),
        ("post", reverse("agent:cmdb_import"), "agent"),
    ]


def test_permission_matrix_over_every_url(client, world):
    for method, url, need in urls(world):
        for who in ("rw", "ro", "outsider", "customer", "anonymous"):
            client.logout()
            if who != "anonymous":
                client.force_login(getattr(world, who))
            response = getattr(client, method)(url)
            if who == "anonymous":
                assert response.status_code == 302 and "/login" in response["Location"], url
                continue
            if who == "customer":
                assert response.status_code == 403, url
                continue
            allowed = need == "agent" or who == "rw" or (need == "ro" and who == "ro")
            if allowed:
                assert response.status_code in (200, 302, 400), (url, who, response.status_code)
            else:
                assert response.status_code == 404, (url, who, response.status_code)


def test_the_overview_counts_by_class_and_state(client, world):
    client.force_login(world.ro)
    response = client.get(reverse("agent:cmdb"))
    computer = next(r for r in response.context["rows"] if r.ci_class.name == "Computer")
    assert computer.total == 1
    client.force_login(world.outsider)
    assert client.get(reverse("agent:cmdb")).context["rows"] == []


def test_the_list_filters_by_searchable_attribute(client, world):
    make_ci("server-2", values={"Vendor": "Globex"})
    client.force_login(world.ro)
    vendor = path("Computer", "Vendor").split(":")[0]
    response = client.get(reverse("agent:cmdb_list"), {"attribute": vendor, "value": "acm"})
    assert [ci.name for ci in response.context["page"].rows] == ["server-1"]
    response = client.get(reverse("agent:cmdb_list"), {"q": "server"})
    assert len(response.context["page"].rows) == 2


def test_the_ci_page_shows_the_first_links_and_their_total_the_links_page_all(
    client, world, monkeypatch
):
    monkeypatch.setattr("cmdb.selectors.LINKS_SHOWN", 2)
    monkeypatch.setattr("cmdb.selectors.LINKS_PER_PAGE", 2)
    system = factories.system()
    # server-1 has app-1 depending on it (incoming); three outgoing links more.
    for name in ("rack-b", "rack-a", "rack-c"):
        other = make_ci(name, "Location")
        actions.link_configitems(world.server, other, LinkType.CONNECTED_TO, actor=system)
    client.force_login(world.ro)

    response = client.get(reverse("agent:cmdb_ci", args=[world.server.pk]))
    assert [row.other.name for row in response.context["links"]] == ["rack-a", "rack-b"]
    assert response.context["links_total"] == 4
    all_links = reverse("agent:cmdb_ci_links", args=[world.server.pk])
    assert f'href="{all_links}"' in response.content.decode()

    # Outgoing first, by type and name, then incoming; a page may span both.
    pages = [client.get(all_links, {"page": n}).context["page"] for n in (1, 2, 3)]
    assert [[row.other.name for row in page.rows] for page in pages] == [
        ["rack-a", "rack-b"],
        ["rack-c", "app-1"],
        [],
    ]
    assert pages[1].rows[1].label == "required for"
    assert "3–4 of 4" in client.get(all_links, {"page": 2}).content.decode()  # noqa: RUF001
    # The printed CI lists every link.
    printed = client.get(reverse("agent:cmdb_print", args=[world.server.pk])).content.decode()
    assert all(name in printed for name in ("rack-a", "rack-b", "rack-c", "app-1"))


def test_the_ci_page_has_no_all_links_link_when_it_shows_them_all(client, world):
    client.force_login(world.ro)
    response = client.get(reverse("agent:cmdb_ci", args=[world.server.pk]))
    assert response.context["links_total"] == len(response.context["links"]) == 1
    all_links = reverse("agent:cmdb_ci_links", args=[world.server.pk])
    assert f'href="{all_links}"' not in response.content.decode()


def test_the_ci_page_shows_links_from_both_ends_tickets_and_graph(client, world):
    client.force_login(world.rw)
    page = client.get(reverse("agent:cmdb_ci", args=[world.server.pk])).content.decode()
    assert "app-1" in page and "required for" in page
    assert world.ticket.number in page
    assert "<svg" in page
    other = client.get(reverse("agent:cmdb_ci", args=[world.app.pk])).content.decode()
    assert "server-1" in other and "depends on" in other


def test_the_ticket_zoom_lists_linked_cis_with_their_incident_state(client, world):
    actions.set_incident_state(world.server, "Incident", actor=factories.system())
    client.force_login(world.rw)
    page = client.get(reverse("agent:zoom", args=[world.ticket.pk])).content.decode()
    assert "server-1" in page and "Incident" in page


def test_adding_a_ci_through_the_form(client, world):
    client.force_login(world.rw)
    cls = ci_class("Hardware")
    url = reverse("agent:cmdb_add", args=[cls.pk])
    form = client.get(url).context["form"]
    data = {
        "name": "printer-1",
        "deployment_state": form.initial["deployment_state"],
        "incident_state": form.initial["incident_state"],
    }
    type_field = "v_" + path("Hardware", "Type").replace(":", "-")
    data[type_field] = "Printer"
    response = client.post(url, data)
    assert response.status_code == 302
    ci = ConfigItem.objects.get(name="printer-1")
    assert ci.ci_class == cls


def test_a_bad_value_is_shown_on_its_field_and_nothing_is_written(client, world):
    client.force_login(world.rw)
    cls = ci_class("Hardware")
    url = reverse("agent:cmdb_add", args=[cls.pk])
    form = client.get(url).context["form"]
    date_field = "v_" + path("Hardware", "WarrantyExpirationDate").replace(":", "-")
    response = client.post(
        url,
        {
            "name": "printer-1",
            "deployment_state": form.initial["deployment_state"],
            "incident_state": form.initial["incident_state"],
            date_field: "soon",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Type: This field is required." in " ".join(m for ms in errors.values() for m in ms)
    assert date_field in errors
    assert not ConfigItem.objects.filter(name="printer-1").exists()


def test_editing_without_changes_makes_no_version(client, world):
    client.force_login(world.rw)
    url = reverse("agent:cmdb_edit", args=[world.server.pk])
    form = client.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert Version.objects.filter(configitem=world.server).count() == 1


def test_linking_from_the_page_and_refusing_an_invisible_ticket(client, world):
    client.force_login(world.rw)
    other = make_ci("switch-1", "Hardware")
    client.post(
        reverse("agent:cmdb_link", args=[world.server.pk]),
        {"link_type": "-DependsOn", "other": other.number},
    )
    assert Link.objects.filter(source=other, target=world.server).exists()
    hidden_queue = factories.queue()
    hidden = factories.ticket(hidden_queue)
    response = client.post(
        reverse("agent:cmdb_link_ticket", args=[world.server.pk]),
        {"ticket-link_type": "RelevantTo", "ticket-ticket": hidden.number},
        follow=True,
    )
    assert "No such ticket" in response.content.decode()
    assert not TicketLink.objects.filter(ticket=hidden).exists()


def test_bulk_change_of_incident_state(client, world):
    client.force_login(world.rw)
    incident = ConfigItem._meta.get_field("incident_state").related_model.objects.get(
        name="Incident"
    )
    client.post(
        reverse("agent:cmdb_bulk"),
        {"ids": [world.server.pk, world.app.pk], "incident_state": incident.pk},
    )
    world.app.refresh_from_db()
    assert world.app.incident_state.name == "Incident"
    client.force_login(world.ro)  # ro: the CIs are not offered, nothing changes
    operational = incident.__class__.objects.get(name="Operational")
    client.post(
        reverse("agent:cmdb_bulk"), {"ids": [world.app.pk], "incident_state": operational.pk}
    )
    world.app.refresh_from_db()
    assert world.app.incident_state.name == "Incident"


def test_diff_between_two_versions(client, world):
    actions.set_deployment_state(world.server, "Repair", actor=factories.system())
    client.force_login(world.ro)
    response = client.get(reverse("agent:cmdb_diff", args=[world.server.pk]), {"a": 1, "b": 2})
    assert ("Deployment state", "Production", "Repair") in response.context["changes"]


def test_the_definition_editor_asks_before_removing_values(client, world):
    client.force_login(world.rw)
    cls = ci_class()
    url = reverse("agent:cmdb_definition", args=[cls.pk])
    specs = [s for s in actions.definition_specs(cls) if s["key"] != "Vendor"]

    response = client.post(url, {"definition": json.dumps(specs)})
    assert response.status_code == 400
    assert "Vendor" in response.content.decode()
    response = client.post(url, {"definition": json.dumps(specs), "confirm": "on"})
    assert response.status_code == 302


def test_ticket_objects_are_untouched(world):
    assert Ticket.objects.count() == 1


def test_the_zoom_panel_links_and_unlinks_and_refuses_what_the_agent_may_not_use(
    client, world, support
):
    extra = make_ci("panel-extra", "Software")
    zoom = reverse("agent:zoom", args=[world.ticket.pk])
    link = reverse("agent:cmdb_ticket_link", args=[world.ticket.pk])
    client.force_login(world.rw)
    page = client.get(zoom).content.decode()
    assert 'id="zoom-cis"' in page and 'data-partial="#zoom-cis"' in page

    response = client.post(link, {"cmdb-configitem": extra.number, "cmdb-link_type": "x"})
    assert response.status_code == 302
    assert not TicketLink.objects.filter(ticket=world.ticket, configitem=extra).exists()
    response = client.post(
        link, {"cmdb-configitem": extra.number, "cmdb-link_type": LinkType.DEPENDS_ON}
    )
    assert response["Location"].endswith(zoom + "#zoom-cis")
    made = TicketLink.objects.get(ticket=world.ticket, configitem=extra)
    assert made.link_type == LinkType.DEPENDS_ON
    page = client.get(zoom).content.decode()
    assert "panel-extra linked to the ticket" in page and "Remove link" in page

    # By name too; an unknown one is refused with its text and nothing is linked.
    before = TicketLink.objects.count()
    client.post(link, {"cmdb-configitem": "no-such-ci", "cmdb-link_type": "RelevantTo"})
    page = client.get(zoom).content.decode()
    assert "No such configuration item: no-such-ci." in page
    assert TicketLink.objects.count() == before

    # A reader of the CMDB who writes on the ticket cannot link: the CI is "not found".
    reader = factories.agent("cmdb_panel_reader")
    factories.grant(reader, support.group, factories.RW)
    factories.grant(reader, world.server.ci_class.group, factories.RO)
    client.force_login(reader)
    client.post(link, {"cmdb-configitem": "panel-extra", "cmdb-link_type": "RelevantTo"})
    assert TicketLink.objects.count() == before
    page = client.get(zoom).content.decode()
    assert "server-1" in page and "Remove link" not in page
    unlink = reverse("agent:cmdb_ticket_unlink", args=[world.ticket.pk, made.pk])
    assert client.post(unlink).status_code == 404

    # A link of another ticket is not found through this ticket.
    client.force_login(world.rw)
    other = factories.ticket(support.queue)
    wrong = reverse("agent:cmdb_ticket_unlink", args=[other.pk, made.pk])
    assert client.post(wrong).status_code == 404
    assert client.post(unlink).status_code == 302
    assert not TicketLink.objects.filter(pk=made.pk).exists()

"""The agent portal's shell (otrs/agent): the navigation rendered from what the apps declare,
the agents-only gate around every contributed screen, /agent/ itself, and the preferences
page assembled from the apps' sections."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import ModuleType

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path

from otrs.agent import registry
from otrs.agent.registry import Contribution, MenuEntry
from otrs.agent.urls import agents_only
from otrs.agent.views import home
from tests import factories

SHELL = Path(__file__).resolve().parents[2] / "otrs" / "agent"
DOMAIN_PACKAGES = {"tickets", "customers", "faq", "cmdb", "admin_portal", "customer_portal"}
MAIN_NAV = re.compile(r'<ul class="mainnav">(.*?)</ul>\s*</nav>', re.S)


def _menu(html: str) -> list[tuple[str, str]]:
    """(data-nav, label) of each main navigation link, in order."""
    nav = MAIN_NAV.search(html).group(1)
    return re.findall(r'data-nav="([^"]+)"[^>]*>(?:<svg.*?</svg>)?([^<]+)</a>', nav, re.S)


def test_the_navigation_lists_what_the_apps_declare_in_order(client, db):
    client.force_login(factories.agent())
    assert _menu(client.get("/agent/").content.decode()) == [
        ("dashboard", "Dashboard"),
        ("queues", "Queues"),
        ("status", "Status"),
        ("locked", "Locked"),
        ("watched", "Watched"),
        ("responsible", "Responsible"),
        ("customers", "Customers"),
        ("faq", "FAQ"),
        ("cmdb", "CMDB"),
        ("new_phone_ticket", "New phone ticket"),
        ("new_email_ticket", "New email ticket"),
        ("new_process_ticket", "New process ticket"),
    ]


def test_it_marks_the_current_entry_and_carries_the_shortcuts(client, db):
    client.force_login(factories.agent())
    html = client.get("/agent/queues/").content.decode()
    assert '<a href="/agent/queues/" data-nav="queues" data-nav-shortcut="q" aria-current' in html
    assert html.count('aria-current="page"') == 1
    dashboard = client.get("/agent/").content.decode()
    assert '<a href="/agent/" data-nav="dashboard" data-nav-shortcut="d" aria-current' in dashboard


def test_it_speaks_the_agents_language(client, db):
    client.force_login(factories.agent(language="de"))
    html = client.get("/agent/").content.decode()
    assert ("customers", "Kunden") in _menu(html)
    assert 'placeholder="Suche (/)"' in html


def test_an_entry_with_a_rule_shows_only_to_the_agents_it_names():
    entry = MenuEntry("x", "X", "agent:x", visible=lambda user: user == "chosen")
    assert entry.is_visible_to("chosen")
    assert not entry.is_visible_to("other")
    assert MenuEntry("y", "Y", "agent:y").is_visible_to("anyone")


def test_two_apps_cannot_declare_the_same_menu_key():
    def module(name: str) -> ModuleType:
        declared = ModuleType(name)
        declared.menu = [MenuEntry("reports", "Reports", f"agent:{name}")]
        return declared

    with pytest.raises(ImproperlyConfigured, match=r"'reports' of the app 'two'.*'one'"):
        registry.check_menu_keys(
            [Contribution("one", module("one")), Contribution("two", module("two"))]
        )


def _bare_view(request, **kwargs):
    return HttpResponse("inside")


def test_the_shell_puts_every_contributed_view_behind_the_agents_only_gate(db):
    nested = [path("b/<int:pk>/", _bare_view, name="b")]
    patterns = agents_only([path("a/", _bare_view, name="a"), path("n/", include(nested))])
    plain, resolver = patterns[0].callback, patterns[1].url_patterns[0].callback
    factory = RequestFactory()

    for view in (plain, resolver):
        anonymous = factory.get("/agent/a/")
        anonymous.user = _anonymous()
        assert view(anonymous).status_code == 302

        customer = factory.get("/agent/a/")
        customer.user = factories.customer()
        assert view(customer).status_code == 403

        agent = factory.get("/agent/a/")
        agent.user = factories.agent()
        assert view(agent, pk=1).content == b"inside"


def _anonymous():
    return AnonymousUser()


def test_home_sends_an_agent_to_the_first_menu_entry_when_no_app_claims_agent_root(db):
    request = RequestFactory().get("/agent/")
    request.user = factories.agent()
    response = home(request)
    assert response.status_code == 302
    assert response.url == "/agent/"  # the dashboard, the first entry


def test_the_preferences_page_holds_the_general_settings_and_the_ticket_section(client, db):
    client.force_login(factories.agent())
    html = client.get("/agent/preferences/").content.decode()
    for name in ("language", "time_zone", "rows_per_page", "my_queues", "notify_new_ticket"):
        assert f'name="{name}"' in html, name
    assert html.index('name="rows_per_page"') < html.index("Notifications by mail")


def test_an_invalid_section_saves_nothing_of_the_page(client, db):
    agent = factories.agent()
    client.force_login(agent)
    response = client.post(
        "/agent/preferences/",
        {"language": "de", "time_zone": "", "rows_per_page": 50, "my_queues": ["999999"]},
    )
    assert response.status_code == 200
    agent.refresh_from_db()
    assert (agent.language, agent.rows_per_page) == ("", 25)


def test_the_shell_imports_no_domain_app():
    for source in SHELL.rglob("*.py"):
        tree = ast.parse(source.read_text(), str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            assert not {name.split(".")[0] for name in names} & DOMAIN_PACKAGES, source

"""The extension seen from inside a process whose environment names it (EXTRA_APPS). Not
collected by a plain pytest run (the name does not match ``test_*.py``):
``tests/agent/test_extensions.py`` starts ``pytest tests/extension_example/checks.py`` with
``EXTRA_APPS=tests.extension_example`` and expects every check here to pass."""

import pytest
from django.apps import apps
from django.conf import settings

from tests import factories

from .receivers import heard

REPORT = "/agent/example/report/"


@pytest.fixture
def reports(db):
    return factories.group("reports")


def test_it_is_installed_from_the_environment():
    assert apps.is_installed("tests.extension_example")
    assert settings.INSTALLED_APPS[-1] == "tests.extension_example"


def test_its_page_and_menu_entry_are_there_for_agents_with_reports_grants(client, reports):
    analyst = factories.agent("analyst")
    factories.grant(analyst, reports, factories.RO)
    client.force_login(analyst)

    dashboard = client.get("/agent/").content.decode()
    assert f'<a href="{REPORT}" data-nav="example_report"' in dashboard
    assert ">Example report</a>" in dashboard
    # The core's entries are still there, and the extension's comes after them (order 95).
    assert dashboard.index('data-nav="new_email_ticket"') < dashboard.index("Example report")

    page = client.get(REPORT)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Prepared for analyst by the example extension." in html
    assert f'<a href="{REPORT}" data-nav="example_report" aria-current="page">' in html


def test_other_agents_see_neither_the_entry_nor_the_page(client, reports):
    client.force_login(factories.agent("clerk"))
    assert "Example report" not in client.get("/agent/").content.decode()
    assert client.get(REPORT).status_code == 404


def test_customers_are_refused_like_on_every_agent_page(client, reports):
    customer = factories.customer("carol")
    client.force_login(customer)
    response = client.get(REPORT)
    assert response.status_code == 403
    assert "Agents only" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_sign_in(client, reports):
    response = client.get(REPORT)
    assert response.status_code == 302
    assert response.url == f"/agent/login/?next={REPORT}"


def test_its_event_handler_hears_of_new_tickets(django_capture_on_commit_callbacks, support):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.ticket(support.queue)

    assert heard == [ticket.pk]

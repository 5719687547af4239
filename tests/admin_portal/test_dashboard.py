"""The admin dashboard: the modules the installed apps register, in OTRS's groups, a search
that needs no script, each admin seeing what they may use."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import modify_settings
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from otrs.web.admin_modules import Category
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)


def _modules(response) -> dict[str, list[str]]:
    return {
        section.category: [module.key for module in section.modules]
        for section in response.context["sections"]
    }


def test_it_groups_the_modules_as_otrs_does(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    modules = _modules(response)
    assert list(modules) == list(Category.values)
    assert modules["users"][:3] == ["agents", "customer_users", "customer_companies"]
    assert "permissions" in modules["users"]
    assert {"queues", "states", "services", "slas", "calendars"} <= set(modules["tickets"])
    assert {"mail_accounts", "postmaster_filters", "mail_health"} <= set(modules["communication"])
    assert {"generic_agent", "acls", "custom_fields", "scheduled_jobs"} <= set(
        modules["automation"]
    )
    assert {"cmdb_classes", "faq_categories"} <= set(modules["cmdb_faq"])
    page = response.content.decode()
    # Celery beat's tables are no module of their own: "Scheduled jobs" stands for them.
    assert "crontab" not in page.lower() and "Periodic tasks" not in page
    assert "Where tickets live, their group and escalation times." in page


def test_it_finds_modules_by_label_and_description(client, superuser):
    client.force_login(superuser)
    found = _modules(client.get(reverse("admin:index"), {"q": "OAuth2"}))
    assert found == {"communication": ["mail_accounts"]}
    assert _modules(client.get(reverse("admin:index"), {"q": "queue"}))["tickets"][0] == "queues"
    nothing = client.get(reverse("admin:index"), {"q": "no such module"})
    assert nothing.context["sections"] == []
    assert "No module matches" in nothing.content.decode()


def test_it_searches_what_the_admin_reads_in_their_language(client, superuser):
    superuser.language = "de"
    superuser.save()
    client.force_login(superuser)
    response = client.get(reverse("admin:index"), {"q": "Eskalationszeiten"})
    assert "queues" in _modules(response)["tickets"]


def test_it_shows_an_admin_only_the_modules_they_may_use(client):
    staff = factories.agent("queue_admin", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_queue"))
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    # CMDB's module links to the agent portal's own pages, which check their own rules.
    assert _modules(response) == {"tickets": ["queues"], "cmdb_faq": ["cmdb_classes"]}


def test_it_keeps_agents_who_are_no_admins_out(client, support):
    client.force_login(support.rw)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@modify_settings(INSTALLED_APPS={"append": "tests.admin_portal.plugin"})
def test_an_installed_app_adds_its_module_and_panel_without_a_change_here(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert "plugin_backups" in _modules(response)["administration"]
    assert '<p id="plugin-panel">Last backup verified</p>' in response.content.decode()


def test_without_the_app_its_module_is_gone(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert "plugin_backups" not in _modules(response)["administration"]
    assert "plugin-panel" not in response.content.decode()


def test_it_lists_scheduled_jobs_with_readable_schedules(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:scheduled_jobs"))
    assert response.status_code == 200
    schedules = {job.name: job.schedule for job in response.context["jobs"]}
    assert schedules["Ticket escalation check"] == "every 5 minutes"
    assert schedules["Ticket unlock timeout"] == "every hour at minute 35"

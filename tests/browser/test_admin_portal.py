"""The admin dashboard in a real browser, JavaScript off.

The walk (issue 17): an administrator creates a group and a queue in it, grants the group to
a role in the matrix, gives an agent the role; the agent then sees the queue. The looks: every
new screen light and dark, English and German, 375 and 1,400 px wide, into test-artifacts/.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from otrs.accounts import actions
from otrs.accounts.models import Group, Role, User, UserKind
from otrs.daemon import heartbeat
from otrs.ops.models import MaintenanceWindow
from otrs.policy import actions as policy_actions
from tests import factories
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS, submit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _context(browser, live_server, *, width=1280, language="en", scheme="light"):
    context = browser.new_context(
        java_script_enabled=False,
        viewport={"width": width, "height": 900},
        locale="de-DE" if language == "de" else "en-US",
        color_scheme=scheme,
        base_url=live_server.url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _sign_in(page, path: str, username: str) -> None:
    page.goto(path)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw")
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")


def test_the_admin_walk_without_javascript(browser, live_server):
    User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    walker = factories.agent("walker")
    walker.set_password("pw")
    walker.save()
    role = factories.role("Ops team")

    admin_context = _context(browser, live_server)
    admin = admin_context.new_page()
    _sign_in(admin, "/admin/login/?next=/admin/", "root")
    assert admin.get_by_role("heading", name="Users, groups and roles").count() == 1

    # A group, and a queue in it.
    admin.get_by_role("link", name="Groups", exact=True).click()
    admin.get_by_role("link", name="Add group").click()
    admin.locator("#id_name").fill("Operations")
    submit(admin.get_by_role("button", name="Save", exact=True))
    assert Group.objects.filter(name="Operations").exists()
    admin.goto("/admin/tickets/queue/add/")
    admin.locator("#id_name").fill("Ops desk")
    admin.locator("#id_group").select_option(label="Operations")
    submit(admin.get_by_role("button", name="Save", exact=True))
    assert admin.get_by_text("was added successfully").count() == 1

    # The group to the role, in the matrix.
    admin.goto("/admin/")
    admin.get_by_role("link", name="Permissions", exact=True).click()
    admin.get_by_role("link", name="Roles of Operations").click()
    admin.get_by_role("checkbox", name="read and write: Ops team").check()
    submit(admin.get_by_role("button", name="Save"))
    assert admin.get_by_text("1 change saved.").count() == 1
    assert (
        admin.get_by_text("role Ops team was granted “read and write” on Operations").count() == 1
    )

    # The role to the agent, filtered down to them.
    admin.get_by_role("link", name="Permissions", exact=True).click()
    admin.get_by_role("link", name="Members of Ops team").click()
    admin.get_by_label("Filter", exact=True).fill("walker")
    admin.get_by_role("button", name="Filter").click()
    admin.get_by_role("checkbox", name="member: walker").check()
    submit(admin.get_by_role("button", name="Save"))
    assert admin.get_by_text("walker joined the role Ops team").count() == 1
    assert role.members.filter(pk=walker.pk).exists()
    admin_context.close()

    agent_context = _context(browser, live_server)
    agent = agent_context.new_page()
    _sign_in(agent, "/agent/login/?next=/agent/queues/", "walker")
    assert agent.get_by_text("Ops desk").count() >= 1
    agent_context.close()


SCREENS = [
    ("dashboard", "/admin/"),
    ("dashboard-search", "/admin/?q=mail"),
    ("permissions", "/admin/permissions/"),
    ("group-agents", "/admin/accounts/group/{group}/agents/"),
    ("group-roles", "/admin/accounts/group/{group}/roles/"),
    ("role-members", "/admin/accounts/role/{role}/agents/"),
    ("scheduled-jobs", "/admin/scheduled-jobs/"),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_new_admin_screens(browser, live_server, scheme, language):
    root = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    root.language = language
    root.save()
    group = factories.group("support")
    agents = [
        factories.agent(f"agent{n}", first_name="Kim", last_name=f"Lee {n}") for n in range(4)
    ]
    role = factories.role("Helpdesk", members=agents[:2], grants=[(group, "rw")])
    actions.set_agent_grants(
        group, {agents[2].pk: {"ro", "note"}, agents[3].pk: {"rw"}}, actor=root
    )
    actions.set_role_members(role, {agents[3].pk: True}, actor=root)
    assert Role.objects.count() == 1
    client = Client()
    client.force_login(root)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (375, 1400):
        context = _context(browser, live_server, width=width, language=language, scheme=scheme)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        blocked: list[str] = []
        page.on(
            "console",
            lambda message, blocked=blocked: (
                "Content Security Policy" in message.text and blocked.append(message.text)
            ),
        )
        for name, path in SCREENS:
            response = page.goto(path.format(group=group.pk, role=role.pk))
            assert response is not None and response.status == 200, path
            page.screenshot(
                path=str(ARTIFACTS / f"admin-{name}-{language}-{scheme}-{width}.png"),
                full_page=True,
            )
        context.close()
        assert not blocked, blocked


OPERATION_SCREENS = [
    ("health", "/admin/health/"),
    ("dashboard-health-box", "/admin/"),
    ("sessions", "/admin/sessions/"),
    ("system-log", "/admin/system-log/"),
    ("support-bundle", "/admin/support-bundle/"),
    ("maintenance-list", "/admin/ops/maintenancewindow/"),
    ("maintenance-add", "/admin/ops/maintenancewindow/add/"),
    ("banner-agent", "/agent/preferences/"),
    ("configuration", "/admin/configuration/"),
    ("configuration-setting", "/admin/configuration/login_failure_window_minutes/"),
    ("environment", "/admin/configuration/environment/"),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_operation_screens(browser, live_server, scheme, language):

    root = User.objects.create_superuser(
        "ops_shot_root", "ops@example.test", "pw", kind=UserKind.AGENT
    )
    root.language = language
    root.save()
    heartbeat.beat()

    policy_actions.set_value("login_failure_limit", 8, actor=root)
    policy_actions.set_value("login_failure_window_minutes", 30, actor=root)
    policy_actions.set_value("login_failure_window_minutes", 45, actor=root)
    now = timezone.now()
    MaintenanceWindow.objects.create(
        starts_at=now + timedelta(minutes=20),
        ends_at=now + timedelta(minutes=80),
        message="The database moves to a new server; the help desk is away for an hour.",
        created_by=root,
    )
    log = logging.getLogger("otrs.ops_screens")
    log.warning("Mail account “Support” answered slowly (12 s)")
    try:
        raise ConnectionError("SMTP server 127.0.0.1:25 refused the connection")
    except ConnectionError:
        log.exception("Sending queued mail failed")
    client = Client()
    client.force_login(root)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (375, 1400):
        context = _context(browser, live_server, width=width, language=language, scheme=scheme)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        for name, path in OPERATION_SCREENS:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            page.screenshot(
                path=str(ARTIFACTS / f"admin-ops-{name}-{language}-{scheme}-{width}.png"),
                full_page=True,
            )
        # The confirmation of "End sessions" (a POST from the sessions page's form).
        page.goto("/admin/sessions/")
        page.locator("#id_scope").select_option("agents")
        submit(page.locator("#end-sessions ~ input[type=submit]"))
        assert page.locator("#confirm-question").count() == 1
        page.screenshot(
            path=str(ARTIFACTS / f"admin-ops-end-sessions-{language}-{scheme}-{width}.png"),
            full_page=True,
        )
        context.close()
        anonymous = _context(browser, live_server, width=width, language=language, scheme=scheme)
        page = anonymous.new_page()
        page.goto("/customer/login/")
        assert page.locator("#maintenance-banner").count() == 1
        page.screenshot(
            path=str(ARTIFACTS / f"admin-ops-banner-customer-{language}-{scheme}-{width}.png"),
            full_page=True,
        )
        anonymous.close()

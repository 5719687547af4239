"""Operations in the admin: the health page, maintenance windows (banner, sign-in for admins
only), running sessions with "end this session", the system log and the support bundle."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otrs.accounts.models import ThrottleCounter, User, UserKind
from otrs.daemon import heartbeat
from otrs.ops import checks
from otrs.ops.models import MaintenanceWindow
from tests import factories
from tests.customer_portal import ticket_data as data

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return User.objects.create_superuser(
        "ops_root", "ops_root@example.test", "pw", kind=UserKind.AGENT
    )


@pytest.fixture
def as_root(client, root):
    client.force_login(root)
    return client


def window(root, *, starts_in: int, lasts: int = 60, notify: int = 30, message="Database move."):
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        starts_at=now + timedelta(minutes=starts_in),
        ends_at=now + timedelta(minutes=starts_in + lasts),
        notify_minutes=notify,
        message=message,
        created_by=root,
    )


def sign_in(path: str, username: str, password: str = "pw") -> tuple[Client, object]:  # noqa: S107
    client = Client()
    response = client.post(path, {"username": username, "password": password})
    return client, response


# --- health ---------------------------------------------------------------------------------


def test_it_shows_the_checks_of_checkenvironment_the_heartbeat_and_backlogs(as_root):
    heartbeat.beat()
    response = as_root.get(reverse("admin:health"))
    assert response.status_code == 200
    shown = [result.name for result in response.context["results"]]
    # The same checks as manage.py checkenvironment, in its order.
    assert shown == [result.name for result in checks.run()]
    page = response.content.decode()
    assert 'id="check-database"' in page and 'id="check-migrations"' in page
    assert "Daemon heartbeat" in page and "worker" in page
    assert 'id="backlog-outgoing_mail"' in page and 'id="backlog-event_deliveries"' in page


def test_it_names_the_fix_of_a_failed_check(as_root, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    page = as_root.get(reverse("admin:health")).content.decode()
    assert "Some checks failed." in page
    assert "Fix:" in page


def test_it_keeps_the_operation_pages_from_admins_without_the_permission(client):
    staff = factories.agent("ops_staff", is_staff=True)
    client.force_login(staff)
    for name in ("admin:health", "admin:sessions", "admin:system_log", "admin:support_bundle"):
        assert client.get(reverse(name)).status_code == 404, name
    staff.user_permissions.add(Permission.objects.get(codename="view_health"))
    assert client.get(reverse("admin:health")).status_code == 200
    assert client.get(reverse("admin:system_log")).status_code == 404


def test_it_keeps_agents_who_are_no_admins_out(client):
    client.force_login(factories.agent("ops_plain"))
    assert client.get(reverse("admin:health")).status_code == 302


def test_the_dashboard_lists_the_operation_modules(as_root):
    response = as_root.get(reverse("admin:index"))
    keys = {m.key for s in response.context["sections"] for m in s.modules}
    assert {"system_health", "maintenance", "sessions", "system_log", "support_bundle"} <= keys


# --- maintenance windows --------------------------------------------------------------------


def test_the_banner_appears_when_announced_and_during(client, root):
    agent = factories.agent("ops_banner_agent")
    client.force_login(agent)
    later = window(root, starts_in=120, notify=30, message="Moving the database.")
    page = client.get(reverse("agent:preferences")).content.decode()
    assert "maintenance-banner" not in page  # two hours ahead, announced 30 minutes before
    later.starts_at = timezone.now() + timedelta(minutes=20)
    later.save()
    page = client.get(reverse("agent:preferences")).content.decode()
    assert "Maintenance ahead" in page and "Moving the database." in page
    assert "Save your work before it starts" in page
    later.starts_at = timezone.now() - timedelta(minutes=1)
    later.save()
    page = client.get(reverse("agent:preferences")).content.decode()
    assert "Maintenance in progress" in page
    later.ends_at = timezone.now() - timedelta(seconds=1)
    later.starts_at = later.ends_at - timedelta(minutes=5)
    later.save()
    assert "maintenance-banner" not in client.get(reverse("agent:preferences")).content.decode()


def test_the_banner_escapes_the_message(client, root):
    window(root, starts_in=-1, message="<script>alert(1)</script>")
    page = Client().get(reverse("agent:login")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_customers_see_the_banner_on_the_portal(root):
    window(root, starts_in=10, message="Portal pause.")
    page = Client().get(reverse("customer:login")).content.decode()
    assert "Portal pause." in page


def test_during_a_window_only_admins_sign_in(root):
    agent = factories.agent("ops_gate_agent")
    agent.set_password("pw")
    agent.save()
    window(root, starts_in=-5)
    client, response = sign_in(reverse("agent:login"), "ops_gate_agent")
    assert response.status_code == 200
    assert "only administrators can sign in now" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The refusal is no failed attempt: the throttle has nothing counted.

    assert not ThrottleCounter.objects.filter(login="ops_gate_agent").exists()

    client, response = sign_in(reverse("agent:login"), "ops_root")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(root.pk)


def test_during_a_window_customers_cannot_sign_in(root):
    customer = data.customer("ops_gate_customer")
    customer.set_password("pw")
    customer.save()
    window(root, starts_in=-5)
    _client, response = sign_in(reverse("customer:login"), "ops_gate_customer")
    assert response.status_code == 200
    assert "only administrators can sign in now" in response.content.decode()


def test_before_the_window_everyone_signs_in(root):
    agent = factories.agent("ops_gate_before")
    agent.set_password("pw")
    agent.save()
    window(root, starts_in=10)
    _client, response = sign_in(reverse("agent:login"), "ops_gate_before")
    assert response.status_code == 302


def test_the_admin_form_refuses_an_end_before_the_start(as_root):
    response = as_root.post(
        reverse("admin:ops_maintenancewindow_add"),
        {
            "starts_at_0": "2030-01-02",
            "starts_at_1": "10:00:00",
            "ends_at_0": "2030-01-02",
            "ends_at_1": "09:00:00",
            "notify_minutes": "30",
            "message": "Backwards.",
        },
    )
    assert response.status_code == 200
    assert "The end must come after the start." in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_the_admin_form_schedules_a_window(as_root, root):
    response = as_root.post(
        reverse("admin:ops_maintenancewindow_add"),
        {
            "starts_at_0": "2030-01-02",
            "starts_at_1": "10:00:00",
            "ends_at_0": "2030-01-02",
            "ends_at_1": "11:00:00",
            "notify_minutes": "60",
            "message": "Upgrade to the next release.",
        },
    )
    assert response.status_code == 302
    saved = MaintenanceWindow.objects.get()
    assert saved.created_by == root and saved.notify_minutes == 60


# --- sessions -------------------------------------------------------------------------------


def test_it_lists_agents_and_customers_sessions_and_ends_one(root):
    agent = factories.agent("ops_session_agent")
    agent.set_password("pw")
    agent.save()
    customer = data.customer("ops_session_customer")
    customer.set_password("pw")
    customer.save()
    agent_client, _r = sign_in(reverse("agent:login"), "ops_session_agent")
    customer_client, _r = sign_in(reverse("customer:login"), "ops_session_customer")
    admin_client, _r = sign_in(reverse("admin:login"), "ops_root")

    response = admin_client.get(reverse("admin:sessions"))
    rows = {row.user.username: row for row in response.context["rows"]}
    assert {"ops_session_agent", "ops_session_customer", "ops_root"} <= set(rows)
    assert rows["ops_session_agent"].address == "127.0.0.1"
    page = response.content.decode()
    assert agent_client.session.session_key not in page  # the key itself never shows

    only_customers = admin_client.get(reverse("admin:sessions"), {"kind": "customer"})
    assert [row.user.username for row in only_customers.context["rows"]] == ["ops_session_customer"]

    ended = admin_client.post(
        reverse("admin:sessions"), {"session": rows["ops_session_agent"].key_hash}, follow=True
    )
    assert "The session of ops_session_agent was ended." in ended.content.decode()
    assert agent_client.get(reverse("agent:preferences")).status_code == 302  # signed out
    assert customer_client.get(reverse("customer:preferences")).status_code == 200

    again = admin_client.post(
        reverse("admin:sessions"), {"session": rows["ops_session_agent"].key_hash}, follow=True
    )
    assert "This session had already ended." in again.content.decode()
    own = admin_client.post(
        reverse("admin:sessions"), {"session": rows["ops_root"].key_hash}, follow=True
    )
    assert "This is your own session" in own.content.decode()
    assert admin_client.get(reverse("admin:sessions")).status_code == 200


def test_it_answers_a_bad_session_post_with_a_message(as_root):
    response = as_root.post(reverse("admin:sessions"), {"session": "x" * 500}, follow=True)
    assert response.status_code == 200
    assert "No session was chosen." in response.content.decode()


# --- system log -----------------------------------------------------------------------------


def test_it_shows_recent_log_records_by_level(as_root):
    log = logging.getLogger("otrs.ops_test")
    log.info("ops-info-record")
    log.warning("ops-warning-record")
    try:
        raise ValueError("ops-boom")
    except ValueError:
        log.exception("ops-error-record")
    page = as_root.get(reverse("admin:system_log")).content.decode()
    assert "ops-warning-record" in page and "ops-error-record" in page
    assert "ops-info-record" not in page  # warnings and up by default
    assert "ValueError: ops-boom" in page
    errors = as_root.get(reverse("admin:system_log"), {"level": "ERROR"}).content.decode()
    assert "ops-error-record" in errors and "ops-warning-record" not in errors
    everything = as_root.get(reverse("admin:system_log"), {"level": "INFO", "q": "ops-info"})
    assert "ops-info-record" in everything.content.decode()
    assert "ops-warning-record" not in everything.content.decode()
    odd = as_root.get(reverse("admin:system_log"), {"level": "LOUD"})
    assert odd.status_code == 200


def test_it_reads_past_lines_it_cannot_parse(as_root):
    path = settings.SYSTEM_LOG_FILE
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('not json at all\n{"level": 3}\n')
    logging.getLogger("otrs.ops_test").warning("ops-after-garbage")
    assert "ops-after-garbage" in as_root.get(reverse("admin:system_log")).content.decode()


# --- support bundle -------------------------------------------------------------------------


def test_the_support_bundle_holds_no_secret(client, root, settings):
    secrets = {
        "SECRET_KEY": "ops-secret-key-4711-abcdefghijklmnopqrstuvwxyz",
        "EMAIL_HOST_PASSWORD": "ops-mail-password-0815",
        "METRICS_TOKEN": "ops-metrics-token-1234",
    }
    for name, value in secrets.items():
        setattr(settings, name, value)
    settings.CELERY_BROKER_URL = "amqp://guest:ops-broker-pw-99@127.0.0.1:1//"
    # A secret quoted in a log message is masked too.
    logging.getLogger("otrs.ops_test").warning("connecting with ops-mail-password-0815")
    as_root = client
    as_root.force_login(root)  # after the new SECRET_KEY, which signs the session

    assert as_root.get(reverse("admin:support_bundle")).status_code == 200
    response = as_root.post(reverse("admin:support_bundle"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="otrs-support-')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {
        "versions.json",
        "environment.json",
        "settings.json",
        "counts.json",
        "backlogs.json",
        "system-log.json",
        "README.txt",
    } <= names
    everything = b"".join(archive.read(name) for name in names)
    for value in [*secrets.values(), "ops-broker-pw-99"]:
        assert value.encode() not in everything, value
    saved = json.loads(archive.read("settings.json"))
    assert saved["SECRET_KEY"] == "********"
    assert saved["CELERY_BROKER_URL"] == "amqp://guest:********@127.0.0.1:1//"
    assert saved["TIME_ZONE"] == settings.TIME_ZONE  # what is no secret stays readable
    versions = json.loads(archive.read("versions.json"))
    assert any(p.startswith("Django==") for p in versions["packages"])
    assert json.loads(archive.read("counts.json"))["accounts.User"] >= 1
    log = archive.read("system-log.json").decode()
    assert "connecting with ********" in log

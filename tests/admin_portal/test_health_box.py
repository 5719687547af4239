"""The health box on the admin dashboard: daemon heartbeat, mail accounts in error, outgoing
mail, failed webhook deliveries, disk space and the last verified backup, each linking to its
details; shown only to admins who may see the system's health."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from otrs.accounts.models import User, UserKind
from otrs.daemon import heartbeat
from otrs.mail.models import MailAccount
from otrs.ops import backup
from otrs.webhooks.models import Webhook, WebhookDelivery, WebhookDeliveryStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_root(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # where backups are noted
    root = User.objects.create_superuser(
        "hbox_root", "hbox_root@example.test", "pw", kind=UserKind.AGENT
    )
    client.force_login(root)
    return client


def box(client) -> str:
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="health-box"' in page
    return page


def line(page: str, key: str) -> str:
    start = page.index(f'id="health-{key}"')
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_a_quiet_system_reads_ok_and_links_to_the_details(as_root):
    heartbeat.beat()
    page = box(as_root)
    assert "otrs-status-ok" in line(page, "daemon")
    assert reverse("admin:health") in line(page, "daemon")
    assert "otrs-status-ok" in line(page, "webhooks")
    assert "0 deliveries failed in the last 24 hours" in line(page, "webhooks")
    assert "otrs-status-ok" in line(page, "mail_accounts")
    assert "Disk space" in line(page, "disk")


def test_it_names_what_is_wrong(as_root):
    # No heartbeat: the daemon is down.
    MailAccount.objects.create(
        name="hbox-broken", protocol="imap", host="127.0.0.1", login="x", consecutive_failures=3
    )
    hook = Webhook.objects.create(name="hbox-hook", url="https://hooks.example.test/x")
    WebhookDelivery.objects.create(
        hook=hook,
        event_id=1,
        event="TicketCreate",
        object_type="ticket",
        body="{}",
        status=WebhookDeliveryStatus.FAILED,
        retry_until=timezone.now(),
        finished_at=timezone.now(),
    )
    page = box(as_root)
    assert "otrs-status-error" in line(page, "daemon")
    mail = line(page, "mail_accounts")
    assert "otrs-status-error" in mail and "1 account in error: Mail account hbox-broken" in mail
    assert reverse("admin:mail_mailaccount_changelist") in mail
    hooks = line(page, "webhooks")
    assert "otrs-status-warning" in hooks and "1 delivery failed in the last 24 hours" in hooks
    assert "status__exact=failed" in hooks


def test_it_tells_the_age_of_the_last_verified_backup(as_root, settings):
    assert "No verified backup recorded on this host" in line(box(as_root), "backup")
    old = timezone.now() - timedelta(days=10)
    backup.last_verified_file().write_text(
        json.dumps({"at": old.isoformat(), "path": "/srv/backups/otrs.tar"})
    )
    stale = line(box(as_root), "backup")
    assert "otrs-status-warning" in stale and "10 days ago: /srv/backups/otrs.tar" in stale
    backup.last_verified_file().write_text(
        json.dumps({"at": timezone.now().isoformat(), "path": "/srv/backups/new.tar"})
    )
    assert "otrs-status-ok" in line(box(as_root), "backup")
    backup.last_verified_file().write_text("not json")
    assert "No verified backup recorded" in line(box(as_root), "backup")


def test_admins_without_the_health_permission_see_no_box(client):
    staff = factories.agent("hbox_staff", is_staff=True)
    client.force_login(staff)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="health-box"' not in page

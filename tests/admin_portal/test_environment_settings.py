"""The environment settings, read-only in the admin: what settings.py read, from where, with
secrets masked; the support bundle holds the same rows."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from otrs import env as env_module
from otrs import settings as settings_module
from otrs.accounts.models import User, UserKind
from otrs.env import Settings, Source
from otrs.ops import environment, support
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("admin:configuration_environment")


@pytest.fixture
def reader(tmp_path, monkeypatch):
    """A settings reader like settings.py's, over a .env file and the process environment."""
    (tmp_path / ".env").write_text(
        "ENVT_FROM_FILE=42\n"
        "ENVT_SECRET_KEY=file-secret-value\n"
        "ENVT_MAIL_URL=smtp://mailer:hunter2hunter2@mail.example.test:25\n"
        "ENVT_BOTH=from-file\n"
    )
    monkeypatch.setenv("ENVT_BOTH", "from-process")
    monkeypatch.setenv("ENVT_FLAG", "yes")
    for name in ("ENVT_FROM_FILE", "ENVT_SECRET_KEY", "ENVT_MAIL_URL"):
        monkeypatch.delenv(name, raising=False)
    reader = Settings(tmp_path / ".env")
    reader.int("ENVT_FROM_FILE", 7)
    reader.str("ENVT_SECRET_KEY", "dev-only-default-secret")
    reader.str("ENVT_MAIL_URL", "")
    reader.str("ENVT_BOTH", "x")
    reader.bool("ENVT_FLAG", False)
    reader.int("ENVT_UNSET", 120, minimum=5)
    monkeypatch.setattr(settings_module, "env", reader)
    yield reader
    for name in ("ENVT_FROM_FILE", "ENVT_SECRET_KEY", "ENVT_MAIL_URL"):
        monkeypatch.delenv(name, raising=False)


def test_it_tells_where_each_value_came_from(reader):
    rows = {row.name: row for row in environment.read()}
    assert rows["ENVT_FROM_FILE"].source == Source.FILE and rows["ENVT_FROM_FILE"].value == "42"
    assert rows["ENVT_FROM_FILE"].default == "7"
    # The process environment wins over the file, and says so.
    assert rows["ENVT_BOTH"].source == Source.PROCESS and rows["ENVT_BOTH"].value == "from-process"
    assert rows["ENVT_FLAG"].source == Source.PROCESS
    assert rows["ENVT_UNSET"].source == Source.DEFAULT and rows["ENVT_UNSET"].value == ""
    assert rows["ENVT_UNSET"].default == "120"
    assert list(rows) == [
        "ENVT_FROM_FILE",
        "ENVT_SECRET_KEY",
        "ENVT_MAIL_URL",
        "ENVT_BOTH",
        "ENVT_FLAG",
        "ENVT_UNSET",
    ]


def test_it_masks_secrets_and_url_passwords(reader):
    rows = {row.name: row for row in environment.read()}
    assert rows["ENVT_SECRET_KEY"].value == "********"
    assert rows["ENVT_SECRET_KEY"].default == "********"
    assert rows["ENVT_MAIL_URL"].value == "smtp://mailer:********@mail.example.test:25"


def test_the_admin_page_lists_them_read_only_without_secrets(client, reader):
    root = User.objects.create_superuser(
        "envt_root", "envt_root@example.test", "pw", kind=UserKind.AGENT
    )
    client.force_login(root)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="env-ENVT_FROM_FILE"' in page and str(reader.env_file) in page
    assert "process environment" in page
    for secret in ("file-secret-value", "hunter2hunter2", "dev-only-default-secret"):
        assert secret not in page
    assert '<form method="post"' not in page  # nothing to change here
    filtered = client.get(URL, {"q": "mail_url"}).content.decode()
    assert "env-ENVT_MAIL_URL" in filtered and "env-ENVT_FROM_FILE" not in filtered
    # The configuration page links here.
    assert URL in client.get(reverse("admin:configuration")).content.decode()


def test_it_needs_the_configuration_permission(client, reader):
    staff = factories.agent("envt_staff", is_staff=True)
    client.force_login(staff)
    assert client.get(URL).status_code == 404
    staff.user_permissions.add(Permission.objects.get(codename="view_policyvalue"))
    client.force_login(User.objects.get(pk=staff.pk))
    assert client.get(URL).status_code == 200


def test_the_real_settings_module_records_what_it_read():
    reads = settings_module.env.reads
    assert {"DATABASE_URL", "SECRET_KEY", "SESSION_IDLE_MINUTES"} <= set(reads)
    assert env_module.Source(reads["SESSION_IDLE_MINUTES"].source)


def test_the_support_bundle_holds_them_masked_as_this_page_masks_them(reader):
    # A secret that only the environment holds (no setting has its value), quoted in a log.
    logging.getLogger("otrs.envt_test").warning("signing with file-secret-value")
    _name, content = support.build()
    archive = zipfile.ZipFile(io.BytesIO(content))
    bundled = json.loads(archive.read("environment-settings.json"))
    assert bundled["env_file"] == str(reader.env_file)
    rows = {row["name"]: row for row in bundled["variables"]}
    assert list(rows) == [row.name for row in environment.read()]
    for row in environment.read():
        assert rows[row.name] == {
            "name": row.name,
            "value": row.value,
            "source": row.source.value,
            "default": row.default,
        }
    assert rows["ENVT_SECRET_KEY"]["value"] == rows["ENVT_SECRET_KEY"]["default"] == "********"
    assert rows["ENVT_MAIL_URL"]["value"] == "smtp://mailer:********@mail.example.test:25"
    assert rows["ENVT_BOTH"] == {
        "name": "ENVT_BOTH",
        "value": "from-process",
        "source": "environment",
        "default": "x",
    }
    assert rows["ENVT_FROM_FILE"]["source"] == "file"
    assert rows["ENVT_UNSET"] == {
        "name": "ENVT_UNSET",
        "value": "",
        "source": "default",
        "default": "120",
    }
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in ("file-secret-value", "hunter2hunter2", "dev-only-default-secret"):
        assert secret.encode() not in everything, secret
    assert "signing with ********" in archive.read("system-log.json").decode()

"""Settings from the environment: a bad value stops the start with a message naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Every variable these tests set, removed from the inherited environment first.
CONFIG_VARIABLES = {
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "CELERY_BROKER_URL",
    "SYSTEM_ID",
    "DEBUG",
    "ATTACHMENT_STORAGE",
    "ATTACHMENT_DIR",
    "TICKET_NUMBER_GENERATOR",
    "OTRS_VAR_DIR",
    "TRUSTED_PROXIES",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "PORT",
}

# (variable, bad value, a fragment the message must contain besides the name)
BAD_VALUES = {
    "database_scheme": ("DATABASE_URL", "postgress://x", "postgress"),
    "database_name": ("DATABASE_URL", "postgres://127.0.0.1:5432", "no database"),
    "broker": ("CELERY_BROKER_URL", "kafka://x", "kafka"),
    "system_id_text": ("SYSTEM_ID", "abc", "abc"),
    "system_id_range": ("SYSTEM_ID", "100", "at most 99"),
    "debug": ("DEBUG", "maybe", "maybe"),
    "attachment_storage": ("ATTACHMENT_STORAGE", "s3", "s3"),
    "number_generator": ("TICKET_NUMBER_GENERATOR", "Nope", "Nope"),
    "conn_max_age": ("DATABASE_CONN_MAX_AGE", "-1", "at least 0"),
    "trusted_proxies": ("TRUSTED_PROXIES", "127.0.0.1,nginx", "nginx"),
    "port": ("PORT", "http", "http"),
}

# SITE_URL when it is not set: (environment, expected)
SITE_URLS = {
    "development": ({}, "http://127.0.0.1:8000"),
    "development_port": ({"PORT": "9000"}, "http://127.0.0.1:9000"),
    "behind_proxy": (
        {"ALLOWED_HOSTS": ".example.org,desk.example.org"},
        "https://desk.example.org",
    ),
    "set": ({"SITE_URL": "https://help.example.com/", "PORT": "9000"}, "https://help.example.com"),
}
SHOW_SITE_URL = (
    "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
)

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "broker": settings.CELERY_BROKER_URL,
    "broker_options": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "attachments": settings.ATTACHMENT_STORAGE,
    "generator": settings.TICKET_NUMBER_GENERATOR,
    "system_id": settings.SYSTEM_ID,
    "debug": settings.DEBUG,
}))
"""


def _start(extra: dict[str, str], code: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    env.update(extra, DJANGO_SETTINGS_MODULE="otrs.settings")
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[int, str, str]]:
    """Start every case's process at once (each takes a Django start-up), then collect."""
    started = {
        case: _start({name: value}, "import django; django.setup()")
        for case, (name, value, _fragment) in BAD_VALUES.items()
    }
    started["defaults"] = _start({}, SHOW_SETTINGS)
    for case, (extra, _expected) in SITE_URLS.items():
        started[f"site_url_{case}"] = _start(extra, SHOW_SITE_URL)
    results = {}
    for case, process in started.items():
        stdout, stderr = process.communicate(timeout=60)
        results[case] = (process.returncode, stdout, stderr)
    return results


@pytest.mark.parametrize("case", BAD_VALUES)
def test_it_refuses_a_bad_value_naming_the_variable(runs, case):
    name, _value, fragment = BAD_VALUES[case]
    returncode, _stdout, stderr = runs[case]

    assert returncode != 0
    last_line = stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert f"{name}:" in last_line
    assert fragment in last_line


def test_it_runs_on_sqlite_under_var_and_the_filesystem_broker_by_default(runs):
    if (REPO / ".env").exists():
        pytest.skip("a .env file in the checkout sets values of its own")
    returncode, stdout, stderr = runs["defaults"]

    assert returncode == 0, stderr
    shown = json.loads(stdout)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert Path(shown["name"]) == REPO / "var" / "otrs.sqlite3"
    # the host kombu would assume anyway, named so that it does not warn on every start
    assert shown["broker"] == "filesystem://localhost/"
    assert Path(shown["broker_options"]["data_folder_in"]).is_relative_to(REPO / "var")
    assert shown["attachments"] == "fs"
    assert (shown["generator"], shown["system_id"], shown["debug"]) == ("DateChecksum", 10, False)


@pytest.mark.parametrize("case", SITE_URLS)
def test_site_url_is_derived_when_not_set(runs, case):
    if (REPO / ".env").exists():
        pytest.skip("a .env file in the checkout sets values of its own")
    returncode, stdout, stderr = runs[f"site_url_{case}"]

    assert returncode == 0, stderr
    assert stdout.strip() == SITE_URLS[case][1]

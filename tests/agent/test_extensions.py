"""Extension packages: a Django app named in EXTRA_APPS plugs into the agent portal (a page
under /agent/, a menu entry for the right agents, the agents-only gate, an event handler)
without a change to the core; without it none of that exists; a bad name stops the start
naming the variable.

Settings are read once at start, so the runs with EXTRA_APPS set are separate processes
started the way an operator starts the system: from the environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

from tests import factories

REPO = Path(__file__).resolve().parents[2]
EXTENSION = "tests.extension_example"
REPORT = "/agent/example/report/"


def _environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "EXTRA_APPS" and not key.startswith(("PYTEST_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(extra, DJANGO_SETTINGS_MODULE="otrs.settings")
    return env


@pytest.mark.configured_database
def test_an_extension_named_in_extra_apps_plugs_into_the_agent_portal():
    # The checks (tests/extension_example/checks.py) run with the test database of whatever
    # DATABASE_URL this run uses, in a process that has the extension installed.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/extension_example/checks.py", "-q"],
        cwd=REPO,
        # All six checks, also the one that reaches no database (a server suite skips those).
        env=_environment(EXTRA_APPS=EXTENSION, OTRS_TESTS_EVERYWHERE="1"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"\b6 passed\b", output), output


def test_without_extra_apps_the_extension_does_not_exist(client, db):
    assert not apps.is_installed(EXTENSION)
    reports = factories.group("reports")
    analyst = factories.agent("analyst")
    factories.grant(analyst, reports, factories.RO)
    client.force_login(analyst)

    assert "Example report" not in client.get("/agent/").content.decode()
    assert client.get(REPORT).status_code == 404


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no_such_extension", "EXTRA_APPS: cannot import 'no_such_extension'"),
        ("tests.extension_exampel", "EXTRA_APPS: cannot import 'tests.extension_exampel'"),
        ("acme-reports", "EXTRA_APPS: 'acme-reports' is not a Python dotted path"),
        ("tickets", "EXTRA_APPS: 'tickets' is named twice or already installed"),
        (f"{EXTENSION},{EXTENSION}", f"EXTRA_APPS: '{EXTENSION}' is named twice"),
    ],
)
def test_a_bad_extra_apps_value_stops_the_start_naming_the_variable(value, message):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env=_environment(EXTRA_APPS=value),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert message in result.stderr, result.stderr

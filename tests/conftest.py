"""Shared fixtures. The database is whatever DATABASE_URL names (SQLite by default);
`make test` runs the suite against SQLite, PostgreSQL and MariaDB in turn."""

from __future__ import annotations

import os

import pytest

from tests import factories


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give this run's test database a name of its own (the process id), so that two runs
    on one machine (a developer's and CI's, or several databases at once) never drop each
    other's database."""
    from django.conf import settings

    suffix = f"p{os.getpid()}"
    for db in settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        name = test.get("NAME") or f"test_{db['NAME']}"
        if db["ENGINE"].endswith("sqlite3"):
            root, ext = os.path.splitext(name)
            test["NAME"] = f"{root}_{suffix}{ext}"
        else:
            test["NAME"] = f"{name}_{suffix}"


@pytest.fixture
def system_user(db):
    return factories.system()


@pytest.fixture
def support(db):
    """A queue "Support" in group "support", with personas holding different keys on it."""
    grp = factories.group("support")
    q = factories.queue("Support", group_=grp)
    rw_agent = factories.agent("rw_agent")
    factories.grant(rw_agent, grp, factories.RW)
    ro_agent = factories.agent("ro_agent")
    factories.grant(ro_agent, grp, factories.RO)
    outsider = factories.agent("outsider")
    return type(
        "Support",
        (),
        {"group": grp, "queue": q, "rw": rw_agent, "ro": ro_agent, "outsider": outsider},
    )

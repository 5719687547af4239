"""Shared fixtures. The database is whatever DATABASE_URL names (SQLite by default);
`make test` runs the suite against SQLite, PostgreSQL and MariaDB in turn."""

from __future__ import annotations

import pytest

from tests import factories


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

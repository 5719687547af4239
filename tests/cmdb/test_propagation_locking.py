"""Two changes in one connected group at once: the second waits for the first (the graph
lock), so neither commits states computed from a stale picture. On SQLite a writer locks the
whole database anyway; the test runs on PostgreSQL and MariaDB, where it asks the server
whether the second transaction waits for a lock, instead of measuring time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from cmdb import actions
from cmdb.choices import LinkType
from cmdb.models import ConfigItem
from tests import factories
from tests.cmdb import make_ci
from tests.row_locks import backend_id, waiting_for_a_lock

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor not in ("postgresql", "mysql"),
        reason="row locks: PostgreSQL and MariaDB",
    ),
]


def _current(ci) -> str:
    return (
        ConfigItem.objects.select_related("current_incident_state")
        .get(pk=ci.pk)
        .current_incident_state.name
    )


def test_a_second_incident_in_the_group_waits_and_both_warn_the_dependent():
    system = factories.system()
    app, left, right = make_ci("app-l"), make_ci("left"), make_ci("right")
    actions.link_configitems(app, left, LinkType.DEPENDS_ON, actor=system)
    actions.link_configitems(app, right, LinkType.DEPENDS_ON, actor=system)
    backend: dict[str, int] = {}
    started, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second():
        try:
            backend["id"] = backend_id()
            started.set()
            actions.set_incident_state(right, "Incident", actor=system)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()
            done.set()

    with transaction.atomic():
        actions.set_incident_state(left, "Incident", actor=system)
        worker = threading.Thread(target=second)
        worker.start()
        assert started.wait(60)
        # The second change must queue behind this uncommitted one, not compute beside it.
        # Poll every 0.2 s: InnoDB refreshes INNODB_TRX only when it has not been read for
        # 0.1 s, so faster polling keeps showing the picture from before the wait began.
        for _round in range(300):
            if waiting_for_a_lock(backend["id"]) or done.is_set():
                break
            done.wait(0.2)
        assert not done.is_set(), "the second change did not wait for the first"
    worker.join(60)
    assert not errors, errors
    assert [_current(app), _current(left), _current(right)] == ["Warning", "Incident", "Incident"]

    # Both incidents end at once in the same way: the dependent is operational again.
    with transaction.atomic():
        actions.set_incident_state(left, "Operational", actor=system)
    actions.set_incident_state(right, "Operational", actor=system)
    assert _current(app) == "Operational"

"""Conventions of the test suite that, broken once, break hundreds of other tests."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
MARK = re.compile(r"django_db\(([^)]*)\)")


def test_every_transactional_test_restores_the_seeded_rows():
    """A ``transaction=True`` test empties every table when it ends. Without
    ``serialized_rollback=True`` the rows the migrations seed (states, queues, the system
    user) are gone for the tests after it, and the flush re-creates the content types, which
    the next serialized test then cannot load: it happened at stop 22 and failed 700 tests."""
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8")
        for match in MARK.finditer(text):
            arguments = match.group(1)
            if "transaction=True" in arguments and "serialized_rollback=True" not in arguments:
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(TESTS.parent)}:{line}")
    assert not offenders, offenders

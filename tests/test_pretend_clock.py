"""OTRS_TESTS_CLOCK: the opt-in pretend time of a whole test session (tests/conftest.py)."""

from __future__ import annotations

import types
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests import conftest


def test_unset_or_empty_moves_nothing(monkeypatch):
    monkeypatch.delenv("OTRS_TESTS_CLOCK", raising=False)
    assert conftest._pretend_clock() is None
    config = types.SimpleNamespace()
    conftest.pytest_configure(config)
    assert not hasattr(config, "_otrs_pretend_clock")
    monkeypatch.setenv("OTRS_TESTS_CLOCK", "  ")
    assert conftest._pretend_clock() is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [("tonight", "is not an ISO 8601"), ("2026-12-12T03:30:00", "has no offset")],
)
def test_a_bad_value_is_refused_with_its_reason(monkeypatch, raw, message):
    monkeypatch.setenv("OTRS_TESTS_CLOCK", raw)
    with pytest.raises(pytest.UsageError, match=message):
        conftest.pytest_configure(types.SimpleNamespace())


def test_the_session_starts_at_the_instant_and_ticks_on(monkeypatch):
    before = datetime.now(UTC)
    monkeypatch.setenv("OTRS_TESTS_CLOCK", "2026-12-13T23:59:30+01:00")
    config = types.SimpleNamespace()
    conftest.pytest_configure(config)
    try:
        instant = datetime(2026, 12, 13, 22, 59, 30, tzinfo=UTC)
        first = timezone.now()
        assert instant <= first < instant + timedelta(seconds=30)
        # Ticking: the pretend clock goes on (a frozen one would break every timeout).
        while timezone.now() == first:
            pass
        assert timezone.now() > first
        assert "2026-12-13T23:59:30+01:00" in conftest.pytest_report_header(config)
    finally:
        conftest.pytest_unconfigure(config)
    # Back to the time before (the real one, or an outer pretend time: travels nest).
    assert abs(datetime.now(UTC) - before) < timedelta(seconds=60)

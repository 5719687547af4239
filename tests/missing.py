"""What a test does when a tool it drives is not installed (Chromium, Playwright, dovecot,
openssl, nginx, Apache): it skips, saying why, so that a developer's quick run works on a
bare machine.

``make test`` sets ``OTRS_TESTS_STRICT=1``, and it installs all of these; there a missing tool
is a failure, so a broken install can never pass as a green run with skips.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def strict() -> bool:
    return os.environ.get("OTRS_TESTS_STRICT", "") not in ("", "0")


def missing(reason: str) -> None:
    """Skip the test, or fail it under ``make test``."""
    if strict():
        pytest.fail(f"{reason} (`make test` installs it)")
    pytest.skip(reason)


def import_or_missing(name: str) -> ModuleType:
    """The module ``name``; if it cannot be imported, ``missing`` (at module level: the whole
    module is skipped, or fails under ``make test``)."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        if strict():
            raise
        pytest.skip(f"{name} is not installed: {error}", allow_module_level=True)

"""Fixtures of the operations tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def file_storages(tmp_path, settings):
    """The attachment and media storages, and the var directory (the upgrade's maintenance
    flag), in a directory of this test's own: the restore replaces them."""
    settings.VAR_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "article")},
        },
    }
    return tmp_path

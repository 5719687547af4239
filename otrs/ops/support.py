"""The support bundle: what a supporter needs to look at an installation, in one zip file,
without a secret in it. Versions and installed packages, the environment checks, the
settings (secret ones masked, passwords inside URLs masked), the environment variables as
the admin's environment settings page shows them (value, source, default; masked alike), row
counts, queue backlogs, the recent system log.

Secrets are kept out twice: each setting is masked by its name and by URL credentials, and
then every text of the bundle is scrubbed of the values of the secret settings themselves
(so a secret quoted in a log message or a setting under another name is masked too).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict
from importlib import metadata
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from . import checks, environment, logfile, selectors
from .backup import applied_migrations, project_version
from .masking import MASK, SECRET_NAME, URL_PASSWORD, mask


def _secret_values() -> set[str]:
    """Every secret value the settings hold (nested too), longer than 3 characters."""
    found: set[str] = set()

    def walk(name: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(str(key), item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(name, item)
        elif isinstance(value, str):
            if SECRET_NAME.search(name):
                found.add(value)
            for match in URL_PASSWORD.finditer(value):
                found.add(match.group(2))
        # A number under such a name is a limit (PASSWORD_RESET_WINDOW = 3600), no secret:
        # scrubbing "3600" from every file would only garble them.

    for name in dir(settings):
        if name.isupper():
            walk(name, getattr(settings, name))
    # The variables' texts as given too: a secret may reach a setting under another name.
    for entry in environment.reads():
        walk(entry.name, entry.raw)
    return {value for value in found if len(value) > 3}


def safe_settings() -> dict[str, Any]:
    return {
        name: mask(name, getattr(settings, name))
        for name in sorted(dir(settings))
        if name.isupper()
    }


def scrub(text: str, secrets: set[str]) -> str:
    # Longest first, so a secret containing another is masked whole.
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, MASK)
        escaped = json.dumps(value, ensure_ascii=False)[1:-1]  # as it stands inside JSON
        text = text.replace(escaped, MASK)
    return text


def environment_settings() -> dict[str, Any]:
    """The environment settings page's rows, masked as that page masks them."""
    path = environment.env_file()
    return {
        "env_file": str(path) if path else None,
        "variables": [
            {
                "name": row.name,
                "value": row.value,
                "source": row.source.value,
                "default": row.default,
            }
            for row in environment.read()
        ],
    }


def _counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.label] = model._default_manager.count()
    return counts


def build() -> tuple[str, bytes]:
    """The bundle's file name and its bytes (a zip archive)."""
    now = timezone.now()
    secrets = _secret_values()
    parts: dict[str, Any] = {
        "versions.json": {
            "otrs-django": project_version(),
            "packages": sorted(
                f"{dist.metadata['Name']}=={dist.version}" for dist in metadata.distributions()
            ),
            "migrations": applied_migrations(),
        },
        "environment.json": [asdict(result) for result in checks.run()],
        "settings.json": safe_settings(),
        "environment-settings.json": environment_settings(),
        "counts.json": _counts(),
        "backlogs.json": selectors.backlogs_as_dict(),
        "system-log.json": [
            {**asdict(entry), "at": entry.at.isoformat()}
            for entry in logfile.recent(min_level="INFO", limit=2000)
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            text = json.dumps(content, indent=2, default=str, ensure_ascii=False)
            archive.writestr(name, scrub(text, secrets))
        archive.writestr(
            "README.txt",
            "OTRS-Django support bundle, made "
            f"{now.isoformat()}.\nSecret settings and passwords in addresses are masked as "
            f"{MASK}.\n",
        )
    return f"otrs-support-{now:%Y%m%d-%H%M%S}.zip", buffer.getvalue()

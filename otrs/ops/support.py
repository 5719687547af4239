"""The support bundle: what a supporter needs to look at an installation, in one zip file,
without a secret in it. Versions and installed packages, the environment checks, the
settings (secret ones masked, passwords inside URLs masked), row counts, queue backlogs, the
recent system log.

Secrets are kept out twice: each setting is masked by its name and by URL credentials, and
then every text of the bundle is scrubbed of the values of the secret settings themselves
(so a secret quoted in a log message or a setting under another name is masked too).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict
from importlib import metadata
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from . import checks, logfile, selectors
from .backup import SECRET_NAME, URL_PASSWORD, applied_migrations, project_version

MASK = "********"
_SENSITIVE_KEY = re.compile(
    r"SECRET|PASSWORD|PASSWD|TOKEN|_KEY$|^KEY$|_KEYS$|CREDENTIAL|PRIVATE|DSN", re.I
)


def mask(name: str, value: Any) -> Any:
    """``value`` as it may be shown: secret text under a secret-looking name and passwords
    inside URLs replaced by the mask."""
    if isinstance(value, dict):
        return {key: mask(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask(name, item) for item in value]
    # Only text is secret: a number under such a name is a limit (PASSWORD_RESET_LIMIT).
    if _SENSITIVE_KEY.search(name) and isinstance(value, str | bytes) and value:
        return MASK
    if isinstance(value, str | int | float | bool) or value is None:
        return URL_PASSWORD.sub(rf"\1{MASK}\3", value) if isinstance(value, str) else value
    return URL_PASSWORD.sub(rf"\1{MASK}\3", repr(value))


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
            if _SENSITIVE_KEY.search(name) or SECRET_NAME.search(name):
                found.add(value)
            for match in URL_PASSWORD.finditer(value):
                found.add(match.group(2))
        # A number under such a name is a limit (PASSWORD_RESET_WINDOW = 3600), no secret:
        # scrubbing "3600" from every file would only garble them.

    for name in dir(settings):
        if name.isupper():
            walk(name, getattr(settings, name))
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

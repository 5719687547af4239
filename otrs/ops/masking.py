"""How secrets are masked wherever operations show or write settings: the environment
settings page, the support bundle and the ``.env`` copy in a backup. One module that imports
nothing of the others, so that each of them can use it (the support bundle includes the
environment settings page's rows, and that page masks as the bundle does)."""

from __future__ import annotations

import re
from typing import Any

MASK = "********"
# A setting or variable whose name says it holds a secret.
SECRET_NAME = re.compile(
    r"SECRET|PASSWORD|PASSWD|TOKEN|_KEY$|^KEY$|_KEYS$|CREDENTIAL|PRIVATE|DSN", re.I
)
# The password part of ``scheme://user:password@host``.
URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)")


def mask_url_passwords(text: str) -> str:
    return URL_PASSWORD.sub(rf"\1{MASK}\3", text)


def mask(name: str, value: Any) -> Any:
    """``value`` as it may be shown: secret text under a secret-looking name and passwords
    inside URLs replaced by the mask."""
    if isinstance(value, dict):
        return {key: mask(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask(name, item) for item in value]
    # Only text is secret: a number under such a name is a limit (PASSWORD_RESET_LIMIT).
    if SECRET_NAME.search(name) and isinstance(value, str | bytes) and value:
        return MASK
    if isinstance(value, str | int | float | bool) or value is None:
        return mask_url_passwords(value) if isinstance(value, str) else value
    return mask_url_passwords(repr(value))

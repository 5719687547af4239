"""Typed reading of environment settings that fails loudly and names the variable.

django-environ does the parsing; this module wraps it so that a bad value stops the
process at start with a message such as ``DATABASE_URL: unsupported scheme 'postgress'``
instead of a traceback deep inside a driver.
"""

from __future__ import annotations

import builtins
import importlib.util
import ipaddress
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

NOTSET = environ.Env.NOTSET

DATABASE_SCHEMES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
    "mariadb": "django.db.backends.mysql",
}
CACHE_SCHEMES = {"filecache", "locmemcache", "locmem", "redis", "rediss", "dummycache"}
BROKER_SCHEMES = {"filesystem", "memory", "redis", "rediss", "amqp", "amqps", "pyamqp"}
DOTTED_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
# Mail transport schemes and their default ports.
MAIL_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class Source(StrEnum):
    """Where an environment setting's value came from."""

    PROCESS = "environment"
    FILE = "file"
    DEFAULT = "default"


@dataclass(frozen=True)
class Read:
    """One variable the settings read: its raw text, where it came from, and the default."""

    name: builtins.str
    raw: builtins.str | None
    source: Source
    default: Any


class Settings:
    """Reads settings from the process environment and an optional ``.env`` file, and
    remembers every variable it was asked for and where its value came from."""

    def __init__(self, env_file: Path | None = None) -> None:
        self.env = environ.Env()
        self.env_file = env_file if env_file is not None and env_file.is_file() else None
        before = set(os.environ)
        if self.env_file is not None:
            environ.Env.read_env(str(self.env_file), overwrite=False)
        # The file never overrides the process environment, so what it added is what is new.
        self.from_file = set(os.environ) - before
        # What was read, in order (the admin's read-only list of environment settings).
        self.reads: dict[builtins.str, Read] = {}

    def _note(self, name: builtins.str, default: Any) -> None:
        raw = os.environ.get(name)
        if raw is None or raw == "":
            source, raw = Source.DEFAULT, None
        else:
            source = Source.FILE if name in self.from_file else Source.PROCESS
        self.reads[name] = Read(name, raw, source, None if default is NOTSET else default)

    def _read(self, name: str, reader, default: Any, **kwargs: Any) -> Any:
        self._note(name, default)
        try:
            return reader(name, default=default, **kwargs)
        except ImproperlyConfigured:
            raise ImproperlyConfigured(f"{name}: this setting is required") from None
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"{name}: invalid value ({exc})") from None

    # The readers are named after the types they return; inside this class, annotations say
    # ``builtins.str`` because ``str`` is the method below.
    def str(self, name: str, default: Any = NOTSET) -> str:
        value = self._read(name, self.env.str, default)
        # NAME= (set but empty) means "not set", as it does for a shell user.
        if value == "" and default is not NOTSET:
            return default
        return value

    def bool(self, name: builtins.str, default: Any = NOTSET) -> bool:
        self._note(name, default)
        raw = self.env.str(name, default="")
        if raw == "":
            if default is NOTSET:
                raise ImproperlyConfigured(f"{name}: this setting is required")
            return default
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ImproperlyConfigured(f"{name}: expected true or false, got {raw!r}")

    def int(
        self,
        name: builtins.str,
        default: Any = NOTSET,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        value = self._read(name, self.env.int, default)
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ImproperlyConfigured(f"{name}: must be at most {maximum}, got {value}")
        return value

    def list(self, name: builtins.str, default: Any = NOTSET) -> list[builtins.str]:
        return self._read(name, self.env.list, default)

    def apps(
        self, name: builtins.str, *, installed: Iterable[builtins.str]
    ) -> builtins.list[builtins.str]:
        """Django apps to install besides ``installed``: dotted paths of packages (or of their
        AppConfig classes), each importable here and named once."""
        taken = set(installed)
        found: list[builtins.str] = []
        for app in (item.strip() for item in self.list(name, [])):
            if not app:
                continue
            if not DOTTED_PATH.fullmatch(app):
                raise ImproperlyConfigured(f"{name}: {app!r} is not a Python dotted path")
            if app in taken:
                raise ImproperlyConfigured(f"{name}: {app!r} is named twice or already installed")
            module, _dot, last = app.rpartition(".")
            # "pkg.apps.PkgConfig" names an AppConfig class (CamelCase) in the module pkg.apps.
            if not (_importable(app) or (last[:1].isupper() and _importable(module))):
                raise ImproperlyConfigured(
                    f"{name}: cannot import {app!r}; is the package installed in this "
                    "Python environment?"
                )
            taken.add(app)
            found.append(app)
        return found

    def networks(self, name: builtins.str, default: Any = NOTSET) -> builtins.list[builtins.str]:
        """Comma-separated IP addresses and CIDR networks (``127.0.0.1,10.0.0.0/24,::1``),
        each given back in its canonical network form (``127.0.0.1/32``)."""
        found: builtins.list[builtins.str] = []
        for item in self.list(name, default):
            try:
                found.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ImproperlyConfigured(
                    f"{name}: {item.strip()!r} is neither an IP address nor a network "
                    "such as 10.0.0.0/24"
                ) from None
        return found

    def choice(
        self, name: builtins.str, choices: Iterable[builtins.str], default: builtins.str
    ) -> builtins.str:
        value = self.str(name, default)
        allowed = list(choices)
        if value not in allowed:
            raise ImproperlyConfigured(
                f"{name}: must be one of {', '.join(allowed)}; got {value!r}"
            )
        return value

    def database(self, name: builtins.str, default: builtins.str) -> dict[builtins.str, Any]:
        url = self.str(name, default)
        scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if ":" in url else ""
        if scheme not in DATABASE_SCHEMES:
            raise ImproperlyConfigured(
                f"{name}: unsupported scheme {scheme!r}; use one of sqlite, postgres, mysql"
            )
        try:
            config = environ.Env.db_url_config(url)
        except Exception as exc:
            raise ImproperlyConfigured(f"{name}: cannot parse {url!r} ({exc})") from None
        config["ENGINE"] = DATABASE_SCHEMES[scheme]
        if scheme != "sqlite" and not config.get("NAME"):
            raise ImproperlyConfigured(f"{name}: the URL names no database")
        return config

    def cache(self, name: builtins.str, default: builtins.str) -> dict[builtins.str, Any]:
        url = self.str(name, default)
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in CACHE_SCHEMES:
            raise ImproperlyConfigured(
                f"{name}: unsupported cache {scheme or url!r}; use filecache://, redis:// "
                "or locmem://"
            )
        try:
            return environ.Env.cache_url_config(url)
        except Exception as exc:
            raise ImproperlyConfigured(f"{name}: cannot parse {url!r} ({exc})") from None

    def broker(self, name: builtins.str, default: builtins.str) -> builtins.str:
        url = self.str(name, default)
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in BROKER_SCHEMES:
            raise ImproperlyConfigured(
                f"{name}: unsupported broker {scheme or url!r}; use filesystem://, redis:// "
                "or amqp://"
            )
        return url

    def mail_transport(self, name: builtins.str, default: builtins.str) -> dict[builtins.str, Any]:
        """``smtp://[user:password@]host[:port]`` (plain, STARTTLS when the server offers it),
        ``smtp+starttls://`` (STARTTLS required), ``smtps://`` (TLS from the start), or
        ``file:///dir`` (each message written to a file; the embedded default)."""
        url = self.str(name, default)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "file":
            if not parts.path:
                raise ImproperlyConfigured(f"{name}: a file:// URL needs a directory")
            return {"scheme": scheme, "path": unquote(parts.path)}
        if scheme not in MAIL_SCHEMES:
            raise ImproperlyConfigured(
                f"{name}: unsupported mail transport {scheme or url!r}; use smtp://, "
                "smtp+starttls://, smtps:// or file://"
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: invalid port ({exc})") from None
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}: the URL names no host")
        return {
            "scheme": scheme,
            "host": parts.hostname,
            "port": port or MAIL_SCHEMES[scheme],
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
        }


def _importable(module: str) -> bool:
    """Whether ``module`` can be found (its parent packages are imported to look)."""
    if not module:
        return False
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False

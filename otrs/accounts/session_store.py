"""Django's database sessions, with the idle lifetime read from the system configuration.

Django takes a session's lifetime from ``SESSION_COOKIE_AGE`` each time it saves one (the
row's expiry and the cookie's max-age). This store asks the policy setting
``session_idle_minutes`` instead (:mod:`otrs.policy`, which falls back to that setting), so a
change in the admin applies from each session's next renewal, without a restart.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from otrs import policy


def idle_seconds() -> int:
    return int(policy.value("session_idle_minutes")) * 60


class SessionStore(DatabaseSessionStore):
    def get_session_cookie_age(self) -> int:
        return idle_seconds()

"""The email channel: parsing raw messages (and, later, fetching and sending them)."""

from __future__ import annotations

from .parsing import Headers, MailParseError, ParsedMail, parse_message

__all__ = ["Headers", "MailParseError", "ParsedMail", "parse_message"]

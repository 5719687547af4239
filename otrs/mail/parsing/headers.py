"""Header text: RFC 2047 decoding that tolerates what real mailers send, undeclared 8-bit
text detected, and the cleaning every derived text field gets before it reaches a database.

Header values arrive as the standard library stores them: 8-bit bytes as lone surrogates
(``surrogateescape``). That way the exact bytes of an encoded word or of undeclared text are
still at hand and are decoded with the right charset, never turned into ``?``.
"""

from __future__ import annotations

import base64
import binascii
import re
from contextvars import ContextVar

from .charsets import decode_bytes, decode_undeclared

_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f]")
_ESCAPED = re.compile("[\udc80-\udcff]")


def clean_text(text: str) -> str:
    """Multi-line text (a body): without NUL and lone surrogates, which databases refuse."""
    if not _NUL_OR_SURROGATE.search(text):
        return text
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def clean_line(text: str) -> str:
    """One-line text (a subject, a name, an id): clean, other control characters → space."""
    text = clean_text(text)
    if "\x00" in text:  # pragma: no cover - clean_text removed it
        text = text.replace("\x00", "")
    return _LINE_CONTROLS.sub(" ", text)


def unescape_bytes(text: str) -> bytes:
    """The original bytes of a header value the parser stored with ``surrogateescape``."""
    return text.encode("utf-8", errors="surrogateescape")


# The charsets the mail being parsed declares elsewhere (set by the parser for one message).
charset_hints: ContextVar[tuple[str, ...]] = ContextVar("charset_hints", default=())


def undeclared(text: str) -> str:
    """Header text with 8-bit bytes but no charset: UTF-8 first, then the charsets the mail
    declares elsewhere, then detected."""
    if not _ESCAPED.search(text):
        return text
    return decode_undeclared(unescape_bytes(text), charset_hints.get())[0]


# Tolerant: whitespace inside the encoded text is accepted (some mailers fold inside a word).
ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")


def unfold(text: str) -> str:
    return _FOLD.sub("", text)


def _decode_word(kind: str, payload: str) -> bytes | None:
    if kind.lower() == "b":
        data = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        data += "=" * (-len(data) % 4)
        try:
            return base64.b64decode(data)
        except (binascii.Error, ValueError):
            return None
    raw = unescape_bytes(payload.replace("_", " "))
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_header_value(value: object) -> str:
    """Unfold and decode RFC 2047 encoded words, tolerantly; words of one charset that are
    adjacent are joined before decoding, so a character split across two words survives.
    Undeclared 8-bit text around the words is detected. The result is one clean line."""
    if value is None:
        return ""
    text = unfold(str(value))
    if "=?" not in text:
        return clean_line(undeclared(text)).strip()
    out: list[str] = []
    pending: bytes = b""
    pending_cs: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_cs
        if pending:
            out.append(decode_bytes(pending, pending_cs)[0])
        pending, pending_cs = b"", None

    for m in ENCODED_WORD.finditer(text):
        between = text[pos : m.start()]
        decoded = _decode_word(m.group(2), m.group(3))
        if decoded is None:
            continue
        if not (pending and not between.strip()):
            flush()
            out.append(undeclared(between))
        charset = m.group(1).split("*", 1)[0]
        if pending and charset.lower() != (pending_cs or "").lower():
            flush()
        pending += decoded
        pending_cs = charset
        pos = m.end()
    flush()
    out.append(undeclared(text[pos:]))
    return clean_line("".join(out)).strip()

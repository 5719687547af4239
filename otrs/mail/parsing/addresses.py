"""A tolerant reader of address headers (From, To, Cc, ...).

``email.headerregistry`` gives up on much of what real mail holds; this reader never raises.
It splits the header on commas/semicolons outside quotes, comments, angle brackets and
encoded words (so ``=?utf-8?q?Doe=2C_John?= <j@x>`` stays one address), drops group names
(``Team: a@x, b@y;`` and the broken ``undisclosed@:;``), reads ``Name <addr>``, ``addr
(Name)`` and bare addresses, splits two addresses written without a comma, and keeps what it
cannot read as display text (returned separately) instead of failing the mail.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .headers import ENCODED_WORD, unfold

Decoder = Callable[[object], str]

_ANGLE = re.compile(r"<([^<>]*)>?")
_COMMENT = re.compile(r"\(([^()]*)\)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"?', re.DOTALL)


def split_list(text: str) -> list[str]:
    """Top-level items of an address list; group names are dropped."""
    items: list[str] = []
    cur: list[str] = []
    quote = False
    angle = paren = square = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            cur.append(c)
            if c == "\\" and i + 1 < n:
                cur.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                quote = False
        elif c == "=" and text.startswith("=?", i) and (m := ENCODED_WORD.match(text, i)):
            cur.append(m.group(0))
            i = m.end()
            continue
        elif paren:
            cur.append(c)
            if c == "(":
                paren += 1
            elif c == ")":
                paren -= 1
        elif c == '"':
            quote = True
            cur.append(c)
        elif c == "(":
            paren += 1
            cur.append(c)
        elif c == "<":
            angle += 1
            cur.append(c)
        elif c == ">":
            angle = max(0, angle - 1)
            cur.append(c)
        elif c == "[" and not angle:
            square += 1
            cur.append(c)
        elif c == "]" and square:
            square -= 1
            cur.append(c)
        elif not angle and not square and c in ",;":
            items.append("".join(cur))
            cur = []
        elif not angle and not square and c == ":":
            cur = []  # "group name:" ends here; its members follow
        else:
            cur.append(c)
        i += 1
    items.append("".join(cur))
    return [item.strip() for item in items if item.strip()]


def _addr(text: str) -> str:
    addr = re.sub(r"\s+", "", text).strip("<>")
    if ":" in addr and addr.startswith("@"):  # obsolete source route <@a,@b:x@y>
        addr = addr.rsplit(":", 1)[1]
    if "@" in addr:
        local, _at, domain = addr.rpartition("@")
        domain = domain.rstrip(".")  # a trailing dot is the DNS root, not part of the name
        addr = f"{local}@{domain}" if domain else local
    return addr


def _name(text: str, decode: Decoder, unwrap_comments: bool = True) -> str:
    """A display name: quotes removed; a comment that is all of the name (``a@x (Name)``)
    unwrapped, one beside a phrase (``Alice (Away) <a@x>``) kept as written."""
    text = text.strip()
    quoted = _QUOTED.fullmatch(text)
    if quoted:
        text = re.sub(r"\\(.)", r"\1", quoted.group(1))
    else:
        text = _QUOTED.sub(lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), text)
        if unwrap_comments:
            text = _COMMENT.sub(lambda m: m.group(1), text)
    return decode(text).strip().strip('"').strip()


def _item(item: str, decode: Decoder) -> tuple[list[tuple[str, str]], str]:
    """(name, address) pairs of one list item, and the text that held no address."""
    # The angle brackets that count are outside quoted strings and comments.
    masked = _QUOTED.sub(lambda m: "x" * len(m.group(0)), item)
    masked = _COMMENT.sub(lambda m: "x" * len(m.group(0)), masked)
    angles = list(_ANGLE.finditer(masked))
    angle = angles[-1] if angles else None
    if angle:
        addr = _addr(angle.group(1))
        name = _name(
            item[: angle.start()] + " " + item[angle.end() :], decode, unwrap_comments=False
        )
        if "@" in addr:
            return [(name, addr)], ""
        return [], name or _name(angle.group(1), decode)
    comments = " ".join(m.group(1) for m in _COMMENT.finditer(item))
    rest = _COMMENT.sub(" ", item)
    words = rest.split()
    found = [w for w in words if "@" in w and not w.startswith('"')]
    if not found:
        if len(words) == 1 and not comments:  # a local address such as "root"
            return [("", _addr(words[0]))], ""
        return [], _name(item, decode)
    if len(found) == 1 and not words[0].startswith('"') and words == found:
        return [(_name(comments, decode), _addr(found[0]))], ""
    if len(found) == 1:
        # A quoted local part with spaces, or junk words beside one address.
        name_words = [w for w in words if w != found[0]]
        name = _name(" ".join(name_words), decode) or _name(comments, decode)
        return [(name, _addr(found[0]))], ""
    # Several addresses without commas between them.
    return [("", _addr(w)) for w in found], ""


def read_addresses(values: list[str], decode: Decoder) -> tuple[list[tuple[str, str]], list[str]]:
    """Every (decoded name, address) of the header values, and the unreadable rest as text.
    Never raises."""
    pairs: list[tuple[str, str]] = []
    unread: list[str] = []
    for value in values:
        try:
            items = split_list(unfold(str(value)))
        except Exception:  # pragma: no cover - the splitter does not raise
            items = [str(value)]
        for item in items:
            try:
                found, text = _item(item, decode)
            except Exception:  # pragma: no cover - defensive: keep the text
                found, text = [], decode(item)
            pairs.extend((name, decode(addr)) for name, addr in found if addr)
            if text:
                unread.append(text)
    return pairs, unread

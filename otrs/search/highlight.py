"""Matched words marked in search results: short passages of a document with each match in
``<mark>``, safe to put into a page.

Both backends answer :func:`highlights` (``{id: [passage]}`` for the ids of one page): the
database backend cuts passages around the words from the document the app registers
(:mod:`otrs.search.registry`, the same text the index gets); Elasticsearch returns its own
fragments for the query. Either way the text is escaped first and only then marked: the
marks are private-use characters while the text is plain, replaced by ``<mark>`` after
escaping, so nothing in a ticket (``<script>``, ``&lt;``) ever becomes markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import registry
from .backends import get_backend, words_of

# Private-use characters stand for the marks until the text is escaped.
OPEN = "\ue000"
CLOSE = "\ue001"
# At most this many passages per object, each about this many characters around a match.
PASSAGES = 3
WIDTH = 60


def safe_marked(fragment: str) -> SafeString:
    """``fragment`` with OPEN/CLOSE around matches, escaped, marks made ``<mark>``."""
    text = str(escape(fragment))
    balanced = text.count(OPEN) == text.count(CLOSE)
    if not balanced:  # a cut fragment: drop the marks rather than leave one open
        text = text.replace(OPEN, "").replace(CLOSE, "")
    return mark_safe(text.replace(OPEN, "<mark>").replace(CLOSE, "</mark>"))  # noqa: S308 - escaped above


def _pattern(words: Iterable[str]) -> re.Pattern | None:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def passages(
    texts: Iterable[str], words: list[str], *, limit: int = PASSAGES, width: int = WIDTH
) -> list[SafeString]:
    """Up to ``limit`` passages of ``texts`` around the matches of ``words``, marked."""
    pattern = _pattern(words)
    if pattern is None:
        return []
    found: list[SafeString] = []
    for raw in texts:
        text = " ".join((raw or "").replace(OPEN, "").replace(CLOSE, "").split())
        windows: list[list[int]] = []
        for match in pattern.finditer(text):
            start, end = max(match.start() - width, 0), min(match.end() + width, len(text))
            if windows and start <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], end)
            elif len(windows) + len(found) < limit:
                windows.append([start, end])
            else:
                break
        for start, end in windows:
            piece = pattern.sub(lambda m: OPEN + m.group(0) + CLOSE, text[start:end])
            prefix = "… " if start > 0 else ""
            suffix = " …" if end < len(text) else ""
            found.append(safe_marked(prefix + piece + suffix))
        if len(found) >= limit:
            break
    return found[:limit]


def from_documents(
    kind: str, text: str, ids: list[int], *, internal: bool = False
) -> dict[int, list[SafeString]]:
    """Passages cut from the registered documents (the database backend's way); their
    internal text only with ``internal``."""
    words = words_of(text)
    if not words or not ids or kind not in registry.kinds():
        return {}
    result = {}
    for document in registry.get(kind).documents(list(ids), attachments=False):
        texts = [document.title, *document.text, *(document.internal if internal else ())]
        marked = passages(texts, words)
        if marked:
            result[document.id] = marked
    return result


def highlights(
    kind: str, text: str, ids: Iterable[int], *, internal: bool = False
) -> dict[int, list[SafeString]]:
    """``{id: [marked passage]}`` for those of ``ids`` (one page, already through the app's
    access entry) whose document matches ``text``; through the configured backend. A
    document's internal text (a FAQ item's comment) is used only with ``internal``: for
    readers who may read it (agents)."""
    ids = list(ids)
    if not text.strip() or not ids:
        return {}
    backend = get_backend()
    own = getattr(backend, "highlights", None)
    if own is not None:
        return own(kind, text, ids, internal=internal)
    return from_documents(kind, text, ids, internal=internal)


@dataclass(frozen=True)
class Highlighted:
    """One object of a page with the passages where the searched words occur (for the
    ``search/_highlights.html`` partial)."""

    url: str
    label: str
    passages: list[SafeString]


def for_page(
    kind: str,
    text: str,
    objects: Iterable[Any],
    *,
    url: Callable[[Any], str],
    label: Callable[[Any], str],
    internal: bool = False,
) -> list[Highlighted]:
    """The objects of one page (already through the app's access entry) that have passages
    for ``text``, in the page's order, each with its link and label."""
    objects = list(objects)
    found = highlights(kind, text, [obj.pk for obj in objects], internal=internal)
    return [Highlighted(url(obj), label(obj), found[obj.pk]) for obj in objects if obj.pk in found]


def as_text(found: dict[int, list[SafeString]]) -> dict[int, list[str]]:
    """Passages as plain strings for the API (escaped HTML with ``<mark>`` around matches)."""
    return {pk: [str(p) for p in passages] for pk, passages in found.items()}

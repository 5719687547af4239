"""What each app indexes: one registry, many apps.

An app describes each kind of object it makes searchable with an :class:`Indexed` in its
``<app>/search.py`` (found by :class:`otrs.search.apps.SearchConfig` at start-up) and calls
:func:`register`. The search backends and ``manage.py search_index`` work from this
registry only: they never import a domain app.

The index holds text and ids, never permissions: a search answers with ids and the app's
access entry (``<app>.access.visible_to``) decides which of them the user may see. So a
change of who may see what (a queue moved to another group, a grant) touches no document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from django.db import models
from django.db.models import QuerySet

from otrs.events import Event


@dataclass
class Skipped:
    """An attachment whose text is not in the index, and why (reported, never silent)."""

    name: str
    size: int
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes): {self.reason}"


@dataclass
class Document:
    """The searchable text of one object. ``keywords`` match exactly (a ticket number),
    ``title``, ``text`` and ``attachments`` as analysed text in every configured language.
    ``internal``: text that only searches asking for it match (agents'; a FAQ item's
    internal comment), so nobody else finds the object by its words."""

    id: int
    title: str = ""
    text: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)


@runtime_checkable
class Indexed(Protocol):
    """One kind of searchable object (``"ticket"``, ``"faq_item"``)."""

    #: The kind's name: part of the index name, stable.
    kind: str

    def ids_after(self, after: int, limit: int) -> list[int]:
        """Up to ``limit`` ids greater than ``after``, ascending (rebuild and check walk
        the table with it)."""
        ...

    def count(self) -> int:
        """How many objects there are (``search_index --check`` compares it)."""
        ...

    def documents(self, ids: list[int], *, attachments: bool = True) -> list[Document]:
        """The documents of those of ``ids`` that exist (a missing id is left out: its
        document is deleted). With ``attachments`` the attachment text is extracted (in the
        worker and the rebuild, never in a web request)."""
        ...

    def affected(self, event: Event) -> Iterable[int]:
        """The ids whose document ``event`` may have changed; none for events that touch
        no indexed text (a state, an owner, a queue's group)."""
        ...


_registry: dict[str, Indexed] = {}


def register(indexed: Indexed) -> Indexed:
    """Make ``indexed`` searchable (again: registering the same kind twice replaces it)."""
    _registry[indexed.kind] = indexed
    return indexed


def get(kind: str) -> Indexed:
    """The registered kind; ``KeyError`` for an unknown one."""
    return _registry[kind]


def kinds() -> list[str]:
    return sorted(_registry)


def all_indexed() -> list[Indexed]:
    return [_registry[k] for k in kinds()]


class ModelIndex:
    """An :class:`Indexed` for a model whose text is in its own columns (FAQ items,
    customers): name the columns, the event object type, done. Subclasses add text from
    elsewhere by overriding :meth:`more_text`."""

    kind = ""
    model: type[models.Model]
    #: The events' ``object_type`` of this model (any event on the object reindexes it).
    object_type = ""
    title_field = ""
    #: Columns (``__`` paths allowed) indexed as text; the database backend matches them with
    #: ``icontains`` where the app has no full-text index of its own.
    text_fields: tuple[str, ...] = ()
    keyword_fields: tuple[str, ...] = ()

    def queryset(self) -> QuerySet:
        return self.model._default_manager.all()

    def ids_after(self, after: int, limit: int) -> list[int]:
        rows = self.queryset().filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
        return list(rows[:limit])

    def count(self) -> int:
        return self.queryset().count()

    def documents(self, ids: list[int], *, attachments: bool = True) -> list[Document]:
        columns = [self.title_field, *self.text_fields, *self.keyword_fields]
        docs = {}
        for pk, title, *values in self.queryset().filter(pk__in=ids).values_list("pk", *columns):
            texts = values[: len(self.text_fields)]
            keywords = values[len(self.text_fields) :]
            docs[pk] = Document(
                id=pk,
                title=str(title or ""),
                text=[str(v) for v in texts if v],
                keywords=[str(v) for v in keywords if v],
            )
        for pk, text in self.more_text(list(docs)):
            docs[pk].text.append(text)
        return list(docs.values())

    def more_text(self, ids: list[int]) -> Iterable[tuple[int, str]]:
        return ()

    def affected(self, event: Event) -> list[int]:
        if event.object_type == self.object_type and event.object_id:
            return [event.object_id]
        return []

"""Reads for the FAQ's lists and pages; every one starts from :func:`faq.access.visible_to`."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import Avg, Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from otrs.fields.selectors import definitions, render_values, values_for
from otrs.mail.parsing import html_to_text
from otrs.search import get_backend

from . import access
from .choices import InsertFormat, ItemState
from .fields import FAQ_ITEM, FAQ_ITEM_SCREEN
from .models import FaqCategory, FaqItem, FaqRevision, FaqSettings, FaqVote

#: How many suggestions a writer is offered.
SUGGESTIONS = 5


@dataclass(frozen=True)
class CategoryRow:
    category: FaqCategory
    depth: int
    count: int


def category_rows(user, items: QuerySet[FaqItem]) -> list[CategoryRow]:
    """The categories ``user`` reads (for readers: those holding an item they read), as an
    indented tree, each with the number of ``items`` in it (two queries)."""
    counts = dict(
        items.order_by()
        .values_list("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )
    if access.is_agent(user):
        categories = list(access.categories_for(user, access.READ))
    else:
        categories = list(FaqCategory.objects.filter(pk__in=list(counts), is_valid=True))
    by_parent: dict[int | None, list[FaqCategory]] = {}
    known = {c.pk for c in categories}
    for c in categories:
        parent = c.parent_id if c.parent_id in known else None
        by_parent.setdefault(parent, []).append(c)
    rows: list[CategoryRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in sorted(by_parent.get(parent, []), key=lambda c: c.name.casefold()):
            rows.append(CategoryRow(c, depth, counts.get(c.pk, 0)))
            if depth < 20:
                walk(c.pk, depth + 1)

    walk(None, 0)
    return rows


def search(items: QuerySet[FaqItem], text: str, *, internal: bool = False) -> QuerySet[FaqItem]:
    """Items matching a search text, through the configured search backend. The internal
    comment is searched only with ``internal`` (for agents, :func:`searches_internal`)."""
    if not text.strip():
        return items
    return get_backend().filter_faq_items(items, text, internal=internal)


def searches_internal(user) -> bool:
    """Whether ``user``'s searches match the internal comment too: agents read it;
    customers and the public never find an item by words only it holds."""
    return access.is_agent(user)


def suggestions(
    items: QuerySet[FaqItem], text: str, limit: int = SUGGESTIONS, *, internal: bool = False
) -> list[FaqItem]:
    """The items best matching a free text (a ticket being written), best first;
    ``internal`` as for :func:`search`. The backend's candidates go through ``items``
    (access, language) once, in the query that fetches the ``limit`` best of them."""
    ranked = get_backend().rank_faq_items(items, text, limit, internal=internal)
    if not ranked:
        return []
    found = items.filter(pk__in=ranked).annotate(suggestion_rank=_position(ranked, items.db))
    return list(found.select_related("category").order_by("suggestion_rank")[:limit])


def _position(ids: list[int], using: str):
    """An item's position in ``ids`` as an expression to order by. PostgreSQL and MariaDB
    take the list as one value (Django took longer to compile a CASE of 200 branches than
    the database took to run the query); elsewhere a CASE."""
    vendor = connections[using].vendor
    if vendor == "postgresql":
        return RawSQL('array_position(%s::bigint[], "faq_faqitem"."id"::bigint)', [ids])
    if vendor == "mysql":
        return RawSQL("FIND_IN_SET(`faq_faqitem`.`id`, %s)", [",".join(map(str, ids))])
    return Case(*(When(pk=pk, then=Value(n)) for n, pk in enumerate(ids)))


def in_language(items: QuerySet[FaqItem], language: str) -> QuerySet[FaqItem]:
    """For readers: each translation group once, in ``language`` when it has a readable
    translation in it, else in the site's default language, else as it is."""
    default = settings.LANGUAGE_CODE
    sibling = items.filter(group=OuterRef("group")).exclude(pk=OuterRef("pk"))
    has_own = Exists(sibling.filter(language=language))
    has_default = Exists(sibling.filter(language=default))
    return items.filter(
        Q(language=language) | (~has_own & Q(language=default)) | (~has_own & ~has_default)
    )


def translations(item: FaqItem, readable: QuerySet[FaqItem]) -> list[FaqItem]:
    """The other readable items of ``item``'s translation group."""
    return list(readable.filter(group=item.group).exclude(pk=item.pk).order_by("language"))


def best_translation(item: FaqItem, readable: QuerySet[FaqItem], language: str) -> FaqItem:
    """The translation a reader of ``language`` should get when they open ``item``."""
    if item.language == language:
        return item
    for other in translations(item, readable):
        if other.language == language:
            return other
    return item


def votes(item: FaqItem) -> dict:
    found = FaqVote.objects.filter(item=item).aggregate(n=Count("pk"), avg=Avg("rating"))
    return {"count": found["n"], "average": found["avg"]}


def custom_fields(item: FaqItem) -> list[tuple[str, str]]:
    """The item's set custom fields of the item screen, as (label, text), in order."""
    fields = definitions(FAQ_ITEM, screen=FAQ_ITEM_SCREEN)
    if not fields:
        return []
    texts = render_values(values_for(FAQ_ITEM, [item.pk], fields), fields).get(item.pk, {})
    return [(d.display_label(), texts[d.name]) for d in fields if d.name in texts]


def related(item: FaqItem, readable: QuerySet[FaqItem]) -> list[FaqItem]:
    """The related items the reader may read (never an internal one for a customer)."""
    ids = item.related.values("pk")
    return list(readable.filter(pk__in=ids).order_by("title"))


# --- into a ticket answer ----------------------------------------------------------------------

#: The fields that go into an answer (never the internal comment).
ANSWER_FIELDS = (
    ("symptom", _("Symptom")),
    ("problem", _("Problem")),
    ("solution", _("Solution")),
)


def insertable(user) -> QuerySet[FaqItem]:
    """The items ``user`` (an agent) may put into a ticket answer: those they read, valid
    and published (a draft never reaches a customer)."""
    return access.visible_to(user).filter(is_valid=True, live_revision__isnull=False)


def reader_url(item: FaqItem) -> str:
    """The absolute address a reader of the answer opens: the public page for a public
    item, the customer portal's for an external one, the agent's for an internal one."""
    if item.state == ItemState.PUBLIC:
        path = reverse("faq_public:item", args=[item.pk])
    elif item.state == ItemState.EXTERNAL:
        path = reverse("customer:faq_item", args=[item.pk])
    else:
        path = reverse("agent:faq_item", args=[item.pk])
    return settings.SITE_URL.rstrip("/") + path


def answer_text(item: FaqItem, insert_format: str | None = None) -> str:
    """The plain text that goes into an answer for ``item`` (its published revision): the
    title and the fields as quoted text, a link, or both (:class:`InsertFormat`; by default
    the one set in :class:`FaqSettings`)."""
    fmt = insert_format or FaqSettings.load().insert_format
    live = item.live_revision
    lines: list[str] = []
    if fmt in (InsertFormat.TEXT, InsertFormat.BOTH) and live is not None:
        lines.append(f"> {live.title}")
        for name, label in ANSWER_FIELDS:
            text = html_to_text(getattr(live, name) or "").strip()
            if text:
                lines += [">", f"> {label}:"]
                lines += [f"> {line}".rstrip() for line in text.splitlines()]
    if fmt in (InsertFormat.LINK, InsertFormat.BOTH):
        if lines:
            lines.append("")
        lines.append(f"{item.number}: {reader_url(item)}")
    return "\n".join(lines)


# --- diff --------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _plain(value: str) -> str:
    return html.unescape(strip_tags(value or ""))


def _marked(tokens: list[str], tag: str) -> str:
    text = escape("".join(tokens))
    return f"<{tag}>{text}</{tag}>" if text.strip() else text


def word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Two texts side by side, word by word: removed words in ``<del>`` on the left, added
    ones in ``<ins>`` on the right; all text escaped."""
    a, b = _TOKEN.findall(_plain(old)), _TOKEN.findall(_plain(new))
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            same = escape("".join(a[i1:i2]))
            left.append(same)
            right.append(same)
        else:
            if i2 > i1:
                left.append(_marked(a[i1:i2], "del"))
            if j2 > j1:
                right.append(_marked(b[j1:j2], "ins"))
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 (escaped above)


DIFF_FIELDS = (
    ("title", _("Title")),
    ("keywords", _("Keywords")),
    ("symptom", _("Symptom")),
    ("problem", _("Problem")),
    ("solution", _("Solution")),
    ("comment", _("Comment (internal)")),
)


def diff(old: FaqRevision, new: FaqRevision) -> list[dict]:
    rows = []
    for name, label in DIFF_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        left, right = word_diff(before, after)
        rows.append({"label": label, "left": left, "right": right, "same": before == after})
    return rows

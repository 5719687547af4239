"""The search backend interface and the database backend.

A backend answers one question: *which tickets have an article whose subject or body
matches this text?* It answers with a condition over ``Ticket`` (a ``Q``), so the caller
keeps full control of the query: the access layer's filter, the other criteria (the text
may be OR-ed with a ticket number or a title), the order and the slicing all stay in one
ticket query. Views never see a backend; ``tickets.search`` asks :func:`get_backend`.

* :class:`DatabaseBackend` (``SEARCH_BACKEND=database``, the default) matches in the
  database itself, with its full-text indexes:

  - PostgreSQL: ``search_vector @@ plainto_tsquery('simple', text)``, the articles'
    stored ``tsvector`` (``to_tsvector('simple', subject || ' ' || body)``, kept by a
    trigger, migration ``tickets.0034``) with its GIN index; every word must occur in one
    article, in any order, whole words, case-insensitive, no stemming (articles come in
    many languages);
  - MariaDB / MySQL: ``MATCH (subject, body) AGAINST ('+word +word' IN BOOLEAN MODE)``
    over a FULLTEXT index. InnoDB does not index words shorter than
    ``innodb_ft_min_token_size`` (3) or longer than ``innodb_ft_max_token_size``, nor its
    stopwords, and a required (``+``) word it does not index matches nothing, so those
    words are matched with ``LIKE`` instead, on the rows the index already narrowed down;
  - SQLite: an FTS5 table (``tickets_article_fts``, migration ``tickets.0020``, kept by
    triggers; :mod:`otrs.search.fts`): every word must occur in one article, whole words,
    case-insensitive, as on PostgreSQL. A word FTS5 would not see as a token (``_``) is
    matched with ``LIKE`` on the rows FTS5 narrowed down;
  - anything else: ``LIKE`` per word on subject and body.

  On PostgreSQL the matching articles' ticket ids are read first and handed over as a
  list (see :meth:`DatabaseBackend.ticket_condition` for why).

* A search-server backend (Elasticsearch) implements the same methods: it asks the
  server for the matching ticket ids and answers ``Q(pk__in=ids)``; ``index_ticket`` is
  where it is told about changes. It is registered in :data:`BACKENDS` (or named by its
  dotted path in ``SEARCH_BACKEND``); nothing else changes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Protocol, runtime_checkable
from weakref import WeakKeyDictionary

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, Exists, F, Lookup, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import ExpressionList, RawSQL
from django.utils.module_loading import import_string

from . import fts, registry

#: Backend names accepted by ``settings.SEARCH_BACKEND``; a dotted path also works.
BACKENDS = {
    "database": "otrs.search.backends.DatabaseBackend",
    "elasticsearch": "otrs.search.elastic.ElasticsearchBackend",
}

#: More words than this in one search are ignored (each one costs a condition).
MAX_WORDS = 20
#: Suggestions ignore shorter words ("is", "an"): they match nearly everything.
SUGGEST_MIN_WORD = 3
#: Suggestions (PostgreSQL) ignore words held by more items than this: too common to rank by.
SUGGEST_COMMON = 2000
#: Suggestions (PostgreSQL): the rarest words are used until together they are held by
#: this many items (an upper bound of the rows ranked).
SUGGEST_BUDGET = 2000
#: Suggestions (PostgreSQL): how many of the best-scored items are checked for access.
SUGGEST_CANDIDATES = 200
#: Longer search texts are cut; nobody types more, and the database parses all of it.
MAX_TEXT = 1000
#: PostgreSQL: how much of an article (subject + body, in characters) is indexed. A
#: ``tsvector`` may not exceed 1 MB, and a stored vector (or an expression index) that
#: fails refuses the INSERT, so without a cap one huge mail body would be impossible to
#: store. 100,000 characters keep even the worst case (many distinct two-character words
#: in a four-byte script) well below that. The FAQ's generated columns and the articles'
#: trigger (migrations ``faq.0004``, ``tickets.0034``) use it.
PG_INDEXED_CHARS = 100_000
#: PostgreSQL: the articles' stored ``tsvector`` column of subject and body, kept by a
#: trigger, and its GIN index (migration ``tickets.0034``): a match reads the stored vector
#: instead of parsing the article's text again (which made the capped count of a common
#: word walk the tickets re-parsing their articles: 1 s at a million tickets).
ARTICLE_VECTOR_COLUMN = "search_vector"
ARTICLE_VECTOR_INDEX = "article_search_vector"
#: PostgreSQL: the FAQ items' stored, generated ``tsvector`` column (migration
#: ``faq.0004``), its GIN index, and the table of how many items hold each word, kept by
#: triggers on the items' table (the suggestions' word weights).
FAQ_VECTOR_COLUMN = "search_vector"
FAQ_VECTOR_INDEX = "faq_item_search_vector"
FAQ_WORD_COUNTS = "faq_word_count"
#: The FAQ items' text without the internal comment (``public_text``), what customers and
#: the public search (migration ``faq.0005``): PostgreSQL's stored vector and its GIN
#: index, MariaDB/MySQL's FULLTEXT index (SQLite: :data:`otrs.search.fts.FAQ_PUBLIC`).
FAQ_PUBLIC_VECTOR_COLUMN = "public_vector"
FAQ_PUBLIC_VECTOR_INDEX = "faq_item_public_vector"
FAQ_PUBLIC_FULLTEXT = "faq_item_public_text_ft"
#: Engines on which the matching articles' ticket ids are read first and handed to the
#: ticket query as a list (see DatabaseBackend.ticket_condition). MariaDB needs no help:
#: it materialises the MATCH subquery by itself, and reading the ids first only added
#: the cost of a second full-text search (100,000 tickets: 90 ms as a subquery, 585 ms
#: with the list).
ID_LIST_VENDORS = ("postgresql",)
#: Up to this many matching articles, their ticket ids go into the ticket query as a list.
ID_LIST_LIMIT = 10_000
#: InnoDB's built-in stopword list (``INNODB_FT_DEFAULT_STOPWORD``); required words from
#: it match nothing, so they are matched with LIKE.
INNODB_STOPWORDS = frozenset(
    {
        *("a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for"),
        *("from", "how", "i", "in", "is", "it", "la", "of", "on", "or", "that", "the"),
        *("this", "to", "was", "what", "when", "where", "who", "will", "with", "und", "www"),
    }
)

_WORD = re.compile(r"\w+")


def words_of(text: str) -> list[str]:
    """The words of a search text, in order, each once (case-insensitively), at most
    :data:`MAX_WORDS`; what every backend splits a text into."""
    seen: set[str] = set()
    words = []
    for word in _WORD.findall(text[:MAX_TEXT]):
        if word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return words[:MAX_WORDS]


@runtime_checkable
class SearchBackend(Protocol):
    """What a search backend provides."""

    def ticket_condition(self, text: str, *, using: str = DEFAULT_DB_ALIAS) -> Q:
        """A condition over ``Ticket``: the ticket has an article (any sender, internal
        notes included) whose subject or body matches ``text``. ``using`` is the database
        alias the ticket query runs on. It may query (the database, a search server) to
        build the condition."""
        ...

    def filter_tickets(self, queryset: QuerySet, text: str) -> QuerySet:
        """``queryset`` narrowed to the tickets :meth:`ticket_condition` describes."""
        ...

    def index_ticket(self, ticket_id: int) -> None:
        """A ticket or its articles changed (or it was deleted); called after commit.
        Backends that keep their own index update it here."""
        ...

    def filter_faq_items(
        self, queryset: QuerySet, text: str, *, internal: bool = False
    ) -> QuerySet:
        """``queryset`` (FAQ items, already restricted by ``faq.access``) narrowed to those
        whose title, keywords or text fields (the live revision's) match ``text``: every
        word must occur. The internal comment is searched only with ``internal`` (agents);
        customers and the public never find an item by words only it holds."""
        ...

    def suggest_faq_items(
        self, queryset: QuerySet, text: str, limit: int, *, internal: bool = False
    ) -> list[int]:
        """The ids of at most ``limit`` items of ``queryset`` that match any word of a free
        text (a ticket being written), the best matches first; ``internal`` as above."""
        ...

    def rank_faq_items(
        self, queryset: QuerySet, text: str, limit: int, *, internal: bool = False
    ) -> list[int]:
        """The candidates of :meth:`suggest_faq_items`, best first, not necessarily through
        ``queryset`` yet: the caller filters them through it, in the query that also
        fetches the items (one pass through the access entry, not two). At least the
        ``limit`` best of ``queryset`` are among them."""
        ...

    def index_faq_item(self, item_id: int) -> None:
        """A FAQ item's searchable text changed (or it was deleted); called after commit."""
        ...


class IndexingBackend(SearchBackend, Protocol):
    """A backend with an index of its own (a search server), fed from the events
    (:mod:`otrs.search.indexing`) and searched for any registered kind."""

    keeps_index: bool

    def update(self, kind: str, ids: Iterable[int]) -> int:
        """(Re)index the objects ``ids`` of ``kind`` (``otrs.search.registry``) from the
        database, deleting the documents of those that are gone; idempotent."""
        ...

    def filter(
        self, kind: str, queryset: QuerySet, text: str, *, internal: bool = False
    ) -> QuerySet:
        """``queryset`` (of ``kind``'s model, already through the app's access entry)
        narrowed to the objects whose document matches ``text`` (its ``internal`` text
        too only with ``internal``)."""
        ...


class _FullTextMatch(Lookup):
    """An article's subject and body match a full-text query, in the shape the indexes
    serve: PostgreSQL's stored vector (migration ``tickets.0034``), MariaDB's FULLTEXT
    index (``tickets.0003_savedsearch``). Built by :class:`DatabaseBackend` only,
    for PostgreSQL (``rhs``: the text) and MariaDB/MySQL (``rhs``: a boolean-mode query).
    Passed straight to ``filter()``; the text is always a query parameter."""

    lookup_name = "otrs_full_text"  # never registered on a field
    prepare_rhs = False

    def __init__(self, query: str):
        super().__init__(ExpressionList(F("subject"), F("body")), query)

    def _columns(self, compiler) -> tuple[str, str]:
        subject, body = (compiler.compile(col)[0] for col in self.lhs.get_source_expressions())
        return subject, body

    def as_postgresql(self, compiler, connection):
        subject, _body = self._columns(compiler)
        vector = subject.rsplit(".", 1)[0] + "." + connection.ops.quote_name(ARTICLE_VECTOR_COLUMN)
        return f"{vector} @@ plainto_tsquery('simple', %s)", [self.rhs]

    def as_mysql(self, compiler, connection):
        subject, body = self._columns(compiler)
        return f"MATCH ({subject}, {body}) AGAINST (%s IN BOOLEAN MODE)", [self.rhs]

    def as_sql(self, compiler, connection):
        raise NotImplementedError(f"no full-text match on {connection.vendor}")


class _ArticleWalk(Exists):
    """``EXISTS`` tested ticket by ticket, never turned into a hash of every matching
    article's ticket id. ``OFFSET 0`` keeps PostgreSQL from rewriting the subquery: OR-ed
    with the title (the quick search), a common word otherwise makes it read all matching
    articles first (a million tickets, 110,966 articles: 620 ms before the first row)."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


class _FaqTextMatch(Lookup):
    """A FAQ item's text matches a full-text query, in the shape its index serves: with
    ``internal`` its ``search_text`` (every field, the internal comment too), without it
    its ``public_text``. PostgreSQL: the text, against the stored ``tsvector`` of
    migration ``faq.0004`` (``faq.0005``); MariaDB/MySQL: a boolean-mode query, against the
    FULLTEXT index of ``faq.0001`` (``faq.0005``)."""

    lookup_name = "otrs_faq_full_text"  # never registered on a field
    prepare_rhs = False

    def __init__(self, query: str, *, internal: bool):
        self.vector = FAQ_VECTOR_COLUMN if internal else FAQ_PUBLIC_VECTOR_COLUMN
        super().__init__(F(faq_text_column(internal)), query)

    def as_postgresql(self, compiler, connection):
        column = compiler.compile(self.lhs)[0]
        vector = column.rsplit(".", 1)[0] + "." + connection.ops.quote_name(self.vector)
        return f"{vector} @@ plainto_tsquery('simple', %s)", [self.rhs]

    def as_mysql(self, compiler, connection):
        column = compiler.compile(self.lhs)[0]
        return f"MATCH ({column}) AGAINST (%s IN BOOLEAN MODE)", [self.rhs]

    def as_sql(self, compiler, connection):
        raise NotImplementedError(f"no full-text match on {connection.vendor}")


def faq_text_column(internal: bool) -> str:
    """The FAQ item column a search matches: every field for agents (``internal``), the
    text without the internal comment for customers and the public."""
    return "search_text" if internal else "public_text"


# The InnoDB token limits of a connection, read once per connection object.
_innodb_token_sizes: WeakKeyDictionary = WeakKeyDictionary()


def _innodb_token_sizes_of(connection) -> tuple[int, int]:
    sizes = _innodb_token_sizes.get(connection)
    if sizes is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@innodb_ft_min_token_size, @@innodb_ft_max_token_size")
            low, high = cursor.fetchone()
        sizes = _innodb_token_sizes[connection] = (int(low), int(high))
    return sizes


def _contains_word(word: str) -> Q:
    return Q(subject__icontains=word) | Q(body__icontains=word)


class DatabaseBackend:
    """Full text in the database the tickets are in (see the module docstring)."""

    name = "database"
    #: The database indexes its own tables: no event handler, no rebuild.
    keeps_index = False

    def update(self, kind: str, ids: Iterable[int]) -> int:
        """Nothing to do: the database indexes its own tables."""
        return 0

    def filter(
        self, kind: str, queryset: QuerySet, text: str, *, internal: bool = False
    ) -> QuerySet:
        """Any registered kind: tickets and FAQ items with their full-text indexes, the
        others with ``icontains`` over the kind's ``text_fields`` and ``keyword_fields``
        (every word in one of them)."""
        if kind == "ticket":
            return self.filter_tickets(queryset, text)
        if kind == "faq_item":
            return self.filter_faq_items(queryset, text, internal=internal)
        indexed = registry.get(kind)
        columns = [
            c
            for c in (
                getattr(indexed, "title_field", ""),
                *getattr(indexed, "text_fields", ()),
                *getattr(indexed, "keyword_fields", ()),
            )
            if c
        ]
        words = words_of(text)
        if not words or not columns:
            return queryset.none()
        for word in words:
            condition = Q()
            for column in columns:
                condition |= Q(**{f"{column}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset

    def matching_articles(self, text: str, *, using: str = DEFAULT_DB_ALIAS) -> QuerySet:
        """The articles whose subject or body match ``text``, unordered (sorting all the
        matches in Article's default order is what would cost): the query the full-text
        indexes serve."""
        article = apps.get_model("tickets", "Article")
        words = words_of(text)
        if not words:
            return article.objects.using(using).none()
        conditions = self._article_conditions(text, words, connections[using])
        return article.objects.using(using).filter(*conditions).order_by()

    def ticket_condition(self, text: str, *, using: str = DEFAULT_DB_ALIAS) -> Q:
        """On PostgreSQL the matching articles' ticket ids are read first (one query, at
        most :data:`ID_LIST_LIMIT` + 1 rows) and the ticket query gets them as a list.
        Left to itself, its planner walks the tickets in the requested order and tests each
        one's articles, betting on finding a page of matches soon: with few or no matches
        that walk reads everything (a million tickets: 38 s for a word found nowhere; 6 ms
        this way). Only when very many articles match does the condition test each
        ticket's articles; then the walk meets matches at once."""
        articles = self.matching_articles(text, using=using)
        if connections[using].vendor in ID_LIST_VENDORS:
            ids = list(articles.values_list("ticket_id", flat=True)[: ID_LIST_LIMIT + 1])
            if len(ids) <= ID_LIST_LIMIT:
                return Q(pk__in=sorted(set(ids)))
            # Each ticket's own articles, tested as the walk reaches it. Not "pk IN
            # (subquery)": OR-ed with the title (the quick search), a million ids do not
            # fit a hash in memory and PostgreSQL scans the list once per ticket (100 s).
            return Q(_ArticleWalk(articles.filter(ticket_id=OuterRef("pk"))))
        return Q(pk__in=articles.values("ticket_id"))

    def filter_tickets(self, queryset: QuerySet, text: str) -> QuerySet:
        return queryset.filter(self.ticket_condition(text, using=queryset.db))

    def index_ticket(self, ticket_id: int) -> None:
        """Nothing to do: the database indexes its own tables."""

    def filter_faq_items(
        self, queryset: QuerySet, text: str, *, internal: bool = False
    ) -> QuerySet:
        """FAQ items whose text (title, keywords, fields; the internal comment only with
        ``internal``) holds every word."""
        words = words_of(text)
        if not words:
            return queryset.none()
        column = faq_text_column(internal)
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            return queryset.filter(_FaqTextMatch(" ".join(words), internal=internal))
        if connection.vendor == "mysql":
            low, high = _innodb_token_sizes_of(connection)
            indexed = [
                w for w in words if low <= len(w) <= high and w.lower() not in INNODB_STOPWORDS
            ]
            conditions: list = [Q(**{f"{column}__icontains": w}) for w in words if w not in indexed]
            if indexed:
                conditions.insert(
                    0, _FaqTextMatch(" ".join(f"+{w}" for w in indexed), internal=internal)
                )
            return queryset.filter(*conditions)
        table = fts.FAQ_ITEMS if internal else fts.FAQ_PUBLIC
        if connection.vendor == "sqlite" and fts.available(connection, table):
            tokens = [w for w in words if fts.is_token(w)]
            conditions = [Q(**{f"{column}__icontains": w}) for w in words if w not in tokens]
            if tokens:
                conditions.insert(0, fts.matches(table, tokens))
            return queryset.filter(*conditions)
        return queryset.filter(*[Q(**{f"{column}__icontains": w}) for w in words])

    def suggest_faq_items(
        self, queryset: QuerySet, text: str, limit: int, *, internal: bool = False
    ) -> list[int]:
        """Any word may match (the internal comment's only with ``internal``); PostgreSQL
        ranks by word rarity, MariaDB/MySQL with the natural-language relevance, SQLite by
        the number of words found."""
        ranked = self.rank_faq_items(queryset, text, limit, internal=internal)
        if connections[queryset.db].vendor != "postgresql":
            return ranked  # ranked within queryset already
        readable = set(queryset.filter(pk__in=ranked).values_list("pk", flat=True))
        return [pk for pk in ranked if pk in readable][:limit]

    def rank_faq_items(
        self, queryset: QuerySet, text: str, limit: int, *, internal: bool = False
    ) -> list[int]:
        """PostgreSQL: the best :data:`SUGGEST_CANDIDATES` of all items
        (:meth:`_rank_by_word`), for the caller to filter through ``queryset``. Elsewhere
        the ``limit`` best of ``queryset`` (the ranking query runs through it)."""
        words = [w for w in words_of(text) if len(w) >= SUGGEST_MIN_WORD]
        if not words:
            return []
        column = faq_text_column(internal)
        vendor = connections[queryset.db].vendor
        if vendor == "postgresql":
            return self._rank_by_word(queryset, words, internal=internal)
        if vendor == "mysql":
            table = queryset.model._meta.db_table
            relevance = f"MATCH (`{table}`.`{column}`) AGAINST (%s IN NATURAL LANGUAGE MODE)"
            ranked = queryset.annotate(
                rank=RawSQL(relevance, [" ".join(words)])  # noqa: S611 (text is a parameter)
            ).filter(rank__gt=0)
        else:
            score = sum(
                (
                    Case(When(**{f"{column}__icontains": w}, then=Value(1)), default=Value(0))
                    for w in words
                ),
                Value(0),
            )
            ranked = queryset.annotate(rank=score).filter(rank__gt=0)
        return list(ranked.order_by("-rank", "-pk").values_list("pk", flat=True)[:limit])

    def _rank_by_word(self, queryset: QuerySet, words: list[str], *, internal: bool) -> list[int]:
        """PostgreSQL: how many items hold each word comes from the word-count table
        (kept by triggers, migration ``faq.0004``), one query for all words. A word held
        by more than :data:`SUGGEST_COMMON` items tells them apart no better than "the"
        and is left out; of the rest the rarest are used until together they are held by
        :data:`SUGGEST_BUDGET` items. One query over the stored vectors' GIN index then
        scores the items holding any of them, rarer words weighing more (inverse document
        frequency); the best :data:`SUGGEST_CANDIDATES` are returned, for the caller to
        filter through its queryset (access, language)."""
        connection = connections[queryset.db]
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        vector = connection.ops.quote_name(
            FAQ_VECTOR_COLUMN if internal else FAQ_PUBLIC_VECTOR_COLUMN
        )
        with connection.cursor() as cursor:
            # The database splits the text as it split the items' text.
            cursor.execute(
                "SELECT w.word, coalesce(c.items, 0) FROM unnest(tsvector_to_array("  # noqa: S608 (constant names)
                f"to_tsvector('simple', %s))) AS w(word) LEFT JOIN {FAQ_WORD_COUNTS} c "
                "ON c.word = w.word",
                [" ".join(words)],
            )
            counts = sorted(
                (items, word)
                for word, items in cursor.fetchall()
                if 0 < items <= SUGGEST_COMMON and len(word) >= SUGGEST_MIN_WORD
            )
            chosen: list[tuple[str, float]] = []
            held = 0
            for items, word in counts:
                if chosen and held + items > SUGGEST_BUDGET:
                    break
                held += items
                chosen.append((word, 1.0 + math.log((SUGGEST_COMMON + 1) / items)))
            if not chosen:
                return []
            score = " + ".join(
                f"CASE WHEN {vector} @@ %s::tsquery THEN {weight!r} ELSE 0 END"
                for _word, weight in chosen
            )
            cursor.execute(
                f"SELECT id FROM {table} WHERE {vector} @@ %s::tsquery "  # noqa: S608 (constant names, numbers)
                f"ORDER BY {score} DESC, id DESC LIMIT %s",
                [
                    " | ".join(_tsquery_lexeme(w) for w, _weight in chosen),
                    *(_tsquery_lexeme(w) for w, _weight in chosen),
                    SUGGEST_CANDIDATES,
                ],
            )
            return [pk for (pk,) in cursor.fetchall()]

    def index_faq_item(self, item_id: int) -> None:
        """Nothing to do: the database indexes its own tables."""

    def _article_conditions(self, text: str, words: list[str], connection) -> list:
        if connection.vendor == "postgresql":
            return [_FullTextMatch(text[:MAX_TEXT])]
        if connection.vendor == "mysql":
            low, high = _innodb_token_sizes_of(connection)
            indexed = [
                w for w in words if low <= len(w) <= high and w.lower() not in INNODB_STOPWORDS
            ]
            others = [w for w in words if w not in indexed]
            conditions: list = [_contains_word(w) for w in others]
            if indexed:
                conditions.insert(0, _FullTextMatch(" ".join(f"+{w}" for w in indexed)))
            return conditions
        if connection.vendor == "sqlite" and fts.available(connection, fts.ARTICLES):
            tokens = [w for w in words if fts.is_token(w)]
            conditions = [_contains_word(w) for w in words if w not in tokens]
            if tokens:
                conditions.insert(0, fts.matches(fts.ARTICLES, tokens))
            return conditions
        return [_contains_word(w) for w in words]


def _tsquery_lexeme(word: str) -> str:
    """A lexeme as a quoted ``tsquery`` operand: taken as it is, never as operators."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def get_backend() -> SearchBackend:
    """The backend ``settings.SEARCH_BACKEND`` names (read on every call)."""
    name = getattr(settings, "SEARCH_BACKEND", "database")
    path = BACKENDS.get(name, name if "." in name else None)
    if path is None:
        raise ImproperlyConfigured(
            f"SEARCH_BACKEND: unknown backend {name!r}; use one of {', '.join(BACKENDS)} "
            "or a dotted path"
        )
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"SEARCH_BACKEND: cannot import {path!r} ({exc})") from None
    return backend_class()

"""The Elasticsearch backend (``SEARCH_BACKEND=elasticsearch``), official client, 8.x API.

One index per registered kind (:mod:`otrs.search.registry`), reached through an alias
``<SEARCH_INDEX_PREFIX><kind>`` that points at a dated index (``...-20261207065501``):
``manage.py search_index --rebuild`` builds a new dated index while searches keep using the
old one, then moves the alias in one atomic request and drops the old index.

A document holds text and ids only (title, the articles' text, attachment text, keywords
such as the ticket number), never permissions: searches answer with ids and the app's
access entry filters them. Text fields are analysed with the ``standard`` analyser and,
as sub-fields, with the language analyser of every language in ``SEARCH_LANGUAGES``
(stemming: "Häuser" finds "Haus" in German), and a query matches any of them.

Paging: :meth:`ElasticsearchBackend.search` sorts by score, then id, and pages with
``search_after`` (no 10,000-hit window); the total is exact up to ``SEARCH_TRACK_TOTAL``
and "more than" beyond (``relation == "gte"``), or exact on request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet
from django.utils import timezone
from elasticsearch import Elasticsearch, NotFoundError, helpers

from . import registry
from .backends import words_of
from .highlight import CLOSE, OPEN, PASSAGES, WIDTH, safe_marked
from .registry import Document

logger = logging.getLogger(__name__)

#: Django language code -> the Elasticsearch built-in language analyser.
ANALYZERS = {
    "ar": "arabic",
    "bg": "bulgarian",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "lv": "latvian",
    "nl": "dutch",
    "nb": "norwegian",
    "pt": "portuguese",
    "pt-br": "brazilian",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
TEXT_FIELDS = ("title", "text", "attachments")
#: Text only searches that ask for it match (agents': a FAQ item's internal comment).
INTERNAL_FIELDS = ("internal",)
#: ``ticket_condition`` reads at most this many matching ids (in pages of PAGE_IDS).
MAX_IDS = 100_000
PAGE_IDS = 10_000


def text_fields(internal: bool) -> tuple[str, ...]:
    """The analysed fields a search reads: the internal text's only with ``internal``."""
    return (*TEXT_FIELDS, *INTERNAL_FIELDS) if internal else TEXT_FIELDS


def highlight_body(internal: bool = False) -> dict:
    """Fragments with each match between two private-use characters (never markup: the
    page escapes the fragment, then turns those into ``<mark>``; otrs.search.highlight)."""
    return {
        "fields": {name: {} for name in text_fields(internal)},
        "pre_tags": [OPEN],
        "post_tags": [CLOSE],
        "fragment_size": WIDTH * 2,
        "number_of_fragments": PASSAGES,
    }


@dataclass
class Hit:
    id: int
    score: float
    highlights: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Results:
    """One page of hits. ``total`` is exact when ``relation == "eq"``, a lower bound when
    ``"gte"`` ("more than"). ``after``: the cursor of the next page (None at the end)."""

    hits: list[Hit]
    total: int
    relation: str
    after: list | None


def analyzers() -> dict[str, str]:
    """The language sub-fields: ``{"de": "german", ...}`` for ``SEARCH_LANGUAGES``."""
    found = {}
    for code in settings.SEARCH_LANGUAGES:
        code = code.lower()
        name = ANALYZERS.get(code) or ANALYZERS.get(code.split("-")[0])
        if name:
            found[code.split("-")[0] if code not in ANALYZERS else code] = name
    return found


def index_body() -> dict:
    """Settings and mappings of a new index."""
    text = {
        "type": "text",
        "analyzer": "standard",
        "fields": {lang: {"type": "text", "analyzer": name} for lang, name in analyzers().items()},
    }
    return {
        "settings": {
            "number_of_shards": settings.SEARCH_INDEX_SHARDS,
            "number_of_replicas": settings.SEARCH_INDEX_REPLICAS,
        },
        "mappings": {
            "dynamic": False,
            "properties": {
                "object_id": {"type": "long"},
                **dict.fromkeys((*TEXT_FIELDS, *INTERNAL_FIELDS), text),
                "keywords": {"type": "keyword"},
                "skipped": {"type": "keyword"},
                "skipped_count": {"type": "integer"},
                "digest": {"type": "keyword"},
                "indexed_at": {"type": "date"},
            },
        },
    }


def alias_name(kind: str) -> str:
    return f"{settings.SEARCH_INDEX_PREFIX}{kind}"


def source_of(doc: Document) -> dict:
    """The document as stored; ``digest`` lets ``--check`` compare it with the database."""
    body = {
        "object_id": doc.id,
        "title": doc.title,
        "text": doc.text,
        "attachments": doc.attachments,
        "keywords": doc.keywords,
        "skipped": [str(s) for s in doc.skipped],
        "skipped_count": len(doc.skipped),
    }
    if doc.internal:  # only then: the digests of documents without it stay as they were
        body["internal"] = doc.internal
    digest = hashlib.sha1(  # noqa: S324 (a fingerprint, not security)
        json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    return {**body, "digest": digest, "indexed_at": timezone.now().isoformat()}


@cache
def _client(url: str, auth: tuple, api_key: str, ca_certs: str, verify: bool) -> Elasticsearch:
    options: dict = {"request_timeout": 30, "retry_on_timeout": True, "max_retries": 2}
    if auth:
        options["basic_auth"] = auth
    if api_key:
        options["api_key"] = api_key
    if url.startswith("https"):
        options["verify_certs"] = verify
        if ca_certs:
            options["ca_certs"] = ca_certs
    return Elasticsearch(url, **options)


def client() -> Elasticsearch:
    """The client for the configured cluster (one per process and configuration)."""
    user = settings.SEARCH_ELASTICSEARCH_USERNAME
    auth = (user, settings.SEARCH_ELASTICSEARCH_PASSWORD) if user else ()
    return _client(
        settings.SEARCH_ELASTICSEARCH_URL,
        auth,
        settings.SEARCH_ELASTICSEARCH_API_KEY,
        settings.SEARCH_ELASTICSEARCH_CA_CERTS,
        settings.SEARCH_ELASTICSEARCH_VERIFY_CERTS,
    )


def write_targets(es: Elasticsearch, kind: str) -> list[str]:
    """The indexes a change must reach: the alias's and a rebuild's in progress (so the new
    index does not miss what changes while it is built). Empty when there is no index."""
    alias = alias_name(kind)
    try:
        found = es.indices.get(index=f"{alias}-*", allow_no_indices=True, expand_wildcards="open")
    except NotFoundError:
        return []
    return sorted(found.body)


def bulk_actions(index: str, docs: Iterable[Document], deleted: Iterable[int] = ()) -> Iterator:
    for doc in docs:
        if doc.skipped:
            logger.warning(
                "Search index %s %s: attachment text left out: %s",
                index,
                doc.id,
                "; ".join(str(s) for s in doc.skipped),
            )
        yield {"_op_type": "index", "_index": index, "_id": str(doc.id), "_source": source_of(doc)}
    for pk in deleted:
        yield {"_op_type": "delete", "_index": index, "_id": str(pk)}


class ElasticsearchBackend:
    """Searches and keeps the index (see the module docstring)."""

    name = "elasticsearch"
    keeps_index = True

    # --- writing ----------------------------------------------------------------------------

    def update(self, kind: str, ids: Iterable[int]) -> int:
        """(Re)index the objects ``ids`` of ``kind`` from the database, deleting the
        documents of those that are gone; idempotent. How many documents were written."""
        ids = sorted(set(ids))
        if not ids:
            return 0
        es = client()
        targets = write_targets(es, kind)
        if not targets:
            logger.info("Search index for %s does not exist yet; run search_index --rebuild", kind)
            return 0
        docs = registry.get(kind).documents(ids)
        gone = set(ids) - {d.id for d in docs}
        written = 0
        for index in targets:
            ok, errors = helpers.bulk(
                es, bulk_actions(index, docs, gone), raise_on_error=False, refresh=False
            )
            failed = (
                [e for e in errors if not _is_missing_delete(e)] if isinstance(errors, list) else []
            )
            if failed:
                raise RuntimeError(f"search index {index}: {len(failed)} failed: {failed[:3]}")
            written += ok
        return written

    def index_ticket(self, ticket_id: int) -> None:
        self.update("ticket", [ticket_id])

    def index_faq_item(self, item_id: int) -> None:
        self.update("faq_item", [item_id])

    # --- searching --------------------------------------------------------------------------

    def query(self, text: str, *, internal: bool = False) -> dict:
        """Every word must occur (in any text field, in any language's analysis; the
        internal text only with ``internal``), or the whole text is one of the keywords (a
        ticket number, a login)."""
        words = " ".join(words_of(text))
        fields = _analysed(internal)
        should: list[dict] = [{"term": {"keywords": text.strip()}}]
        if words:
            should.append(
                {
                    "multi_match": {
                        "query": words,
                        "fields": fields,
                        "type": "cross_fields",
                        "operator": "and",
                    }
                }
            )
        return {"bool": {"should": should, "minimum_should_match": 1}}

    def search(
        self,
        kind: str,
        text: str,
        *,
        size: int = 25,
        after: list | None = None,
        exact_total: bool = False,
        highlight: bool = True,
        internal: bool = False,
    ) -> Results:
        """One page of hits, best first (score, then id); ``after``: the previous page's
        cursor."""
        body: dict = {
            "query": self.query(text, internal=internal),
            "sort": [{"_score": {"order": "desc"}}, {"object_id": {"order": "asc"}}],
            "size": size,
            "source": False,
            "track_total_hits": True if exact_total else settings.SEARCH_TRACK_TOTAL,
        }
        if after:
            body["search_after"] = after
        if highlight:
            body["highlight"] = highlight_body(internal)
        try:
            response = client().search(index=alias_name(kind), **body)
        except NotFoundError:
            logger.warning("Search index for %s is missing; run search_index --rebuild", kind)
            return Results(hits=[], total=0, relation="eq", after=None)
        raw = response["hits"]
        hits = [
            Hit(id=int(h["_id"]), score=h.get("_score") or 0.0, highlights=h.get("highlight", {}))
            for h in raw["hits"]
        ]
        total = raw.get("total") or {"value": len(hits), "relation": "eq"}
        cursor = raw["hits"][-1]["sort"] if len(hits) == size and hits else None
        return Results(hits=hits, total=total["value"], relation=total["relation"], after=cursor)

    def highlights(
        self, kind: str, text: str, ids: list[int], *, internal: bool = False
    ) -> dict[int, list]:
        """The server's fragments for ``ids`` (one page), escaped and marked
        (:mod:`otrs.search.highlight`); of the internal text only with ``internal``."""
        query = self.query(text, internal=internal)
        body: dict = {
            "query": {"bool": {"must": [query], "filter": [{"ids": {"values": ids}}]}},
            "size": len(ids),
            "source": False,
            "highlight": highlight_body(internal),
        }
        try:
            response = client().search(index=alias_name(kind), **body)
        except NotFoundError:
            return {}
        found = {}
        for hit in response["hits"]["hits"]:
            marked = hit.get("highlight", {})
            fragments = [f for name in text_fields(internal) for f in marked.get(name, [])]
            if fragments:
                found[int(hit["_id"])] = [safe_marked(f) for f in fragments[:PASSAGES]]
        return found

    def ids(
        self, kind: str, text: str, *, limit: int = MAX_IDS, internal: bool = False
    ) -> list[int]:
        """The ids of all matches (at most ``limit``), paged with ``search_after``."""
        found: list[int] = []
        after = None
        while len(found) < limit:
            page = self.search(
                kind,
                text,
                size=min(PAGE_IDS, limit - len(found)),
                after=after,
                highlight=False,
                internal=internal,
            )
            found.extend(h.id for h in page.hits)
            if page.after is None:
                break
            after = page.after
        if len(found) >= limit:
            logger.warning("Search for %r in %s: more than %d matches, cut", text, kind, limit)
        return found

    # --- the SearchBackend interface ----------------------------------------------------------

    def ticket_condition(self, text: str, *, using: str = DEFAULT_DB_ALIAS) -> Q:
        return Q(pk__in=self.ids("ticket", text))

    def filter_tickets(self, queryset: QuerySet, text: str) -> QuerySet:
        return queryset.filter(self.ticket_condition(text, using=queryset.db))

    def filter(
        self, kind: str, queryset: QuerySet, text: str, *, internal: bool = False
    ) -> QuerySet:
        return queryset.filter(pk__in=self.ids(kind, text, internal=internal))

    def filter_faq_items(
        self, queryset: QuerySet, text: str, *, internal: bool = False
    ) -> QuerySet:
        return self.filter("faq_item", queryset, text, internal=internal)

    def suggest_faq_items(
        self, queryset: QuerySet, text: str, limit: int, *, internal: bool = False
    ) -> list[int]:
        """Any word may match (OR), best first; only the items of ``queryset``; the
        internal text only with ``internal``."""
        best = self.rank_faq_items(queryset, text, limit, internal=internal)
        readable = set(queryset.filter(pk__in=best).values_list("pk", flat=True))
        return [pk for pk in best if pk in readable][:limit]

    def rank_faq_items(
        self, queryset: QuerySet, text: str, limit: int, *, internal: bool = False
    ) -> list[int]:
        """The best 200 matches of all items, for the caller to filter through
        ``queryset`` (the index knows nothing of access)."""
        words = " ".join(w for w in words_of(text) if len(w) >= 3)
        if not words:
            return []
        fields = _analysed(internal)
        try:
            response = client().search(
                index=alias_name("faq_item"),
                query={"multi_match": {"query": words, "fields": fields}},
                size=200,
                source=False,
            )
        except NotFoundError:
            return []
        return [int(h["_id"]) for h in response["hits"]["hits"]]


def _analysed(internal: bool) -> list[str]:
    """The text fields with their language sub-fields, as a query names them."""
    names = text_fields(internal)
    return [*names, *(f"{name}.{lang}" for name in names for lang in analyzers())]


def _is_missing_delete(error) -> bool:
    """A delete of a document that is not there: already done (idempotent)."""
    item = error.get("delete") or {}
    return item.get("status") == 404

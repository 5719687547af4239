"""Building and checking the Elasticsearch indexes (``manage.py search_index``).

:func:`rebuild` builds a new dated index beside the one the alias points at, so searches
keep using the old index meanwhile. It walks the kind's ids in ascending chunks; documents
are built in this process and sent by ``parallel_bulk`` (several bulk requests in flight).
After every chunk that is known written (the pool answers in order), the last id is kept in
the new index's mapping ``_meta`` as a checkpoint: an interrupted rebuild, started again,
finds its unfinished index and goes on after the checkpoint. Changes made meanwhile reach
the new index too (the event handler writes to every ``<alias>-*`` index). When all is
written the alias moves in one atomic ``_aliases`` request and the old index is dropped.

:func:`check` compares the database with the index: counts, the set of ids, and the
fingerprint (``digest``) of a random sample of documents; it reindexes what differs.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.utils import timezone
from elasticsearch import NotFoundError, helpers

from . import registry
from .elastic import (
    ElasticsearchBackend,
    alias_name,
    bulk_actions,
    client,
    index_body,
    source_of,
    write_targets,
)

CHUNK = 500
#: How often (documents) the rebuild's checkpoint is written and its progress reported.
CHECKPOINT_EVERY = 5_000


@dataclass
class Progress:
    kind: str
    done: int
    total: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def aliased(kind: str) -> list[str]:
    """The index(es) the alias points at (normally one)."""
    try:
        return sorted(client().indices.get_alias(name=alias_name(kind)).body)
    except NotFoundError:
        return []


def _checkpoint(index: str) -> int:
    mapping = client().indices.get_mapping(index=index).body
    return int(mapping[index]["mappings"].get("_meta", {}).get("rebuild_after", 0))


def _set_checkpoint(index: str, after: int) -> None:
    client().indices.put_mapping(index=index, meta={"rebuild_after": after})


def _done() -> Future:
    future: Future = Future()
    future.set_result(0)
    return future


def _settle(index: str, in_flight: deque) -> int:
    """Wait for the oldest request; then everything up to its last id is written."""
    last_id, future = in_flight.popleft()
    written = future.result()
    _set_checkpoint(index, last_id)
    return written


def _chunks(indexed: registry.Indexed, after: int, chunk: int) -> Iterator[list[int]]:
    while True:
        ids = indexed.ids_after(after, chunk)
        if not ids:
            return
        yield ids
        after = ids[-1]


def rebuild(
    kind: str,
    *,
    threads: int = 2,
    chunk: int = CHUNK,
    report: Callable[[Progress], None] | None = None,
    stop_after: int | None = None,
) -> Progress:
    """Build ``kind``'s index anew (or finish an interrupted build) and swap the alias.
    ``stop_after``: stop after that many chunks without swapping (tests of resuming)."""
    es = client()
    indexed = registry.get(kind)
    alias = alias_name(kind)
    old = aliased(kind)
    building = [i for i in write_targets(es, kind) if i not in old]
    if building:
        new = building[-1]
        after = _checkpoint(new)
    else:
        new = f"{alias}-{timezone.now():%Y%m%d%H%M%S%f}"
        es.indices.create(index=new, **index_body())
        after = 0
    es.indices.put_settings(index=new, settings={"index": {"refresh_interval": "-1"}})
    total = indexed.count()
    started = time.monotonic()
    chunks = _chunks(indexed, after, chunk)
    if stop_after is not None:
        chunks = (c for n, c in enumerate(chunks) if n < stop_after)

    def send(actions: list[dict]) -> int:
        ok, errors = helpers.bulk(es, actions, chunk_size=len(actions), raise_on_error=False)
        if errors:
            raise RuntimeError(f"search index {new}: failed: {errors!r:.1000}")
        return ok

    # Documents are built here, in this thread (the database connection stays this one);
    # up to ``threads`` bulk requests are in flight meanwhile. Answers are taken in order,
    # so the checkpoint is always an id everything before which is written.
    done = 0
    reported = 0
    in_flight: deque[tuple[int, Future]] = deque()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for ids in chunks:
            actions = list(bulk_actions(new, indexed.documents(ids)))
            in_flight.append((ids[-1], pool.submit(send, actions) if actions else _done()))
            while len(in_flight) > threads:
                done += _settle(new, in_flight)
            if report and done - reported >= CHECKPOINT_EVERY:
                reported = done
                report(Progress(kind, done, total, time.monotonic() - started))
        while in_flight:
            done += _settle(new, in_flight)
    progress = Progress(kind, done, total, time.monotonic() - started)
    if stop_after is not None:
        return progress
    es.indices.put_settings(index=new, settings={"index": {"refresh_interval": "1s"}})
    es.indices.refresh(index=new)
    actions_ = [{"remove": {"index": i, "alias": alias}} for i in old]
    actions_.append({"add": {"index": new, "alias": alias}})
    es.indices.update_aliases(actions=actions_)
    for index in old:
        es.indices.delete(index=index)
    if report:
        report(progress)
    return progress


def index_ids(kind: str) -> set[int]:
    """Every id in ``kind``'s index (paged with ``search_after`` on the id)."""
    es = client()
    found: set[int] = set()
    after = None
    while True:
        body: dict = {
            "query": {"match_all": {}},
            "sort": [{"object_id": {"order": "asc"}}],
            "size": 10_000,
            "source": False,
        }
        if after:
            body["search_after"] = after
        hits = es.search(index=alias_name(kind), **body)["hits"]["hits"]
        found.update(int(h["_id"]) for h in hits)
        if len(hits) < 10_000:
            return found
        after = hits[-1]["sort"]


def database_ids(indexed: registry.Indexed) -> set[int]:
    return {pk for ids in _chunks(indexed, 0, 10_000) for pk in ids}


@dataclass
class CheckResult:
    kind: str
    database: int
    index: int
    missing: int
    extra: int
    sampled: int
    stale: int
    reindexed: int


def check(kind: str, *, sample: int = 100, repair: bool = True) -> CheckResult:
    """Counts, ids and a sample of fingerprints; with ``repair`` what differs is reindexed
    (missing and stale documents) or deleted (documents of objects that are gone)."""
    es = client()
    indexed = registry.get(kind)
    es.indices.refresh(index=alias_name(kind))
    in_db = database_ids(indexed)
    in_index = index_ids(kind)
    missing = in_db - in_index
    extra = in_index - in_db
    chosen = random.sample(sorted(in_db & in_index), min(sample, len(in_db & in_index)))
    stale: set[int] = set()
    if chosen:
        stored = es.mget(index=alias_name(kind), ids=[str(pk) for pk in chosen], source=["digest"])
        digests = {int(d["_id"]): d.get("_source", {}).get("digest") for d in stored["docs"]}
        for doc in indexed.documents(chosen):
            if source_of(doc)["digest"] != digests.get(doc.id):
                stale.add(doc.id)
    reindexed = 0
    if repair and (missing or extra or stale):
        reindexed = ElasticsearchBackend().update(kind, missing | extra | stale)
        es.indices.refresh(index=alias_name(kind))
    return CheckResult(
        kind=kind,
        database=len(in_db),
        index=len(in_index),
        missing=len(missing),
        extra=len(extra),
        sampled=len(chosen),
        stale=len(stale),
        reindexed=reindexed,
    )


@dataclass
class Status:
    kind: str
    alias: str
    indexes: list[str]
    building: list[str]
    documents: int | None
    database: int
    skipped_attachments: int | None
    checkpoint: int | None


def status(kind: str) -> Status:
    es = client()
    indexed = registry.get(kind)
    current = aliased(kind)
    building = [i for i in write_targets(es, kind) if i not in current]
    documents = skipped = None
    if current:
        alias = alias_name(kind)
        documents = es.count(index=alias)["count"]
        skipped = es.count(index=alias, query={"range": {"skipped_count": {"gt": 0}}})["count"]
    return Status(
        kind=kind,
        alias=alias_name(kind),
        indexes=current,
        building=building,
        documents=documents,
        database=indexed.count(),
        skipped_attachments=skipped,
        checkpoint=_checkpoint(building[-1]) if building else None,
    )

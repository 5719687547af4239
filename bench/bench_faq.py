"""Benchmark of the FAQ search and suggestions (issue 12) on a filled database.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_faqbench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_faq.py [--items 50000] [--runs 15]

It fills (once, in bulk, bypassing the actions: a generator, not a way to write items)
``--items`` published items in five languages over 20 categories, each about 120 words drawn
from a 5,000-word vocabulary with a Zipf-like distribution, then times through the real
selectors and access layer (``faq.access.visible_to`` -> search backend):

* the public search for two words (page 1, 20 rows, ordered by title),
* the agent search for two words (page 1, ordered by last change),
* the suggestion for a 30-word ticket text (5 best, ranked): once a realistic text, 25
  words drawn like the items' text (so nearly all common) and 5 rarer ones (ranks 200 to
  2,000, in a few dozen items each: a product, an error code), which finds items; once the
  25 common words and 5 words found nowhere, which finds none,

median, min and max per call, and the queries of one more call. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F, OuterRef, Subquery  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from faq import access, selectors  # noqa: E402
from faq.choices import ItemState, RevisionStatus  # noqa: E402
from faq.models import FaqCategory, FaqItem, FaqRevision  # noqa: E402
from otrs.accounts.models import User, UserKind  # noqa: E402
from otrs.search import get_backend  # noqa: E402
from otrs.search.backends import FAQ_VECTOR_COLUMN, FAQ_WORD_COUNTS  # noqa: E402

LANGUAGES = ["en", "de", "fr", "es", "it"]
VOCABULARY = 5000
WORDS = 120
rng = random.Random(12)


def vocabulary() -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "po", "se", "di", "fu", "ga", "he", "jo"]
    words = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def text(words: list[str], n: int) -> str:
    # Zipf-like: low ranks are common.
    return " ".join(words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)] for _ in range(n))


def fill(count: int, words: list[str]) -> None:
    have = FaqItem.objects.filter(number__startswith="B").count()
    if have >= count:
        return
    system = User.objects.get(kind=UserKind.SYSTEM)
    cats = [
        FaqCategory.objects.get_or_create(name=f"Bench {n}", defaults={"customers_all": True})[0]
        for n in range(20)
    ]
    batch = 2000
    if connection.vendor == "postgresql":
        # The word counts (faq.0004's trigger) are rebuilt once at the end: a bulk load is
        # far quicker without a count update per item and word.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE faq_faqitem DISABLE TRIGGER faq_word_counts_iud")
    for start in range(have, count, batch):
        with transaction.atomic():
            items = []
            for n in range(start, min(start + batch, count)):
                title = text(words, 6)
                keywords = text(words, 3)
                body = text(words, WORDS)
                items.append(
                    FaqItem(
                        number=f"B{n:08d}",
                        category=cats[n % len(cats)],
                        language=LANGUAGES[n % len(LANGUAGES)],
                        state=[ItemState.PUBLIC, ItemState.EXTERNAL, ItemState.INTERNAL][n % 3],
                        title=title,
                        keywords=keywords,
                        search_text=f"{title}\n{keywords}\n{body}",
                        public_text=f"{title}\n{keywords}\n{body}",  # no internal comment
                        created_by=system,
                        changed_by=system,
                    )
                )
            FaqItem.objects.bulk_create(items)
            made = FaqItem.objects.filter(number__in=[i.number for i in items])
            revisions = [
                FaqRevision(
                    item=i,
                    number=1,
                    title=i.title,
                    keywords=i.keywords,
                    solution=f"<p>{i.search_text}</p>",
                    status=RevisionStatus.PUBLISHED,
                    author=system,
                )
                for i in made
            ]
            FaqRevision.objects.bulk_create(revisions)
            live = Subquery(FaqRevision.objects.filter(item=OuterRef("pk")).values("pk")[:1])
            made.update(live_revision_id=live, latest_revision_id=live, group=F("pk"))
        print(f"  {min(start + batch, count)} items", flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE faq_faqitem ENABLE TRIGGER faq_word_counts_iud")
            cursor.execute(f"DELETE FROM {FAQ_WORD_COUNTS}")  # noqa: S608 (a constant)
            cursor.execute(
                f"INSERT INTO {FAQ_WORD_COUNTS} (word, items) SELECT word, ndoc "  # noqa: S608
                f"FROM ts_stat('SELECT {FAQ_VECTOR_COLUMN} FROM faq_faqitem')"
            )
            # The fill updated every row once: vacuum, as autovacuum would, before timing.
            cursor.execute(f"VACUUM ANALYZE faq_faqitem, {FAQ_WORD_COUNTS}")


def timed(label: str, call, runs: int) -> None:
    for _ in range(2):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        found = call()
    print(
        f"{label:<44} median {statistics.median(times):7.1f} ms  min {min(times):7.1f}  "
        f"max {max(times):7.1f}  queries {len(queries)}  rows {len(found)}"
    )


def alternating(label: str, calls: dict, runs: int) -> None:
    """Calls that do the same work timed in turns (one run of each, ``runs`` times), so a
    machine loaded by others weighs on each alike; then the time of each query of one
    more call of each."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    print(label)
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as queries:
            found = call()
        each = " + ".join(f"{float(q['time']) * 1000:.1f}" for q in queries.captured_queries)
        print(
            f"  {name:<42} median {statistics.median(times[name]):7.1f} ms  "
            f"min {min(times[name]):7.1f}  rows {len(found)}  queries {len(queries)} ({each} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    words = vocabulary()
    print(f"database: {connection.vendor}; filling {args.items} items ...", flush=True)
    fill(args.items, words)
    print(f"items: {FaqItem.objects.count()}")
    agent, _c = User.objects.get_or_create(
        username="bench_faq_agent", defaults={"kind": UserKind.AGENT, "is_superuser": True}
    )
    anyone = AnonymousUser()
    common, rare = words[3], words[400]
    rng.seed(34)  # the same texts whether or not this run filled
    common_part = text(words, 25).split()
    ticket_text = " ".join(common_part + [words[rng.randint(200, 2000)] for _ in range(5)])
    unknown_text = " ".join(common_part + [f"zq{n}xv" for n in range(5)])

    def public_search():
        items = selectors.in_language(access.visible_to(anyone), "en")
        return list(selectors.search(items, f"{common} {rare}").order_by("title", "pk")[:20])

    def agent_search():
        return list(
            selectors.search(access.visible_to(agent), f"{common} {rare}").order_by(
                "-changed", "-pk"
            )[:25]
        )

    def suggestion(words_text: str):
        def call():
            items = selectors.in_language(access.visible_to(anyone), "en")
            return selectors.suggestions(items, words_text)

        return call

    timed(f"public search '{common} {rare}' (page 1)", public_search, args.runs)
    timed(f"agent search '{common} {rare}' (page 1)", agent_search, args.runs)
    timed("suggestion, 30 words, 5 of them rare", suggestion(ticket_text), args.runs)
    timed("suggestion, 30 words, none matching", suggestion(unknown_text), args.runs)

    def two_passes():
        # How the selector did it before: the backend filters its candidates through the
        # reader's queryset, then the selector fetches those ids through it again.
        items = selectors.in_language(access.visible_to(anyone), "en")
        ids = get_backend().suggest_faq_items(items, ticket_text, selectors.SUGGESTIONS)
        found = {i.pk: i for i in items.filter(pk__in=ids).select_related("category")}
        return [found[i] for i in ids if i in found]

    alternating(
        "suggestion, 30 words, 5 rare: one pass through the access entry or two",
        {"one pass (selectors.suggestions)": suggestion(ticket_text), "two passes": two_passes},
        args.runs,
    )


if __name__ == "__main__":
    main()

# PostgreSQL: the articles' full text as a stored tsvector column with its GIN index, kept
# by a trigger on every INSERT and on every UPDATE of subject or body (the database keeps it,
# whatever writes the row: actions, bulk fills, COPY). The search reads the stored vector
# instead of parsing each article's text again: the capped count of a common word walked the
# tickets recomputing to_tsvector over their articles (bench/README.md, "bench_agent.py").
#
# Made for a big site: the column is added empty (no table rewrite, no long lock), the trigger
# is in place before the fill so no new row is missed, the fill runs in batches of ids, each
# its own short transaction (restartable: it only fills rows still empty), and the index is
# built CONCURRENTLY (writes go on), then the table is vacuumed. The migration is therefore
# not atomic. The old expression index of 0003 is dropped at the end. MariaDB's FULLTEXT index and SQLite's FTS5
# table (0020) do not parse text per row at search time; nothing changes there.

import logging
import time

from django.db import migrations

from otrs.search.backends import (
    ARTICLE_VECTOR_COLUMN,
    ARTICLE_VECTOR_INDEX,
    PG_INDEXED_CHARS,
)

logger = logging.getLogger(__name__)

TABLE = "tickets_article"
OLD_INDEX = "article_fulltext"
FUNCTION = "tickets_article_search_vector"
TRIGGER = "tickets_article_search_vector"
#: Article ids per UPDATE of the fill (one transaction each).
BATCH = 20_000

# The same text, cap and configuration as the expression index of 0003 had.
VECTOR = (
    "to_tsvector('simple', left(coalesce({row}subject, '') || ' ' || coalesce({row}body, ''), "
    f"{PG_INDEXED_CHARS:d}))"
)

SETUP = [
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {ARTICLE_VECTOR_COLUMN} tsvector",
    f"""CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.{ARTICLE_VECTOR_COLUMN} := {VECTOR.format(row="NEW.")};
        RETURN NEW;
    END $$""",
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}",
    f"""CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OF subject, body ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()""",
]


def fill(connection, *, batch: int = BATCH) -> int:
    """Fill the vector of every article that has none, ``batch`` ids per transaction (with
    autocommit on, each UPDATE is one). Returns how many rows it filled."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {TABLE}")  # noqa: S608 (constant names)
        low, high = cursor.fetchone()
        if low is None:
            return 0
        filled = 0
        started = last_report = time.monotonic()
        for start in range(low, high + 1, batch):
            cursor.execute(
                f"UPDATE {TABLE} SET {ARTICLE_VECTOR_COLUMN} = {VECTOR.format(row='')} "  # noqa: S608 (constant names)
                f"WHERE id >= %s AND id < %s AND {ARTICLE_VECTOR_COLUMN} IS NULL",
                [start, start + batch],
            )
            filled += cursor.rowcount
            if time.monotonic() - last_report > 10:
                last_report = time.monotonic()
                logger.warning(
                    "article search vectors: %s rows filled, up to id %s of %s, %.0f rows/s",
                    filled,
                    start + batch - 1,
                    high,
                    filled / (last_report - started),
                )
    return filled


def _index_is_invalid(cursor, name: str) -> bool:
    cursor.execute(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = %s",
        [name],
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in SETUP:
            cursor.execute(statement)
    fill(connection)
    with connection.cursor() as cursor:
        # A CONCURRENTLY build that was interrupted leaves an invalid index behind.
        if _index_is_invalid(cursor, ARTICLE_VECTOR_INDEX):
            cursor.execute(f"DROP INDEX CONCURRENTLY {ARTICLE_VECTOR_INDEX}")
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ARTICLE_VECTOR_INDEX} "
            f"ON {TABLE} USING gin ({ARTICLE_VECTOR_COLUMN})"
        )
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD_INDEX}")
        # The fill left a dead version of every row: without a VACUUM the planner walks
        # the bloated article index (100,000 tickets: the capped count 200 ms, then 80).
        cursor.execute(f"VACUUM (ANALYZE) {TABLE}")


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD_INDEX} ON {TABLE} "
            f"USING gin (({VECTOR.format(row='')}))"
        )
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {ARTICLE_VECTOR_INDEX}")
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
        cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {ARTICLE_VECTOR_COLUMN}")


class Migration(migrations.Migration):
    # Batches commit one by one and the index is built CONCURRENTLY (see above).
    atomic = False

    dependencies = [("tickets", "0037_web_notifications")]

    operations = [migrations.RunPython(forward, backward)]

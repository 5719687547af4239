# PostgreSQL: the FAQ items' full text as a stored generated tsvector column with its GIN
# index (a match, and the recheck of a lossy page, read the vector instead of parsing the
# text again), and a word-count table kept by triggers: how many items hold each word,
# what the suggestions weigh a word by (otrs.search.backends). MariaDB keeps its FULLTEXT
# index and SQLite its FTS5 table (0002); nothing changes there.

from django.db import migrations

from otrs.search.backends import (
    FAQ_VECTOR_COLUMN,
    FAQ_VECTOR_INDEX,
    FAQ_WORD_COUNTS,
    PG_INDEXED_CHARS,
)

OLD_INDEX = "faq_item_search_text_ft"

FORWARD = [
    f"""ALTER TABLE faq_faqitem ADD COLUMN {FAQ_VECTOR_COLUMN} tsvector
        GENERATED ALWAYS AS (
            to_tsvector('simple', left(coalesce(search_text, ''), {PG_INDEXED_CHARS:d}))
        ) STORED""",
    f"CREATE INDEX {FAQ_VECTOR_INDEX} ON faq_faqitem USING gin ({FAQ_VECTOR_COLUMN})",
    f"DROP INDEX IF EXISTS {OLD_INDEX}",
    f"CREATE TABLE {FAQ_WORD_COUNTS} (word text PRIMARY KEY, items integer NOT NULL)",
    # One row per item and word: +1 for the words an item gains, -1 for those it loses.
    # tsvector_to_array gives the lexemes sorted, so concurrent writers lock the count rows
    # in the same order (no deadlock).
    f"""CREATE FUNCTION faq_word_counts_row() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        old_words text[] := CASE WHEN TG_OP IN ('UPDATE', 'DELETE')
            THEN tsvector_to_array(OLD.{FAQ_VECTOR_COLUMN}) ELSE '{{}}' END;
        new_words text[] := CASE WHEN TG_OP IN ('UPDATE', 'INSERT')
            THEN tsvector_to_array(NEW.{FAQ_VECTOR_COLUMN}) ELSE '{{}}' END;
    BEGIN
        INSERT INTO {FAQ_WORD_COUNTS} (word, items)
            SELECT w, 1 FROM unnest(new_words) AS w WHERE NOT w = ANY(old_words) ORDER BY w
            ON CONFLICT (word) DO UPDATE SET items = {FAQ_WORD_COUNTS}.items + 1;
        UPDATE {FAQ_WORD_COUNTS} SET items = items - 1
            WHERE word = ANY(old_words) AND NOT word = ANY(new_words);
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION faq_word_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM {FAQ_WORD_COUNTS};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER faq_word_counts_iud AFTER INSERT OR DELETE OR UPDATE OF search_text
        ON faq_faqitem FOR EACH ROW EXECUTE FUNCTION faq_word_counts_row()""",
    """CREATE TRIGGER faq_word_counts_truncate AFTER TRUNCATE ON faq_faqitem
        FOR EACH STATEMENT EXECUTE FUNCTION faq_word_counts_truncate()""",
    f"""INSERT INTO {FAQ_WORD_COUNTS} (word, items)
        SELECT word, ndoc FROM ts_stat('SELECT {FAQ_VECTOR_COLUMN} FROM faq_faqitem')""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS faq_word_counts_truncate ON faq_faqitem",
    "DROP TRIGGER IF EXISTS faq_word_counts_iud ON faq_faqitem",
    "DROP FUNCTION IF EXISTS faq_word_counts_truncate()",
    "DROP FUNCTION IF EXISTS faq_word_counts_row()",
    f"DROP TABLE IF EXISTS {FAQ_WORD_COUNTS}",
    f"""CREATE INDEX {OLD_INDEX} ON faq_faqitem USING gin
        (to_tsvector('simple', left(coalesce(search_text, ''), {PG_INDEXED_CHARS:d})))""",
    f"ALTER TABLE faq_faqitem DROP COLUMN IF EXISTS {FAQ_VECTOR_COLUMN}",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("faq", "0003_history_types")]

    operations = [migrations.RunPython(forward, backward)]

# What customers and the public search: each item's text without its internal comment
# (``public_text``), filled from the revision the item's search text was made from, with a
# full-text index of its own on every database: PostgreSQL a stored generated tsvector
# with its GIN index (beside the full one of 0004), MariaDB/MySQL a FULLTEXT index, SQLite
# an FTS5 table kept by triggers (otrs.search.fts). Agents keep searching ``search_text``.

from django.db import migrations, models

from otrs.search import fts
from otrs.search.backends import (
    FAQ_PUBLIC_FULLTEXT,
    FAQ_PUBLIC_VECTOR_COLUMN,
    FAQ_PUBLIC_VECTOR_INDEX,
    PG_INDEXED_CHARS,
)

PUBLIC_FIELDS = ("symptom", "problem", "solution")
BATCH = 1000


def _plain(value):
    # Frozen copy of faq.models.plain_text: a migration keeps the rule it was written with.
    import html

    from django.utils.html import strip_tags

    return html.unescape(strip_tags(value or ""))


def fill(apps, schema_editor):
    """Each item's public text from the revision its search text came from: the live one,
    or the latest before any publication (as faq.actions keeps them)."""
    item_model = apps.get_model("faq", "FaqItem")
    revision_model = apps.get_model("faq", "FaqRevision")
    alias = schema_editor.connection.alias
    last = 0
    while True:
        items = list(
            item_model.objects.using(alias)
            .filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "live_revision", "latest_revision")[:BATCH]
        )
        if not items:
            return
        last = items[-1].pk
        wanted = {i.pk: i.live_revision_id or i.latest_revision_id for i in items}
        revisions = revision_model.objects.using(alias).in_bulk([r for r in wanted.values() if r])
        changed = []
        for found in items:
            revision = revisions.get(wanted[found.pk])
            if revision is None:
                continue
            parts = [revision.title, revision.keywords]
            parts += [_plain(getattr(revision, f)) for f in PUBLIC_FIELDS]
            found.public_text = "\n".join(p for p in parts if p)
            changed.append(found)
        item_model.objects.using(alias).bulk_update(changed, ["public_text"])


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    table = schema_editor.quote_name("faq_faqitem")
    if vendor == "postgresql":
        schema_editor.execute(
            f"""ALTER TABLE {table} ADD COLUMN {FAQ_PUBLIC_VECTOR_COLUMN} tsvector
            GENERATED ALWAYS AS (
                to_tsvector('simple', left(coalesce(public_text, ''), {PG_INDEXED_CHARS:d}))
            ) STORED"""
        )
        schema_editor.execute(
            f"CREATE INDEX {FAQ_PUBLIC_VECTOR_INDEX} ON {table} "
            f"USING gin ({FAQ_PUBLIC_VECTOR_COLUMN})"
        )
    elif vendor == "mysql":
        schema_editor.execute(f"CREATE FULLTEXT INDEX {FAQ_PUBLIC_FULLTEXT} ON {table} (public_text)")
    else:
        # SQLite added public_text by rebuilding the table, which dropped the triggers of
        # the full index of 0002; put them back here, so a new site's first migrate does not
        # end with post_migrate's "had lost its triggers" repair (idempotent).
        fts.create(schema_editor, fts.FAQ_ITEMS)
        fts.create(schema_editor, fts.FAQ_PUBLIC)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    table = schema_editor.quote_name("faq_faqitem")
    if vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {FAQ_PUBLIC_VECTOR_INDEX}")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {FAQ_PUBLIC_VECTOR_COLUMN}")
    elif vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {FAQ_PUBLIC_FULLTEXT} ON {table}")
    else:
        fts.drop(schema_editor, fts.FAQ_PUBLIC)


class Migration(migrations.Migration):
    dependencies = [("faq", "0004_faq_search_vector")]

    operations = [
        migrations.AddField(
            model_name="faqitem",
            name="public_text",
            field=models.TextField(blank=True, editable=False, verbose_name="public search text"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        # MariaDB/MySQL: DDL, never inside the transaction RunPython opens there.
        migrations.RunPython(create_index, drop_index, atomic=False),
    ]

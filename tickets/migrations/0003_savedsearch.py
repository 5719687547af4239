# Saved searches, the full-text indexes of the database search backend
# (otrs.search.backends.DatabaseBackend: its queries must use exactly these expressions),
# and on PostgreSQL trigram indexes for the substring criteria of tickets.search.

import logging

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import DatabaseError, migrations, models, transaction

logger = logging.getLogger(__name__)

INDEX = "article_fulltext"

# PostgreSQL: one tsvector per article over subject and body, 'simple' configuration (no
# stemming: mail comes in many languages), capped at 100,000 characters because a tsvector
# above 1 MB would make the INSERT of a huge article fail.
POSTGRESQL = (
    "CREATE INDEX {index} ON {table} USING gin ("
    "(to_tsvector('simple', left(coalesce(subject, '') || ' ' || coalesce(body, ''), 100000)))"
    ")"
)
# MariaDB / MySQL (InnoDB): MATCH (subject, body) needs an index on exactly these columns.
MYSQL = "CREATE FULLTEXT INDEX {index} ON {table} (subject, body)"
# SQLite has no index for this; the backend uses LIKE there.


def _sql(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    template = {"postgresql": POSTGRESQL, "mysql": MYSQL}.get(vendor)
    table = schema_editor.quote_name(apps.get_model("tickets", "Article")._meta.db_table)
    return template, table


def create_fulltext_index(apps, schema_editor):
    template, table = _sql(apps, schema_editor)
    if template:
        schema_editor.execute(template.format(index=schema_editor.quote_name(INDEX), table=table))


def drop_fulltext_index(apps, schema_editor):
    _template, table = _sql(apps, schema_editor)
    index = schema_editor.quote_name(INDEX)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
    elif schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {index} ON {table}")


# PostgreSQL: "contains" criteria (icontains: UPPER(column::text) LIKE UPPER('%...%')) on
# the title (the quick search box) and the customer. Without them each such search reads
# every ticket: 0.5 to 0.8 s for a million tickets; with them 5 to 11 ms (bench numbers in
# the search report). They need the pg_trgm extension (trusted: a database owner may
# create it); where it cannot be created the criteria still work, just slower.
TRIGRAM_INDEXES = {
    "ticket_title_trgm": "CREATE INDEX {index} ON {table} USING gin (upper(title::text) gin_trgm_ops)",
    "ticket_customer_trgm": (
        "CREATE INDEX {index} ON {table} USING gin "
        "(upper(customer_user::text) gin_trgm_ops, upper(customer_id::text) gin_trgm_ops)"
    ),
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        logger.warning(
            "pg_trgm is not available (%s): searches by title or customer will read every "
            "ticket. To add the indexes later, create the extension and run the statements "
            "of TRIGRAM_INDEXES in tickets/migrations/0003_savedsearch.py.",
            exc,
        )
        return
    table = schema_editor.quote_name(apps.get_model("tickets", "Ticket")._meta.db_table)
    for index, template in TRIGRAM_INDEXES.items():
        schema_editor.execute(template.format(index=schema_editor.quote_name(index), table=table))


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_default_data"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedSearch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("criteria", models.JSONField(default=dict, verbose_name="criteria")),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
                ),
                (
                    "changed_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="changed"),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_searches",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "verbose_name": "saved search",
                "verbose_name_plural": "saved searches",
                "ordering": ["name", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("owner", "name"), name="uniq_saved_search_name")
                ],
            },
        ),
        # Not atomic: MySQL cannot run DDL inside a transaction (PostgreSQL runs the whole
        # migration in one anyway).
        migrations.RunPython(create_fulltext_index, drop_fulltext_index, atomic=False),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, atomic=False),
    ]

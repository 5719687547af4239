# PostgreSQL: the articles' search-vector trigger (0038) fires in every session, also one with
# session_replication_role = replica. filldb writes its batches in that mode to skip the
# foreign-key triggers, and so wrote two million articles with no search vector: full-text
# search found none of them. A logical-replication subscriber recomputes the same vector;
# pg_restore --disable-triggers still disables it (and restores the column's values).
# Instant: it changes the trigger's catalogue row only.

from django.db import migrations

TABLE = "tickets_article"
TRIGGER = "tickets_article_search_vector"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE ALWAYS TRIGGER {TRIGGER}")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0038_article_search_vector")]

    operations = [migrations.RunPython(forward, backward)]

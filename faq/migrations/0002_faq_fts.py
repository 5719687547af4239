# SQLite: the FTS5 index of the FAQ items' search text, kept by triggers (otrs.search.fts;
# the database backend matches with it instead of LIKE).

from django.db import migrations

from otrs.search import fts


def create(apps, schema_editor):
    fts.create(schema_editor, fts.FAQ_ITEMS)


def drop(apps, schema_editor):
    fts.drop(schema_editor, fts.FAQ_ITEMS)


class Migration(migrations.Migration):
    dependencies = [("faq", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

# SQLite: the FTS5 index of the articles' subject and body, kept by triggers
# (otrs.search.fts; the database backend matches with it instead of LIKE). Other
# databases have their full-text index since 0003_savedsearch.

from django.db import migrations

from otrs.search import fts


def create(apps, schema_editor):
    fts.create(schema_editor, fts.ARTICLES)


def drop(apps, schema_editor):
    fts.drop(schema_editor, fts.ARTICLES)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0019_processes")]

    operations = [migrations.RunPython(create, drop)]

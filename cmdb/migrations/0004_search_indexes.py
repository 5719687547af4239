"""Two PostgreSQL indexes. One for the list's attribute search: a text value is searched by its
case-insensitive prefix (``UPPER(value_text) LIKE UPPER('x%')``), which the plain
(attribute, value_text) index cannot serve unless the database's collation is "C". At 200,000
CIs the search read every value of the attribute (0.7 s of SQL). MariaDB's default collations
are case-insensitive and its plain index serves the prefix; SQLite needs none at its sizes.

And one for a CI's name looked up without regard to case (``name__iexact``: ``UPPER(name) =
UPPER('x')``): the name check of every create and rename (within the class, or across classes
with CMDB_UNIQUE_NAME_GLOBAL) and the CSV import's match by name read every CI of the class,
0.5 s a row at 100,000 Computers."""

from django.db import migrations

INDEXES = {
    "cmdb_value_text_upper_prefix": (
        "cmdb_attributevalue (attribute_id, (UPPER(value_text::text)) text_pattern_ops)"
    ),
    "cmdb_ci_upper_name": "cmdb_configitem ((UPPER(name::text)))",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, target in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0003_ci_files")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

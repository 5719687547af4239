"""SQLite full text: FTS5 tables over the articles and the FAQ items, kept by triggers.

Each :class:`FtsTable` is an *external content* FTS5 table: it stores only the index, the
text stays in the model's table, and three triggers (insert, delete, update of the indexed
columns) keep the index in step with every write, whoever makes it (actions, bulk inserts,
raw SQL). The ``unicode61`` tokenizer folds case and keeps diacritics, like PostgreSQL's
``simple`` configuration the other database backend uses, so both match whole words.

The tables are created by migrations (``tickets.0020_article_fts``, ``faq.0002_faq_fts``,
``faq.0005``)
through :func:`create`. Django rebuilds a SQLite table for some schema changes (a copy, a
drop, a rename), and a dropped table takes its triggers with it, so after every
``migrate`` :func:`ensure` puts missing triggers back and rebuilds that index
(:class:`otrs.search.apps.SearchConfig`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from django.db.models import Q
from django.db.models.expressions import RawSQL

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FtsTable:
    name: str
    content: str
    columns: tuple[str, ...]

    def triggers(self) -> dict[str, str]:
        cols = ", ".join(self.columns)
        new = ", ".join(f"new.{c}" for c in self.columns)
        old = ", ".join(f"old.{c}" for c in self.columns)
        delete = (
            f"INSERT INTO {self.name}({self.name}, rowid, {cols}) VALUES ('delete', old.id, {old});"  # noqa: S608 (constant names)
        )
        insert = f"INSERT INTO {self.name}(rowid, {cols}) VALUES (new.id, {new});"  # noqa: S608 (constant names)
        return {
            f"{self.name}_ai": f"AFTER INSERT ON {self.content} BEGIN {insert} END",
            f"{self.name}_ad": f"AFTER DELETE ON {self.content} BEGIN {delete} END",
            f"{self.name}_au": (
                f"AFTER UPDATE OF {cols} ON {self.content} BEGIN {delete} {insert} END"
            ),
        }


ARTICLES = FtsTable("tickets_article_fts", "tickets_article", ("subject", "body"))
FAQ_ITEMS = FtsTable("faq_faqitem_fts", "faq_faqitem", ("search_text",))
#: The FAQ items' text without the internal comment: what customers and the public search.
FAQ_PUBLIC = FtsTable("faq_faqitem_public_fts", "faq_faqitem", ("public_text",))
TABLES = (ARTICLES, FAQ_ITEMS, FAQ_PUBLIC)


def create(schema_editor, table: FtsTable) -> None:
    """Create the FTS5 table, its triggers, and index what is there (SQLite only)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table.name} USING fts5("
        f"{', '.join(table.columns)}, content='{table.content}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    for name, body in table.triggers().items():
        schema_editor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    schema_editor.execute(f"INSERT INTO {table.name}({table.name}) VALUES ('rebuild')")  # noqa: S608
    _available.pop(schema_editor.connection, None)


def drop(schema_editor, table: FtsTable) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in table.triggers():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {table.name}")
    _available.pop(schema_editor.connection, None)


def ensure(connection) -> list[str]:
    """Put back the triggers of existing FTS tables that lost them (their content table was
    rebuilt by a migration) and rebuild those indexes; the names of the tables repaired."""
    if connection.vendor != "sqlite":
        return []
    repaired = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for name, _type in cursor.fetchall()}
        for table in TABLES:
            if table.name not in present or table.content not in present:
                continue
            missing = [n for n in table.triggers() if n not in present]
            if not missing:
                continue
            for name, body in table.triggers().items():
                cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
            cursor.execute(f"INSERT INTO {table.name}({table.name}) VALUES ('rebuild')")  # noqa: S608
            logger.warning("SQLite full text: %s had lost its triggers; rebuilt", table.name)
            repaired.append(table.name)
    return repaired


# Whether a connection's database has the FTS table (a database migrated before it existed
# falls back to LIKE); asked once per connection object.
_available: WeakKeyDictionary = WeakKeyDictionary()


def available(connection, table: FtsTable) -> bool:
    known = _available.setdefault(connection, {})
    if table.name not in known:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [table.name]
            )
            known[table.name] = cursor.fetchone() is not None
    return known[table.name]


def is_token(word: str) -> bool:
    """Whether FTS5's unicode61 tokenizer sees ``word`` as one token (letters and digits
    only); other words are matched with LIKE."""
    return word.isalnum()


def query(tokens: list[str]) -> str:
    """An FTS5 query: every token, as a quoted string (no operators from user text)."""
    return " AND ".join('"{}"'.format(t.replace('"', '""')) for t in tokens)


def matches(table: FtsTable, tokens: list[str]) -> Q:
    """The rows of ``table.content`` whose indexed columns hold every token."""
    sql = f"SELECT rowid FROM {table.name} WHERE {table.name} MATCH %s"  # noqa: S608 (constant names)
    return Q(pk__in=RawSQL(sql, [query(tokens)]))  # noqa: S611 (the text is a parameter)

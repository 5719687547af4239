"""Helpers of the operations tests."""

from __future__ import annotations

import pytest
from django.db import connection

# Committed data (the dump tools read through connections of their own); serialized_rollback
# puts back what the migrations made once the test's rows are flushed.
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def table_rows() -> dict[str, list[str]]:
    """Every row of every table, as comparable text."""
    rows = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows[table] = sorted(
                repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                for row in cursor.fetchall()
            )
    return rows

"""``pk__in=[1, 10**30]`` on an integer column: values no such column can hold match
nothing, as Django's own ``exact``, ``gt`` and ``lt`` lookups on integer fields already do
(``IntegerFieldOverflow``), instead of an overflow error from the database driver (SQLite:
OverflowError; PostgreSQL: "integer out of range"). A list of ids from a form (checked
tickets, chosen queues) is often the first place a forged huge number meets the database;
``ModelMultipleChoiceField`` then reports it as an invalid choice like any other unknown id.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            internal_type = self.lhs.output_field.get_internal_type()
            low, high = connection.ops.integer_field_range(internal_type)
            kept = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
            if not kept:
                raise EmptyResultSet
            self.rhs = kept
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)

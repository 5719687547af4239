"""One way to page a list, for every list of both portals.

:func:`paginate` reads one row more than it shows (so it knows whether a next page exists
without counting), and counts only when it must: on the last page the total is known from
the rows; elsewhere a ``COUNT`` runs over at most :data:`COUNT_CAP` + 1 rows, so a list of a
million tickets says "more than 10,000" instead of counting them all. A caller that knows
the total (the queue tree's counts) passes it. :func:`page_number` reads a page number from
a request: anything that is not a plain number from 1 to :data:`MAX_PAGE` means page 1, so
no link, however mangled, reaches the database as an OFFSET it cannot take.

The template ``partials/pagination.html`` shows "1-50 of 1,234" (with an en dash), and
links to the previous and next page that keep the other query parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext

# Far beyond any list a person pages through; keeps OFFSET inside what every database takes.
MAX_PAGE = 100_000
# Lists count their rows up to this many; beyond, they say "more than".
COUNT_CAP = 10_000

Fetch = Callable[[int, int], Sequence]


def page_number(value) -> int:
    """The page a query parameter asks for: a number from 1 to :data:`MAX_PAGE`, else 1."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_PAGE)):
        return 1
    number = int(text)
    return number if 1 <= number <= MAX_PAGE else 1


@dataclass(frozen=True)
class Page:
    """One page of a list. ``total`` is the number of rows of the whole list, or ``None``
    when there are more than ``cap`` (counting stopped there)."""

    rows: list
    number: int
    per_page: int
    has_next: bool
    total: int | None
    cap: int = COUNT_CAP

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def first_index(self) -> int:
        """The position of the first row shown (1-based), 0 on an empty page."""
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0

    @property
    def summary(self) -> str:
        """Such as "1-50 of 1,234" or "51-100 of more than 10,000" (with an en dash); "" for
        an empty page."""
        if not self.rows:
            return ""
        values = {
            "first": number_format(self.first_index, force_grouping=True),
            "last": number_format(self.last_index, force_grouping=True),
        }
        if self.total is None:
            values["cap"] = number_format(self.cap, force_grouping=True)
            return gettext("%(first)s–%(last)s of more than %(cap)s") % values  # noqa: RUF001
        values["total"] = number_format(self.total, force_grouping=True)
        return gettext("%(first)s–%(last)s of %(total)s") % values  # noqa: RUF001


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> int | None:
    """How many rows ``queryset`` has, or ``None`` when more than ``cap``."""
    n = queryset.order_by()[: cap + 1].count()
    return n if n <= cap else None


def paginate(
    source: QuerySet | Fetch,
    *,
    number=1,
    per_page: int,
    total: int | QuerySet | Callable[[], int | QuerySet] | None = None,
    cap: int = COUNT_CAP,
) -> Page:
    """Page ``number`` of ``source``: an ordered queryset, or ``fetch(offset, limit)`` that
    returns those rows. ``total``: the known number of rows, or a queryset to count (by
    default ``source`` itself; a fetch function needs one of the two), or a function that
    returns either (called only when a count is needed)."""
    number = number if isinstance(number, int) and 1 <= number <= MAX_PAGE else page_number(number)
    per_page = max(int(per_page), 1)
    queryset = source if isinstance(source, QuerySet) else None

    def read(page: int) -> list:
        offset = (page - 1) * per_page
        if queryset is None:
            return list(source(offset, per_page + 1))  # type: ignore[operator]
        return list(queryset[offset : offset + per_page + 1])

    def count() -> int | None:
        counted = total() if callable(total) and not isinstance(total, QuerySet) else total
        if isinstance(counted, int):
            return counted
        counted = counted if counted is not None else queryset
        if counted is None:
            raise TypeError("paginate() needs a total to count a fetch function's rows")
        return capped_count(counted, cap)

    rows = read(number)
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    if not has_next and (rows or number == 1):
        # The last page: the rows tell the total, no COUNT needed.
        known: int | None = (number - 1) * per_page + len(rows)
    else:
        # A page past the end (an old link after tickets closed) stays empty; the list
        # offers its first page.
        known = count()
    return Page(rows, number, per_page, has_next, known, cap)

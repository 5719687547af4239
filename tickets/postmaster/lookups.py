"""The reads every inbound mail makes, as hand-written statements.

Each of these ran through the ORM once per mail; building and compiling a queryset (and the
model instances it returns) cost more of the worker's CPU than the database spent on the
query. Here each is one short statement on a plain cursor, returning plain values. The
table and column names come from the models (``_meta``), so a renamed field breaks loudly;
the conditions are the querysets' own (``iexact`` is ``UPPER() = UPPER()``, as Django
writes it on PostgreSQL; SQLite's ``LIKE`` and MariaDB's case-insensitive collation agree for
addresses and logins).
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from customers.models import CustomerCompany as Company
from customers.models import CustomerUser
from otrs.accounts.models import User

from ..choices import Channel
from ..models import Article, ArticleRaw


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _col(model, field: str) -> str:
    return _q(model._meta.get_field(field).column)


def _table(model) -> str:
    return _q(model._meta.db_table)


@cache
def _sql(name: str, vendor: str) -> str:
    """The statement ``name`` for the connection's database (quoting differs)."""
    article, raw = _table(Article), _table(ArticleRaw)
    customer, user, company = _table(CustomerUser), _table(User), _table(Company)
    a_id = _col(Article, "id")
    if name == "articles_with_raw":
        return (
            f"SELECT a.{a_id} FROM {article} a WHERE a.{_col(Article, 'message_id_md5')} = %s"  # noqa: S608
            f" AND EXISTS (SELECT 1 FROM {raw} r WHERE r.{_col(ArticleRaw, 'article')} = a.{a_id})"
            f" ORDER BY a.{a_id}"
        )
    if name == "customer_by_email":
        return (
            f"SELECT u.{_col(User, 'username')}, co.{_col(Company, 'customer_id')}"  # noqa: S608
            f" FROM {customer} cu"
            f" JOIN {user} u ON u.{_col(User, 'id')} = cu.{_col(CustomerUser, 'user')}"
            f" LEFT JOIN {company} co"
            f" ON co.{_col(Company, 'id')} = cu.{_col(CustomerUser, 'company')}"
            f" WHERE UPPER(cu.{_col(CustomerUser, 'email')}) = UPPER(%s)"
            f" AND cu.{_col(CustomerUser, 'is_valid')} = %s"
            f" ORDER BY cu.{_col(CustomerUser, 'id')} LIMIT 1"
        )
    if name == "customer_email_by_login":
        return (
            f"SELECT cu.{_col(CustomerUser, 'email')} FROM {customer} cu"  # noqa: S608
            f" JOIN {user} u ON u.{_col(User, 'id')} = cu.{_col(CustomerUser, 'user')}"
            f" WHERE UPPER(u.{_col(User, 'username')}) = UPPER(%s)"
            f" ORDER BY cu.{_col(CustomerUser, 'id')} LIMIT 1"
        )
    if name == "internal_recipients":
        return (
            f"SELECT {_col(Article, 'to_address')}, {_col(Article, 'cc_address')}"  # noqa: S608
            f" FROM {article} WHERE {_col(Article, 'ticket')} = %s"
            f" AND {_col(Article, 'channel')} = %s"
            f" AND {_col(Article, 'is_visible_for_customer')} = %s"
        )
    raise KeyError(name)


def _rows(name: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_sql(name, connection.vendor), params)
        return cursor.fetchall()


def articles_with_raw(message_id_md5: str) -> list[int]:
    """Ids of the articles with this Message-ID hash that keep their raw source, oldest
    first (almost always none: the probe before loading any article)."""
    return [row[0] for row in _rows("articles_with_raw", [message_id_md5])]


def customer_by_email(address: str) -> tuple[str, str | None] | None:
    """(login, the company's customer id or None) of the first valid customer user with
    this address (case-insensitive), else None."""
    found = _rows("customer_by_email", [address, True])
    return (found[0][0], found[0][1]) if found else None


def customer_email(login: str) -> str:
    """The address of the customer user ``login`` (as ``CustomerUser.objects.for_login``:
    stripped, ignoring case, the first by id), lower-cased; "" if unknown."""
    login = (login or "").strip()
    if not login:
        return ""
    found = _rows("customer_email_by_login", [login])
    return found[0][0].lower() if found else ""


def internal_recipients(ticket_id: int) -> list[tuple[str, str]]:
    """(to, cc) of the ticket's e-mail articles hidden from the customer."""
    found = _rows("internal_recipients", [ticket_id, str(Channel.EMAIL), False])
    return [(to, cc) for to, cc in found]

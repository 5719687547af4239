"""Inserting model rows with one hand-built statement, for the hot write paths.

``Model.save()`` and ``bulk_create()`` build their ``INSERT`` through Django's query
compiler every time; for the few small rows an inbound mail writes (history, events, the
article's raw source) that building cost more of the worker's CPU than the database spent on
the rows. :func:`insert` writes the same columns with the same conversions (each field's
``pre_save`` and ``get_db_prep_save``, so defaults, ``auto_now_add`` and JSON encoders apply
as with the ORM), as one multi-row ``INSERT … RETURNING`` where the database can return
the new ids of several rows (PostgreSQL, SQLite ≥ 3.35, MariaDB ≥ 10.5), else one row at a
time. Like ``bulk_create`` it sends no ``pre_save``/``post_save`` signals and skips a model's
own ``save()``: use it only for models that have neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import DatabaseError, connections, router
from django.db.models import Field, Model, signals
from django.db.transaction import TransactionManagementError


def insert(model: type[Model], objs: Sequence[Model], *, using: str | None = None) -> None:
    """Insert ``objs`` (new instances of ``model``, auto primary key) and set their ids."""
    if not objs:
        return
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    fields = _fields(model)
    rows: list[Any] = []
    for obj in objs:
        rows.append([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    pk = model._meta.pk
    assert pk is not None
    # Not on every backend's operations (PostgreSQL, SQLite and MySQL/MariaDB have it).
    returner = getattr(connection.ops, "return_insert_columns", None)
    if returner is not None and connection.features.can_return_columns_from_insert:
        returning, returning_params = returner([pk])
    else:
        returning, returning_params = "", ()
    head, one = _statement(model, connection.vendor, alias)
    with connection.cursor() as cursor:
        if returning and (len(rows) == 1 or connection.features.can_return_rows_from_bulk_insert):
            values = ", ".join([one] * len(rows))
            params = [value for row in rows for value in row]
            cursor.execute(f"{head} VALUES {values} {returning}", [*params, *returning_params])
            ids = [row[0] for row in cursor.fetchall()]
        else:
            ids = []
            for row in rows:
                cursor.execute(f"{head} VALUES {one}", row)
                ids.append(connection.ops.last_insert_id(cursor, model._meta.db_table, pk.attname))
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = alias


def insert_with_parent(
    parent: Model, children: Sequence[Model], link: str, *, using: str | None = None
) -> None:
    """Insert ``parent`` and ``children`` (new instances, auto primary keys), each child's
    foreign key ``link`` set to the parent; every id set. On PostgreSQL one statement
    (``WITH p AS (INSERT … RETURNING id) INSERT … VALUES (…, (SELECT id FROM p), …)``:
    the rows of an inbound mail come in such pairs, and each statement costs the worker
    more than the database spends on its row); elsewhere two (:func:`insert`)."""
    parent_model, child_model = type(parent), type(children[0]) if children else None
    alias = using or router.db_for_write(parent_model)
    connection = connections[alias]
    if child_model is None or connection.vendor != "postgresql":
        insert(parent_model, [parent], using=alias)
        for child in children:
            setattr(child, link, parent)
        if children:
            insert(type(children[0]), children, using=alias)
        return
    quote = connection.ops.quote_name
    parent_pk, child_pk = parent_model._meta.pk, child_model._meta.pk
    assert parent_pk is not None and child_pk is not None
    fields = _fields(parent_model)
    params = [f.get_db_prep_save(f.pre_save(parent, True), connection) for f in fields]
    head, one = _statement(parent_model, connection.vendor, alias)
    parent_id = quote(_column(parent_pk))
    sql = f"WITH p AS ({head} VALUES {one} RETURNING {parent_id}) "
    link_field = _field(child_model, link)
    child_fields = _fields(child_model)
    values = []
    for child in children:
        marks = []
        for f in child_fields:
            if f is link_field:
                marks.append(f"(SELECT {parent_id} FROM p)")  # noqa: S608
                continue
            marks.append("%s")
            params.append(f.get_db_prep_save(f.pre_save(child, True), connection))
        values.append("(" + ", ".join(marks) + ")")
    columns = ", ".join(quote(_column(f)) for f in child_fields)
    sql += (
        f"INSERT INTO {quote(child_model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
        f"{', '.join(values)} RETURNING {quote(_column(child_pk))}, {quote(_column(link_field))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    parent.pk = rows[0][1]
    parent._state.adding = False
    parent._state.db = alias
    for child, (new_id, _parent_id) in zip(children, rows, strict=True):
        setattr(child, link, parent)
        child.pk = new_id
        child._state.adding = False
        child._state.db = alias


def insert_unless_taken(obj: Model, column: str, *, using: str | None = None) -> bool | None:
    """Insert ``obj`` (a new instance, auto primary key) unless a row with the same value in
    the unique ``column`` is there: ``INSERT … ON CONFLICT (column) DO NOTHING RETURNING``,
    one statement and no savepoint. True when inserted (its id set), False when the value was
    taken (nothing written, the transaction still usable); None where the database cannot say
    so in one statement (MariaDB/MySQL: ``INSERT IGNORE`` would hide other errors too), and
    the caller takes its own way."""
    model = type(obj)
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor not in ("postgresql", "sqlite"):
        return None
    fields = _fields(model)
    row = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    pk = model._meta.pk
    assert pk is not None
    head, one = _statement(model, connection.vendor, alias)
    quote = connection.ops.quote_name
    returning = quote(pk.column or pk.attname)
    sql = f"{head} VALUES {one} ON CONFLICT ({quote(column)}) DO NOTHING RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, row)
        found = cursor.fetchone()
    if found is None:
        return False
    obj.pk = found[0]
    obj._state.adding = False
    obj._state.db = alias
    return True


def update(
    model: type[Model],
    pk: Any,
    values: dict[str, Any],
    *,
    where: dict[str, Any] | None = None,
    then: str = "",
    using: str | None = None,
) -> int:
    """``UPDATE`` the row ``pk`` of ``model``: ``values`` by field name (the fields'
    ``get_db_prep_save``, as the ORM converts them; a foreign key by its instance or its
    ``<name>_id``), only while each of ``where`` (field name: value, equality) holds.
    Returns the number of rows changed (0 or 1). No signals, as ``QuerySet.update``.
    ``then``: a statement without parameters sent after it in the same round trip (only
    where the driver sends several statements at once: PostgreSQL's client-side cursor)."""
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = model._meta
    sets, params = [], []
    for name, value in values.items():
        field = _field(model, name)
        if isinstance(value, Model):
            value = value.pk
        sets.append(f"{quote(_column(field))} = %s")
        params.append(field.get_db_prep_save(value, connection))
    pk_field = meta.pk
    assert pk_field is not None
    conditions = [f"{quote(_column(pk_field))} = %s"]
    params.append(pk_field.get_db_prep_value(pk, connection))
    for name, value in (where or {}).items():
        field = _field(model, name)
        if value is None:
            conditions.append(f"{quote(_column(field))} IS NULL")
            continue
        conditions.append(f"{quote(_column(field))} = %s")
        params.append(field.get_db_prep_value(value, connection, prepared=False))
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)}"  # noqa: S608
        f" WHERE {' AND '.join(conditions)}"
    )
    if then:
        if connection.vendor != "postgresql":
            raise ValueError("update(then=...) needs PostgreSQL's client-side cursor.")
        sql = f"{sql}; {then}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def save_fields(obj: Model, names: Sequence[str], *, using: str | None = None) -> None:
    """``obj.save(update_fields=names)`` as one hand-built ``UPDATE`` (each field's
    ``pre_save`` and ``get_db_prep_save``, as ``save()`` applies them), for a model with no
    ``save()`` of its own; where a ``pre_save``/``post_save`` receiver listens to the
    model, ``save()`` itself runs so they still see it. Raises, like ``save()``, when the
    row is gone."""
    model = type(obj)
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        obj.save(update_fields=names, using=using)
        return
    values = {}
    for name in names:
        field = _field(model, name)
        values[field.name] = field.pre_save(obj, False)
    alias = using or obj._state.db or router.db_for_write(model)
    if not update(model, obj.pk, values, using=alias):
        raise DatabaseError("Save with update_fields did not affect any rows.")


def _field(model: type[Model], name: str) -> Field:
    """The concrete field ``name`` of ``model`` (a relation's reverse side is refused)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise ValueError(f"{model.__name__}.{name} is not a column.")
    return field


def _column(field: Field | None) -> str:
    assert field is not None and field.column is not None
    return field.column


@cache
def _fields(model: type[Model]) -> list:
    return [f for f in model._meta.concrete_fields if f is not model._meta.pk]


@cache
def _statement(model: type[Model], vendor: str, alias: str) -> tuple[str, str]:
    quote = connections[alias].ops.quote_name
    fields = _fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns})"
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return head, one


def load(
    model: type[Model],
    where: str,
    params: Sequence[Any],
    *,
    related: str | None = None,
    for_update: bool = False,
    using: str | None = None,
) -> Model | None:
    """The first row of ``model`` matching ``where`` (SQL over the table's columns, aliased
    ``t``; ``%s`` for ``params``), as a model instance built the way the ORM builds it (the
    database's and the fields' converters applied). ``related``: a foreign key to load
    with it in the same statement (aliased ``r``, an inner join: a non-null key), cached on
    the instance as ``select_related`` would. ``for_update``: the row locked (where the
    database locks rows), inside a transaction."""
    alias = using or (router.db_for_write(model) if for_update else router.db_for_read(model))
    connection = connections[alias]
    if for_update and connection.get_autocommit():
        raise TransactionManagementError("load(for_update=True) needs a transaction.")
    sql, parts = _select(model, related, alias)
    if for_update and connection.features.has_select_for_update:
        sql = f"{sql} WHERE {where} LIMIT 1 FOR UPDATE"
    else:
        sql = f"{sql} WHERE {where} LIMIT 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        row = cursor.fetchone()
    if row is None:
        return None
    instances = []
    start = 0
    for part_model, names, converters in parts:
        values = list(row[start : start + len(names)])
        start += len(names)
        for i, (col, convert) in converters:
            values[i] = _convert(values[i], col, convert, connection)
        instances.append(part_model.from_db(alias, names, values))
    obj = instances[0]
    if related is not None:
        setattr(obj, related, instances[1])
    return obj


def _convert(value: Any, col: Any, converters: list, connection: Any) -> Any:
    for converter in converters:
        value = converter(value, col, connection)
    return value


@cache
def _select(model: type[Model], related: str | None, alias: str) -> tuple[str, list]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    parts = []
    columns = []
    sources: list[tuple[type[Model], str, str]] = [(model, "t", "")]
    join = ""
    if related is not None:
        fk = model._meta.get_field(related)
        target = fk.related_model
        assert isinstance(target, type) and issubclass(target, Model)
        target_pk = target._meta.pk
        fk_column = getattr(fk, "column", None)
        assert target_pk is not None and target_pk.column and fk_column
        sources.append((target, "r", ""))
        join = (
            f" JOIN {quote(target._meta.db_table)} r"
            f" ON r.{quote(target_pk.column)} = t.{quote(fk_column)}"
        )
    for source, table_alias, _unused in sources:
        fields = list(source._meta.concrete_fields)
        names = [f.attname for f in fields]
        converters = []
        for i, f in enumerate(fields):
            col = f.get_col(table_alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((i, (col, found)))
        columns += [f"{table_alias}.{quote(f.column or f.attname)}" for f in fields]
        parts.append((source, names, converters))
    sql = f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} t{join}"  # noqa: S608
    return sql, parts

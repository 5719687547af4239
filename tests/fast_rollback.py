"""A faster reload for ``serialized_rollback`` tests.

A ``transaction=True, serialized_rollback=True`` test starts by reloading every row the
migrations wrote (content types, permissions, states, notifications, schedules...), which the
flush after the previous such test removed. Django reloads them one ``save()`` each: some
thousands of INSERTs, 2 s a test on SQLite and 6-10 s on MariaDB on a busy 2-core machine,
for about 250 tests. The same rows go in here with one ``bulk_create`` per model and one per
many-to-many table, in the order Django serialised them, inside the same transaction with the
same constraint checks off and the same check at the end; a model ``bulk_create`` refuses
(multi-table inheritance) is saved row by row as Django does. The ``post_save`` signal goes
out for each row as ``save()`` sends it (``raw=True``): the caches that listen to it (master
data, field definitions, ACL rules) must forget what the flush removed.
"""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

from django.core import serializers
from django.db import transaction
from django.db.backends.base.creation import BaseDatabaseCreation
from django.db.models import signals

_BATCH = 500


def _bulk_loadable(model) -> bool:
    meta = model._meta
    return not meta.parents and not meta.proxy


def deserialize_db_from_string(self, data: str) -> None:
    alias = self.connection.alias
    items: dict[type, list] = {}
    table_names = set()
    with transaction.atomic(using=alias):
        with self.connection.constraint_checks_disabled():
            for item in serializers.deserialize("json", StringIO(data), using=alias):
                model = type(item.object)
                table_names.add(model._meta.db_table)
                if _bulk_loadable(model):
                    items.setdefault(model, []).append(item)
                else:
                    item.save()
            links: dict[type, list] = defaultdict(list)
            for model, loaded in items.items():
                manager = model._base_manager.using(alias)
                # The first such test of a run finds the rows still there (the tests before
                # it rolled back): Django's save() updates those, so they are saved as it does.
                present = set(manager.values_list("pk", flat=True))
                fresh = []
                for item in loaded:
                    if item.object.pk in present:
                        item.save()
                        continue
                    fresh.append(item.object)
                    for name, targets in (item.m2m_data or {}).items():
                        field = model._meta.get_field(name)
                        through = field.remote_field.through
                        source = field.m2m_field_name() + "_id"
                        target = field.m2m_reverse_field_name() + "_id"
                        links[through].extend(
                            through(**{source: item.object.pk, target: pk}) for pk in targets
                        )
                        table_names.add(through._meta.db_table)
                manager.bulk_create(fresh, batch_size=_BATCH)
                # save() would have told the receivers (the caches of master data, field
                # definitions, ACL rules drop what they hold): tell them the same.
                if signals.post_save.has_listeners(model):
                    for obj in fresh:
                        signals.post_save.send(
                            sender=model, instance=obj, created=True, update_fields=None,
                            raw=True, using=alias,
                        )  # fmt: skip
            for through, objects in links.items():
                through._base_manager.using(alias).bulk_create(objects, batch_size=_BATCH)
        self.connection.check_constraints(table_names=table_names)


def install() -> None:
    """Use the bulk reload for every database backend (they inherit it from the base)."""
    BaseDatabaseCreation.deserialize_db_from_string = deserialize_db_from_string  # type: ignore[method-assign]

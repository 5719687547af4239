"""The definitions cache never serves one database's fields to another (issue 11)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from otrs.fields.selectors import cache_key, database_tag, definitions

from .helpers import define

pytestmark = pytest.mark.django_db


def test_it_names_the_database_in_the_key():
    here = dict(connection.settings_dict)
    other = {**here, "NAME": f"{here['NAME']}_other"}
    assert database_tag(connection.vendor, here) != database_tag(connection.vendor, other)
    assert database_tag("postgresql", here) != database_tag("mysql", here)
    assert cache_key("ticket") == cache_key("ticket", connection.vendor, here)
    assert cache_key("ticket") != cache_key("ticket", connection.vendor, other)
    # No connection setting reaches the cache backend as text.
    assert str(here["NAME"]) not in cache_key("ticket")


def test_it_ignores_what_another_database_cached():
    define("Product", "dropdown", options=["alpha"])
    other = {**connection.settings_dict, "NAME": f"{connection.settings_dict['NAME']}_other"}
    # Another checkout, on another database, cached its (empty) list of ticket fields.
    cache.set(cache_key("ticket", connection.vendor, other), [], 300)
    try:
        assert [d.name for d in definitions("ticket")] == ["Product"]
        # ... and its own entry is its own.
        assert cache.get(cache_key("ticket", connection.vendor, other)) == []
    finally:
        cache.delete(cache_key("ticket", connection.vendor, other))


def test_a_saved_or_deleted_definition_is_seen_at_once_not_after_the_cache_expires():
    define("Product", "dropdown", options=["alpha"])
    assert [d.name for d in definitions("ticket")] == ["Product"]  # now cached
    contract = define("Contract", "text", order=2)
    assert [d.name for d in definitions("ticket")] == ["Product", "Contract"]
    product = next(d for d in definitions("ticket") if d.name == "Product")
    assert [v.key for v in product.possible_values.all()] == ["alpha"]
    contract.delete()
    assert [d.name for d in definitions("ticket")] == ["Product"]

"""The check of a ``next`` a form hands back (bulk, drafts, in-app notifications)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from otrs.web.links import local_path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/agent/queues/?page=2", "/agent/queues/?page=2"),
        ("", "/fallback/"),
        # redirect() would take these for view names and fail with a 500
        ("a b", "/fallback/"),
        ("999999999999999999999999999999", "/fallback/"),
        # another site
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/", "/fallback/"),
        ("/\\evil.example/", "/fallback/"),
    ],
)
def test_only_a_path_on_this_site_is_kept(value, expected):
    request = RequestFactory().post("/agent/bulk/")
    assert local_path(request, value, "/fallback/") == expected

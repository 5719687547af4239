"""Odd input never makes a server error: every page the URL walk reaches (tests/url_walk.py)
as the agent with grants and as the customer is read for its forms and for the query
parameters of its links; then each field and parameter gets, one at a time, a NUL
character, a number past any integer column, invalid UTF-8 and an overlong string (the
other fields keep what the page filled in; a form's fields all at once, see
:func:`_fuzz_post`). Posts go through the real middleware and
views, inside a savepoint per test, so whatever a post changes is undone."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.urls import Resolver404, resolve

from tests.url_walk import (
    PREFIXES,
    Route,
    dataset,  # noqa: F401 - a fixture
    route_id,
    walked_routes,
)

# Percent-encoded, as they travel in a query string or a form post.
BAD_VALUES = {
    "nul": quote("a\x00b"),
    "huge": "9" * 30,
    "invalid utf-8": "%FF%FE%C3%28",
    "overlong": "x" * 20_000,
}
PERSONAS = ("granted", "customer")
ROUTES = [r for r in walked_routes() if not r.is_admin and r.name]


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: str = "") -> None:
        self.fields.setdefault(name, []).append(value)


class _PageReader(HTMLParser):
    """The forms of a page (with the values it filled in) and every address in an
    attribute that carries a query string (links, and data-autocomplete="/url/?q=")."""

    def __init__(self, path: str):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.forms: list[Form] = []
        self.queries: dict[str, set[str]] = {}
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._first_option: str | None = None
        self._selected = False

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        for value in attrs.values():
            if value.startswith("/") and "?" in value:
                parts = urlsplit(value)
                names = {p.split("=", 1)[0] for p in parts.query.split("&") if p}
                self.queries.setdefault(parts.path, set()).update(n for n in names if n)
        if tag == "form":
            action = attrs.get("action") or self.path
            self._form = Form(attrs.get("method", "get").lower(), urlsplit(action).path)
            self.forms.append(self._form)
            return
        form, name = self._form, attrs.get("name")
        if form is None or not name:
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                form.fields.setdefault(name, [])
            elif kind not in ("submit", "button", "image", "reset", "file"):
                form.add(name, attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "textarea":
            self._textarea = name
            form.add(name, "")
        elif tag == "select":
            self._select, self._first_option, self._selected = name, None, False
            form.fields.setdefault(name, [])
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                form.add(self._select, value)
                self._selected = True
        elif tag == "button":
            form.fields.setdefault(name, [attrs.get("value", "")])

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._form is not None and self._select:
            if not self._selected and self._first_option is not None:
                self._form.add(self._select, self._first_option)
            self._select = None


def _encoded(fields: dict[str, list[str]], name: str, bad: str) -> str:
    """The fields as a query string, with ``name`` set to ``bad`` (already encoded)."""
    pairs = [(k, v) for k, values in fields.items() if k != name for v in values]
    return "&".join(filter(None, [urlencode(pairs), f"{quote(name)}={bad}"]))


# What this process has fuzzed already, as (persona, method, path, field): the header's
# search form and the navigation are on every page, and are fuzzed once.
_DONE: set[tuple[str, str, str, str]] = set()


def _first_time(client, method: str, path: str, name: str) -> bool:
    key = (client.persona, method, path, name)
    if key in _DONE:
        return False
    _DONE.add(key)
    return True


def _fuzz_get(client, path: str, fields: dict[str, list[str]], failed: list[str]) -> None:
    for name in fields:
        if not _first_time(client, "get", path, name):
            continue
        for label, bad in BAD_VALUES.items():
            response = client.get(f"{path}?{_encoded(fields, name, bad)}")
            if response.status_code >= 500:
                failed.append(f"GET {path} with {name}={label}")


def _fuzz_post(client, path: str, fields: dict[str, list[str]], failed: list[str]) -> None:
    """Every field of the form odd at once, once per kind of odd value: a form cleans each
    field on its own, so one request per value reaches every field's parsing (and every
    raw read of the view) at the price of one page render."""
    if not fields or not _first_time(client, "post", path, " ".join(sorted(fields))):
        return
    for label, bad in BAD_VALUES.items():
        body = "&".join(f"{quote(name)}={bad}" for name in fields).encode()
        response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        if response.status_code >= 500:
            failed.append(f"POST {path} with every field {label}: {', '.join(fields)}")


def _walked(path: str) -> bool:
    """An address of the portals (the admin is not the personas'), and not signing out
    (which would end the rest of the test's session)."""
    if not path.lstrip("/").startswith(PREFIXES) or path.startswith("/admin/"):
        return False
    try:
        return not resolve(path).url_name.endswith("logout")
    except Resolver404:
        return False


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_odd_input_never_fails(route: Route, dataset, db):  # noqa: F811 - the fixture
    failed: list[str] = []
    for persona in PERSONAS:
        client = dataset.client(persona)
        client.persona = persona
        values = dataset.values(route, "own") if route.args else {}
        if values is None:
            continue
        path = route.url(values)
        response = client.get(path)
        assert response.status_code < 500, f"GET {path} as {persona}"
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _PageReader(path)
        page.feed(response.content.decode())
        # The page's own address with every parameter its links and forms name.
        own = set(page.queries.get(path, ()))
        for form in page.forms:
            if form.method == "get" and form.action == path:
                own.update(form.fields)
        _fuzz_get(client, path, {name: [] for name in sorted(own)}, failed)
        for target, names in page.queries.items():
            if target != path and _walked(target):
                _fuzz_get(client, target, {name: [] for name in sorted(names)}, failed)
        for form in page.forms:
            if not _walked(form.action):
                continue
            if form.method == "get":
                _fuzz_get(client, form.action, form.fields, failed)
            else:
                _fuzz_post(client, form.action, form.fields, failed)
    assert not failed, "server errors:\n" + "\n".join(failed)

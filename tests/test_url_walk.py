"""Every URL pattern under /agent/, /customer/ and /admin/ (and /api/ once it exists), found
in the URL resolver, requested by every persona with existing and missing object ids.

* No response is a server error (also for a superuser in the Django admin).
* Only the public pages (sign-in, password reset, registration) answer 200 to someone who
  may not use the portal they belong to; a missing object never answers 200.
* An object a persona may not see and an object that does not exist answer the same: the
  same status, the same redirect and the same page once the id in the path is replaced.

A new URL is walked without editing this file; a pattern whose arguments the walk cannot
fill must be listed in :data:`UNFILLABLE` with the reason, and is refused once it is gone.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.url_walk import (
    PERSONAS,
    Route,
    dataset,  # noqa: F401 - a fixture
    route_id,
    walked_routes,
)

ROUTES = walked_routes()

# Patterns the walk cannot fill, by route, with why. Each must still exist.
UNFILLABLE = {
    # The admin's catch-all (unnamed; any path below /admin/ that nothing else matches): it
    # redirects to the admin's sign-in or answers 404, and every missing id of the admin's
    # own URLs below already reaches it.
    "admin/(?P<url>.*)$": "catch-all",
}

# Pages anyone may open (200 for every persona, with any argument).
PUBLIC = {
    "agent:login",
    "customer:login",
    "customer:password_reset",
    "customer:password_reset_done",
    "customer:password_reset_complete",
    "customer:password_reset_confirm",  # an invalid link is a page that says so
    "customer:register_sent",
    "admin:login",
}

# Kinds of object a persona may see although it belongs to somebody else: every agent may
# look up customer users and companies (as OTRS's "users" group).
SEES_FOREIGN = {
    "anonymous": set(),
    "customer": set(),
    # ... and the API's master data (states, priorities, types, services, SLAs).
    "plain": {
        "users",
        "customer-users",
        "companies",
        "states",
        "priorities",
        "ticket-types",
        "services",
        "slas",
    },
}

# Which argument values each persona is walked with.
FILLS = {
    "anonymous": ("foreign", "missing"),
    "customer": ("own", "foreign", "missing"),
    "plain": ("foreign", "missing"),
    "granted": ("own", "missing"),
    "staff": ("own", "missing"),
}

# What the Content-Security-Policy would refuse: a script without src, a style element or
# attribute, an event handler attribute. JSON data blocks (json_script) are data, not code;
# the mail frames' srcdoc holds escaped markup only.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|<style\b|\sstyle=\"|\son[a-z]+=\"",
    re.I,
)
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|content=)"[^"]*"')


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def normalised(response, path: str) -> tuple[int, str, str]:
    """Status, redirect and page with the requested path (and CSRF tokens) taken out."""

    def scrub(text: str) -> str:
        for form in (path, quote(path, safe=""), quote(path)):
            text = text.replace(form, "<path>")
        return _CSRF.sub(r"\1<token>", text)

    return response.status_code, scrub(response.get("Location", "")), scrub(body_of(response))


def may_answer_200(route: Route, persona: str) -> bool:
    if route.name in PUBLIC or persona == "staff":
        return True
    if persona == "anonymous":
        return False
    if persona == "customer":
        return route.prefix == "customer/"
    return route.prefix in ("agent/", "api/")


def _walk(route: Route, data, method: str) -> dict:
    seen = {}
    for persona in PERSONAS:
        if persona == "staff" and not route.is_admin:
            continue
        for which in FILLS[persona] if route.args else ("none",):
            values = data.values(route, which) if route.args else {}
            if values is None:
                continue
            path = route.url(values)
            response = getattr(data.client(persona), method)(path)
            where = f"{method.upper()} {path} as {persona} ({which})"
            assert response.status_code < 500, where
            assert "Content-Security-Policy" in response, f"{where}: no Content-Security-Policy"
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                assert not INLINE_CODE.search(body_of(response)), f"{where}: inline code"
            if response.status_code == 200:
                assert may_answer_200(route, persona), f"{where} answered 200"
                assert which != "missing" or route.name in PUBLIC, f"{where} answered 200"
            seen[persona, which] = normalised(response, path)
    return seen


def test_it_knows_every_unfillable_and_public_pattern():
    routes = {route.route for route in ROUTES}
    names = {route.name for route in ROUTES}
    assert set(UNFILLABLE) <= routes, set(UNFILLABLE) - routes
    assert names >= PUBLIC, PUBLIC - names


@pytest.mark.parametrize("route", [r for r in ROUTES if r.route not in UNFILLABLE], ids=route_id)
def test_it_walks(route, dataset, db):  # noqa: F811 - the fixture
    assert route.name or "(?P" not in route.route, f"{route.route}: list it in UNFILLABLE"
    walks = [("get", _walk(route, dataset, "get"))]
    if any(status == 405 for status, _location, _body in walks[0][1].values()):
        # A view for posts only: the access checks are the post's. (Views that show a form
        # check access the same way for both methods; the fuzzing test posts to them.)
        walks.append(("post", _walk(route, dataset, "post")))
    for method, seen in walks if route.args else ():
        for persona, sees in SEES_FOREIGN.items():
            if any(route.kind_of(arg) in sees for arg in route.args):
                continue
            if (persona, "foreign") in seen and (persona, "missing") in seen:
                assert seen[persona, "foreign"] == seen[persona, "missing"], (
                    f"{method.upper()} {route.route} as {persona}: a forbidden object "
                    "answers differently from a missing one"
                )

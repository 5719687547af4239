"""No admin form answers 500, generated from the admin site's registry (issue 17, part 6).

For every registered model, as a superuser: the add form posted with an existing object's
values (every unique value a duplicate), the change form of one object posted with another's
values (a rename onto an existing name), both forms posted with odd values in every field a
person types into (nonsense in a list, negative and huge numbers, an overlong text, an unknown
language and time zone), and the deletion of an object that may be in use. Each answer is a
page (a form with its messages, a refusal, a redirect), never a server error.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from tests import factories
from tests.url_walk import dataset  # noqa: F401 - a fixture
from tickets.models import SLA, Service

# Each value goes into every field a person types into or chooses from, in one post.
ODD_VALUES = {
    "nonsense": "xx-nonsense",
    "negative": "-1",
    "huge": "9" * 30,
    "overlong": "x" * 5000,
    "empty": "",
}
# Formset bookkeeping and hidden ids are the page's, not the person's: they stay as filled in.
KEPT_SUFFIXES = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


class _FormReader(HTMLParser):
    """The admin form's fields (``<form id="..._form">``) with the values the page filled
    in, and which of them a person edits (not hidden)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, list[str]] = {}
        self.editable: set[str] = set()
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form" and attrs.get("id", "").endswith("_form"):
            self._inside = True
            return
        name = attrs.get("name")
        if not self._inside or not name:
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind != "hidden":
                self.editable.add(name)
            if kind in ("checkbox", "radio"):
                self.fields.setdefault(name, [])
                if "checked" in attrs:
                    self.fields[name].append(attrs.get("value", "on"))
            else:
                self.fields.setdefault(name, []).append(attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self.editable.add(name)
            self.fields.setdefault(name, []).append("")
        elif tag == "select":
            self._select = name
            self.editable.add(name)
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select].append(attrs.get("value", ""))

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _form(client, url: str) -> _FormReader | None:
    response = client.get(url)
    assert response.status_code < 500, f"GET {url}"
    if response.status_code != 200:
        return None
    reader = _FormReader()
    reader.feed(response.content.decode())
    return reader if reader.fields else None


def _odd(form: _FormReader, value: str) -> dict[str, list[str]]:
    return {
        name: [value]
        if name in form.editable and not name.endswith(KEPT_SUFFIXES) and "__prefix__" not in name
        else values
        for name, values in form.fields.items()
    }


def _post(client, url: str, data: dict[str, list[str]], what: str, failed: list[str]) -> None:
    body = {name: values for name, values in data.items() if "__prefix__" not in name}
    try:
        response = client.post(url, {**body, "_save": "Save"})
    except Exception as error:  # the test client re-raises what the view raised
        failed.append(f"POST {url} ({what}): {type(error).__name__}: {str(error)[:200]}")
        return
    if response.status_code >= 500:
        failed.append(f"POST {url} ({what}): {response.status_code}")


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


@pytest.fixture
def admin_client(client, dataset):  # noqa: F811 - the fixture
    client.force_login(dataset.users["staff"])
    # Two of the kinds the walk's data has only one of (or none): a rename onto the other's
    # name needs two.
    for name in ("Walk service A", "Walk service B"):
        Service.objects.create(name=name)
    for name in ("Walk SLA A", "Walk SLA B"):
        SLA.objects.create(name=name)
    factories.role("Walk role A")
    factories.role("Walk role B")
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_no_admin_form_answers_500(admin_client, model):
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    objects = list(model._default_manager.order_by("pk")[:2])
    failed: list[str] = []
    add_url = _url(f"{info}_add")
    add_form = _form(admin_client, add_url) if add_url else None
    change_urls = [_url(f"{info}_change", obj.pk) for obj in objects]
    forms = [_form(admin_client, url) for url in change_urls if url]
    if add_form is not None:
        for label, value in ODD_VALUES.items():
            _post(admin_client, add_url, _odd(add_form, value), f"add, {label}", failed)
        if forms and forms[0] is not None:
            _post(admin_client, add_url, forms[0].fields, "add a duplicate", failed)
    if forms and forms[0] is not None:
        first_url = change_urls[0]
        for label, value in ODD_VALUES.items():
            _post(admin_client, first_url, _odd(forms[0], value), f"change, {label}", failed)
        if len(forms) == 2 and forms[1] is not None:
            # The second object's values on the first: its unique names become duplicates.
            data = {k: v for k, v in forms[1].fields.items() if k in forms[0].fields}
            _post(admin_client, first_url, {**forms[0].fields, **data}, "rename", failed)
    if objects:
        delete_url = _url(f"{info}_delete", objects[0].pk)
        if delete_url and admin_client.get(delete_url).status_code == 200:
            _post(admin_client, delete_url, {"post": ["yes"]}, "delete", failed)
    assert not failed, "server errors:\n" + "\n".join(failed)

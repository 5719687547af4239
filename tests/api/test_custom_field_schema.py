"""Custom fields in the API schema per object type: each field with its own JSON type and
enum, as the definitions are when the schema is asked for; answers match it."""

from __future__ import annotations

import jsonschema
import pytest

from tests import factories
from tests.fields.helpers import define, every_type

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db


def resolved(schema: dict, components: dict) -> dict:
    """A property's schema with references (the enum components drf-spectacular makes)
    followed, merged into one dict."""
    if "$ref" in schema:
        return resolved(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    merged = {k: v for k, v in schema.items() if k not in ("allOf", "oneOf", "items")}
    for part in schema.get("allOf", []) + schema.get("oneOf", []):
        merged.update(resolved(part, components))
    if "items" in schema:
        merged["items"] = resolved(schema["items"], components)
    return merged


def test_the_schema_types_each_custom_field_and_answers_match(support):
    every_type()
    define("ApiFaqArea", "dropdown", object_type="faq_item", options=["hw", "sw"])
    api = ApiClient(token_for(support.rw))
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    ticket = {
        name: resolved(prop, components)
        for name, prop in components["TicketCustomFields"]["properties"].items()
    }
    assert ticket["Product"]["type"] == "string"
    assert ticket["Product"]["enum"] == ["alpha", "beta", "gamma"]
    assert ticket["Sites"]["items"]["enum"] == ["berlin", "paris", "rome"]
    assert ticket["Seats"]["type"] == "integer" and ticket["Amount"]["type"] == "number"
    assert ticket["Urgent"]["type"] == "boolean"
    assert ticket["DueDate"]["format"] == "date" and ticket["Visit"]["format"] == "date-time"
    assert ticket["Related"]["type"] == "integer"
    faq = components["FaqItemCustomFields"]["properties"]
    assert resolved(faq["ApiFaqArea"], components)["enum"] == ["hw", "sw"]
    assert components["CustomerUserCustomFields"]["properties"] == {}
    # The ticket answer's custom fields match the schema's object.
    created = factories.ticket(support.queue)
    values = {
        "Product": "beta",
        "Sites": ["paris"],
        "Seats": 3,
        "Amount": "12.50",
        "Urgent": True,
        "DueDate": "2026-12-24",
        "Visit": "2026-12-24T10:00:00Z",
    }
    changed = api.patch(f"/api/v1/tickets/{created.pk}/", {"custom_fields": values})
    assert changed.status_code == 200, changed.content
    got = api.get(f"/api/v1/tickets/{created.pk}/").json()["custom_fields"]
    assert got["Product"] == "beta" and got["Sites"] == ["paris"] and got["Seats"] == 3
    jsonschema.validate(
        got, {**components["TicketCustomFields"], "components": {"schemas": components}}
    )
    wrong = api.patch(f"/api/v1/tickets/{created.pk}/", {"custom_fields": {"Product": "zeta"}})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "custom_fields.Product"
    # A new field is in the next schema, without a restart.
    define("ApiLateField", "integer")
    later = api.get("/api/v1/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert later["TicketCustomFields"]["properties"]["ApiLateField"]["type"] == "integer"

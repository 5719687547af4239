"""Typed values in the OpenAPI schema: every field type of the engine's registry describes its
values, CI attribute rows say their value's JSON type by their ``type``, the answers match
those schemas (and a wrong value would not), and the whole schema passes the OpenAPI 3.0
meta-schema check."""

from __future__ import annotations

import jsonschema
import pytest
from drf_spectacular.validation import validate_schema

from cmdb import attributes as attrs
from otrs.fields.types import FIELD_TYPES
from tests import factories
from tests.cmdb import cmdb_group, make_ci
from tests.customers import company, customer_user
from tests.fields.helpers import define

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db


def schema_of(user) -> dict:
    answer = ApiClient(token_for(user)).get("/api/v1/schema/", {"format": "json"})
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_every_registered_field_type_describes_its_values():
    types = {key: t.json_schema() for key, t in FIELD_TYPES.items()}
    assert types["integer"]["type"] == "integer" and types["decimal"]["type"] == "number"
    assert types["checkbox"] == {"type": "boolean"}
    assert types["multiselect"]["type"] == "array"
    assert types["datetime"]["format"] == "date-time"
    # With a definition, its own limits and possible values.
    seats = define("ApiTvSeats", "integer", settings={"min": 1, "max": 9})
    assert seats.type.json_schema(seats) == {"type": "integer", "minimum": 1, "maximum": 9}
    tiers = define("ApiTvTiers", "multiselect", options=["gold", "tin"])
    assert tiers.type.json_schema(tiers)["items"]["enum"] == ["gold", "tin"]
    # Every CMDB attribute type has a value schema; references name their target.
    schemas = attrs.value_schemas()
    assert set(schemas) == {key for key, _label in attrs.type_choices()}
    assert schemas["catalog"] == {"type": "string"}
    assert schemas["company"]["type"] == "integer"
    assert "customer_company" in schemas["company"]["description"]
    assert schemas["attachment"]["type"] == "integer"


def test_ci_attribute_values_are_typed_by_their_attribute_type():
    agent = factories.agent("api-tv-ci")
    factories.grant(agent, cmdb_group(), factories.RO)
    acme = company("APITV-ACME", "Api Tv Acme")
    owner = customer_user("api-tv-owner")
    item = make_ci(
        "api-tv-pc",
        values={
            "Vendor": "Acme",
            "CustomerID": acme.pk,
            "Owner": owner.pk,
            "WarrantyExpirationDate": "2027-01-31",
        },
    )
    schema = schema_of(agent)
    rows_schema = schema["components"]["schemas"]["ConfigItem"]["properties"]["attributes"]
    variants = rows_schema["items"]["oneOf"]
    by_type = {
        key: v["properties"]["value"] for v in variants for key in v["properties"]["type"]["enum"]
    }
    assert set(by_type) == {key for key, _label in attrs.type_choices()}
    assert by_type["text"]["type"] == "string" and by_type["company"]["type"] == "integer"
    rows = ApiClient(token_for(agent)).get(f"/api/v1/config-items/{item.pk}/").json()["attributes"]
    types = {row["key"]: row["type"] for row in rows}
    assert types["CustomerID"] == "company" and types["Type"] == "catalog"
    assert types["WarrantyExpirationDate"] == "date"
    jsonschema.validate(rows, rows_schema)
    # The schema tells types apart: a company given as text would not match it.
    wrong = [{**r, "value": "APITV-ACME"} if r["key"] == "CustomerID" else r for r in rows]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, rows_schema)
    # A change's values: any attribute type's value, or null.
    change = schema["components"]["schemas"]["PatchedConfigItemUpdateRequest"]
    values = change["properties"]["attributes"]["additionalProperties"]
    assert values["nullable"] is True
    assert {"type": "boolean"} in values["anyOf"]


def test_the_whole_schema_passes_the_openapi_meta_schema_check():
    define("ApiTvProduct", "dropdown", options=["a", "b"])
    define("ApiTvCount", "integer", object_type="customer_user", settings={"min": 0})
    schema = schema_of(factories.agent("api-tv-schema"))
    validate_schema(schema)  # raises on any violation of the OpenAPI 3.0 meta-schema
    # The check is real: a schema with a broken part fails it.
    broken = {**schema, "paths": {"/x/": {"get": {"responses": "nothing"}}}}
    with pytest.raises(jsonschema.ValidationError):
        validate_schema(broken)

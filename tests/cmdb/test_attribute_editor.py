"""The definition page's attribute forms: add, edit (rename keeps values, a retype that
loses values asks first) and move one attribute; each save is a definition version."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cmdb import attributes as attrs
from cmdb.models import Attribute, Definition
from tests import factories
from tests.cmdb import ci_class, make_ci, personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    rw, ro, outsider = personas()
    server = make_ci("attreditor-server", values={"Vendor": "Attreditor vendor"})
    return type("World", (), {"rw": rw, "ro": ro, "outsider": outsider, "server": server})


def _attribute(key: str) -> Attribute:
    return Attribute.objects.get(ci_class=ci_class(), key=key, removed=False)


def _versions() -> int:
    return Definition.objects.filter(ci_class=ci_class()).count()


def _form(**overrides):
    values = {
        "key": "Warranty",
        "name": "Warranty until",
        "field_type": "date",
        "count_min": 0,
        "count_max": 1,
        "count_default": 1,
    }
    values.update(overrides)
    return values


def test_it_adds_an_attribute_at_the_top_level_and_inside_another(client, world):
    client.force_login(world.rw)
    before = _versions()
    url = reverse("agent:cmdb_attribute_add", args=[ci_class().pk])

    assert client.post(url, _form()).status_code == 302
    nic = _attribute("NIC")
    response = client.post(
        url, _form(key="Mac", name="MAC address", field_type="text", parent=nic.pk)
    )

    assert response.status_code == 302
    assert _versions() == before + 2
    tree = attrs.Definition.of(ci_class())
    assert tree.top[-1].key == "Warranty"
    assert tree.children[nic.pk][-1].key == "Mac"
    page = client.get(reverse("agent:cmdb_definition", args=[ci_class().pk])).content.decode()
    assert "Warranty until" in page and "MAC address" in page


def test_a_rename_keeps_the_values_and_a_lossy_retype_asks_first(client, world):
    client.force_login(world.rw)
    vendor = _attribute("Vendor")
    url = reverse("agent:cmdb_attribute", args=[ci_class().pk, vendor.pk])
    initial = client.get(url).context["form"].initial
    assert initial["key"] == "Vendor"

    renamed = _form(key="Manufacturer", name="Manufacturer", field_type="text")
    assert client.post(url, renamed).status_code == 302
    page = client.get(reverse("agent:cmdb_ci", args=[world.server.pk])).content.decode()
    assert "Manufacturer" in page and "Attreditor vendor" in page

    before = _versions()
    retyped = _form(key="Manufacturer", name="Manufacturer", field_type="integer")
    refused = client.post(url, retyped)
    assert refused.status_code == 400
    assert "Confirm the migration" in refused.content.decode()
    assert _versions() == before and _attribute("Manufacturer").field_type == "text"

    assert client.post(url, {**retyped, "confirm": "on"}).status_code == 302
    assert _attribute("Manufacturer").field_type == "integer"


def test_it_moves_an_attribute_and_a_move_past_the_end_changes_nothing(client, world):
    client.force_login(world.rw)
    top = attrs.Definition.of(ci_class()).top
    first, second = top[0], top[1]
    move = reverse("agent:cmdb_attribute_move", args=[ci_class().pk, first.pk])

    assert client.post(move, {"direction": "down"}).status_code == 302
    assert [a.pk for a in attrs.Definition.of(ci_class()).top[:2]] == [second.pk, first.pk]

    before = _versions()
    top_one = reverse("agent:cmdb_attribute_move", args=[ci_class().pk, second.pk])
    client.post(top_one, {"direction": "up"})
    client.post(top_one, {"direction": "sideways"})
    assert _versions() == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"key": "9 bad"}, "is not valid"),
        ({"field_type": "catalog"}, "Choose the catalogue list"),
        ({"count_min": 3, "count_max": 1}, "At least cannot be more than at most"),
        ({"count_max": 2, "count_default": 3}, "Shown cannot be more than at most"),
        ({"field_type": "dropdown", "options": ""}, "needs at least one possible value"),
        (
            {"field_type": "dropdown", "options": "a = A\nb\n a = again"},
            "Line 3: the key a is already on line 1",
        ),
        ({"field_type": "dropdown", "options": "= label only"}, "Line 1 has no key"),
        ({"field_type": "dropdown", "options": "k" * 101}, "longer than 100 characters"),
        ({"field_type": "text", "regex": "([A-Z"}, "The regular expression is invalid"),
        (
            {"field_type": "text", "regex": "^[A-Z]+$", "text_default": "lower"},
            "The value has the wrong format",
        ),
        ({"field_type": "integer", "number_min": "1.5"}, "A whole number"),
        ({"field_type": "integer", "number_min": "5", "number_max": "2"}, "larger than the"),
        ({"field_type": "decimal", "places": "7"}, "less than or equal to 6"),
        ({"field_type": "date", "years_past": "-1"}, "greater than or equal to 0"),
        ({"field_type": "nonsense"}, "Select a valid choice"),
        ({"key": "Vendor"}, "used twice"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(client, world, overrides, message):
    client.force_login(world.rw)
    before = _versions()

    response = client.post(
        reverse("agent:cmdb_attribute_add", args=[ci_class().pk]), _form(**overrides)
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert _versions() == before


def test_readers_and_outsiders_cannot_reach_the_editor(client, world):
    vendor = _attribute("Vendor")
    urls = [
        ("get", reverse("agent:cmdb_attribute_add", args=[ci_class().pk])),
        ("get", reverse("agent:cmdb_attribute", args=[ci_class().pk, vendor.pk])),
        ("post", reverse("agent:cmdb_attribute_move", args=[ci_class().pk, vendor.pk])),
        ("get", reverse("agent:cmdb_attribute", args=[ci_class().pk, 10**9])),
    ]
    for user in (world.ro, world.outsider):
        client.force_login(user)
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 404, (user, url)
    client.force_login(factories.customer("attreditor_customer"))
    assert client.get(urls[0][1]).status_code == 403


def test_each_type_has_its_own_settings_fields_and_no_json(client, world):
    client.force_login(world.rw)
    page = client.get(reverse("agent:cmdb_attribute_add", args=[ci_class().pk])).content.decode()
    assert "JSON" not in page
    for name in ("options", "regex", "number_min", "number_max", "places", "restriction"):
        assert f'name="{name}"' in page
    assert 'data-shown-for="dropdown"' in page and 'data-shown-for="integer decimal"' in page


def test_a_dropdown_gets_its_possible_values_from_lines_and_a_ci_uses_them(client, world):
    client.force_login(world.rw)
    url = reverse("agent:cmdb_attribute_add", args=[ci_class().pk])
    lines = "gold = Gold support\n\nsilver\n  bronze =   Bronze  "
    # Settings of other types posted alongside (no JavaScript hides them) are ignored.
    posted = _form(key="Support", name="Support", field_type="dropdown", options=lines)
    assert client.post(url, {**posted, "regex": "^x$", "number_min": "3"}).status_code == 302

    support = _attribute("Support")
    assert support.settings == {
        "options": [
            {"key": "gold", "label": "Gold support"},
            {"key": "silver", "label": ""},
            {"key": "bronze", "label": "Bronze"},
        ]
    }
    edit = reverse("agent:cmdb_attribute", args=[ci_class().pk, support.pk])
    assert client.get(edit).context["form"].initial["options"] == (
        "gold = Gold support\nsilver\nbronze = Bronze"
    )
    spec = attrs.Spec(support)
    assert spec.render("gold") == "Gold support"
    assert spec.parse("Bronze") == "bronze"
    with pytest.raises(ValidationError, match="not a possible value"):
        spec.clean("platinum")
    form = client.get(reverse("agent:cmdb_edit", args=[world.server.pk])).content.decode()
    assert '<option value="gold">Gold support</option>' in form


def test_removing_a_dropdown_value_in_use_asks_first(client, world):
    client.force_login(world.rw)
    add = reverse("agent:cmdb_attribute_add", args=[ci_class().pk])
    posted = _form(key="Tier", name="Tier", field_type="dropdown", options="one\ntwo")
    assert client.post(add, posted).status_code == 302
    tier = _attribute("Tier")
    item = make_ci("attreditor-tier", values={"Tier": "two"})
    edit = reverse("agent:cmdb_attribute", args=[ci_class().pk, tier.pk])

    relabelled = {**posted, "options": "one = One\ntwo = Two"}
    assert client.post(edit, relabelled).status_code == 302
    dropped = {**posted, "options": "one"}
    refused = client.post(edit, dropped)
    assert refused.status_code == 400
    assert "Tier: 1 values would be lost" in refused.content.decode()
    assert [o["key"] for o in _attribute("Tier").settings["options"]] == ["one", "two"]

    assert client.post(edit, {**dropped, "confirm": "on"}).status_code == 302
    page = client.get(reverse("agent:cmdb_ci", args=[item.pk])).content.decode()
    assert "Two" not in page


def test_number_text_and_date_settings_are_stored_typed_and_checked(client, world):
    client.force_login(world.rw)
    url = reverse("agent:cmdb_attribute_add", args=[ci_class().pk])
    for overrides in (
        {"key": "Cores", "field_type": "integer", "number_min": "1", "number_max": "256"},
        {"key": "Price", "field_type": "decimal", "number_min": "0.5", "places": "2"},
        {
            "key": "Tag",
            "field_type": "text",
            "regex": "^T-[0-9]+$",
            "text_default": "T-1",
            "regex_error": "Tags look like T-12.",
        },
        {"key": "Bought", "field_type": "date", "restriction": "no_future", "years_past": "20"},
    ):
        response = client.post(url, _form(name=overrides["key"], **overrides))
        assert response.status_code == 302, response.content.decode()

    assert _attribute("Cores").settings == {"min": 1, "max": 256}
    assert _attribute("Price").settings == {"min": 0.5, "places": 2}
    assert _attribute("Tag").settings == {
        "regex": "^T-[0-9]+$",
        "regex_error": "Tags look like T-12.",
        "default": "T-1",
    }
    assert _attribute("Bought").settings == {"restriction": "no_future", "years_past": 20}
    with pytest.raises(ValidationError, match="At most 256"):
        attrs.Spec(_attribute("Cores")).clean(300)
    with pytest.raises(ValidationError, match="Tags look like T-12"):
        attrs.Spec(_attribute("Tag")).clean("X-1")


def test_the_definition_is_exported_and_imported_as_json(client, world):
    client.force_login(world.rw)
    cls = ci_class()
    exported = client.get(reverse("agent:cmdb_definition_export", args=[cls.pk]))
    assert exported.status_code == 200
    assert "attachment" in exported["Content-Disposition"]
    specs = json.loads(exported.content)
    vendor = next(s for s in specs if s["key"] == "Vendor")
    vendor["name"] = "Maker"
    before = _versions()

    upload = SimpleUploadedFile("def.json", json.dumps(specs).encode(), "application/json")
    url = reverse("agent:cmdb_definition", args=[cls.pk])
    assert client.post(url, {"file": upload}).status_code == 302
    assert _versions() == before + 1
    assert _attribute("Vendor").name == "Maker"
    page = client.get(reverse("agent:cmdb_ci", args=[world.server.pk])).content.decode()
    assert "Maker" in page and "Attreditor vendor" in page

    for posted, message in (
        ({"definition": "{oops"}, "Not valid JSON"),
        ({"definition": "{}"}, "The definition is a list of attributes"),
        ({}, "Choose an exported file or paste its text"),
        ({"file": SimpleUploadedFile("d.json", b"\xff\xfe[")}, "not UTF-8"),
        ({"definition": json.dumps([{"key": "A", "field_type": "dropdown"}])}, "A dropdown"),
    ):
        response = client.post(url, posted)
        assert response.status_code == 400
        assert message in response.content.decode(), posted
    assert _versions() == before + 1

"""The definition page's attribute forms: add, edit (rename keeps values, a retype that
loses values asks first) and move one attribute; each save is a definition version."""

from __future__ import annotations

import pytest
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
        ({"settings": "{not json"}, "Not valid JSON"),
        ({"settings": "[1]"}, "The settings are a mapping"),
        ({"count_min": 3, "count_max": 1}, "repetition is not valid"),
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

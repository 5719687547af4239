"""Saving CIs: numbers, versions only on change, values checked and named, renames."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings

from cmdb import actions, attributes
from cmdb.choices import HistoryType
from cmdb.models import Attribute, AttributeValue, History, Version
from otrs.errors import DomainError, ErrorCode
from tests import factories
from tests.cmdb import ci_class, make_ci, path

pytestmark = pytest.mark.django_db


def data_of(ci):
    ci.refresh_from_db()
    tree = attributes.Definition.of(ci.ci_class)
    return attributes.load([ci.last_version_id], tree).get(ci.last_version_id, {})


def same_input(ci, **changes):
    values = data_of(ci)
    values.update(changes.pop("values", {}))
    return actions.CIInput(
        name=changes.get("name", ci.name),
        deployment_state=changes.get("deployment", ci.deployment_state),
        incident_state=changes.get("incident", ci.incident_state),
        values={p: v for p, v in values.items() if v is not None},
    )


def test_it_numbers_with_system_id_class_and_counter():
    first = make_ci("pc-1")
    second = make_ci("pc-2")
    cls = ci_class("Computer")
    assert first.number == f"{settings.SYSTEM_ID}{cls.pk}000001"
    assert second.number == f"{settings.SYSTEM_ID}{cls.pk}000002"


def test_it_makes_a_version_only_when_something_changed():
    ci = make_ci("pc-1", values={"Vendor": "Acme"})
    assert actions.update_configitem(ci, same_input(ci), actor=factories.system()) is None
    assert Version.objects.filter(configitem=ci).count() == 1
    version = actions.update_configitem(
        ci,
        same_input(ci, values={path("Computer", "Vendor"): "Globex"}),
        actor=factories.system(),
    )
    assert version is not None and version.number == 2
    assert data_of(ci)[path("Computer", "Vendor")] == "Globex"
    # the old version keeps its value
    first = Version.objects.get(configitem=ci, number=1)
    assert attributes.load([first.pk])[first.pk][path("Computer", "Vendor")] == "Acme"
    updates = History.objects.filter(configitem=ci, history_type=HistoryType.VALUE_UPDATE)
    assert [(h.data["old"], h.data["new"]) for h in updates] == [("Acme", "Globex")]


def test_a_state_change_alone_makes_a_version():
    ci = make_ci("pc-1")
    actions.set_deployment_state(ci, "Repair", actor=factories.system())
    ci.refresh_from_db()
    assert ci.deployment_state.name == "Repair"
    assert ci.last_version.number == 2
    assert actions.set_deployment_state(ci, "Repair", actor=factories.system()) is None


def test_nested_repeated_values_round_trip():
    nic0 = path("Computer", "NIC")
    ci = make_ci(
        "pc-1",
        values={},
    )
    values = {
        nic0: "eth0",
        path("Computer", "NIC", "IPoverDHCP"): "No",
        path("Computer", "NIC", "IPAddress"): "10.0.0.1",
        path("Computer", "NIC", "IPAddress", positions=(0, 3)): "10.0.0.2",
        path("Computer", "NIC", positions=(2,)): "eth1",
        path("Computer", "NIC", "IPoverDHCP", positions=(2, 0)): "Yes",
    }
    actions.update_configitem(ci, same_input(ci, values=values), actor=factories.system())
    stored = data_of(ci)
    # positions closed up: the second address is at 1, the second NIC at 1
    assert stored[path("Computer", "NIC", "IPAddress", positions=(0, 1))] == "10.0.0.2"
    assert stored[path("Computer", "NIC", positions=(1,))] == "eth1"
    assert stored[path("Computer", "NIC", "IPoverDHCP", positions=(1, 0))] == "Yes"


@pytest.mark.parametrize(
    ("keys", "value", "expected"),
    [
        (("Type",), "Toaster", "Type"),
        (("WarrantyExpirationDate",), "next tuesday", "Warranty expiration date"),
        (("NIC",), "eth0", "IP over DHCP"),  # a required sub-attribute missing
    ],
)
def test_bad_values_are_refused_with_the_attribute_named(keys, value, expected):
    before = (Version.objects.count(), AttributeValue.objects.count())
    with pytest.raises(actions.InvalidValues) as caught:
        make_ci("pc-bad", values={"/".join(keys): value}, fill=False)
    assert expected in caught.value.message
    assert (Version.objects.count(), AttributeValue.objects.count()) == before


def test_software_quantity_range_is_checked():
    with pytest.raises(actions.InvalidValues) as caught:
        make_ci("office", "Software", values={"LicenceKey": "K-1", "LicenceKey/Quantity": 5000})
    assert "Quantity" in caught.value.message
    assert "1000" in caught.value.message


def test_too_many_repetitions_are_refused():
    cls = ci_class("Hardware")
    note = path("Hardware", "Note")
    with pytest.raises(actions.InvalidValues) as caught:
        actions.create_configitem(
            cls,
            actions.CIInput(
                name="x",
                deployment_state="Production",
                incident_state="Operational",
                values={path("Hardware", "Type"): "Mouse", note: "a", note[:-1] + "1": "b"},
            ),
            actor=factories.system(),
        )
    assert "Note" in caught.value.message


def test_names_are_unique_per_class():
    make_ci("pc-1")
    with pytest.raises(DomainError) as caught:
        make_ci("PC-1")
    assert caught.value.code == ErrorCode.CI_NAME_TAKEN
    make_ci("pc-1", "Hardware")  # another class: fine


def test_names_are_unique_globally_by_setting(settings):
    settings.CMDB_UNIQUE_NAME_GLOBAL = True
    make_ci("pc-1")
    with pytest.raises(DomainError):
        make_ci("pc-1", "Hardware")


def test_a_rename_keeps_the_data():
    ci = make_ci("pc-1", values={"SerialNumber": "SN-42"})
    cls = ci_class("Computer")
    specs = actions.definition_specs(cls)
    serial = next(s for s in specs if s["key"] == "SerialNumber")
    serial["key"], serial["name"] = "Serial", "Serial no."
    definition = actions.update_definition(cls, specs, actor=factories.system())
    assert definition.version == 2
    attribute = Attribute.objects.get(ci_class=cls, key="Serial", removed=False)
    assert attribute.pk == serial["id"]
    assert data_of(ci)[f"{attribute.pk}:0"] == "SN-42"
    tree = attributes.Definition.of(cls)
    assert tree.label(f"{attribute.pk}:0") == "Serial no."


def test_removing_an_attribute_with_data_needs_confirmation():
    ci = make_ci("pc-1", values={"SerialNumber": "SN-42"})
    cls = ci_class("Computer")
    specs = [s for s in actions.definition_specs(cls) if s["key"] != "SerialNumber"]
    with pytest.raises(actions.NeedsConfirmation) as caught:
        actions.update_definition(cls, specs, actor=factories.system())
    assert [(m.attribute, m.change, m.values) for m in caught.value.migrations] == [
        ("SerialNumber", "remove", 1)
    ]
    assert data_of(ci)  # nothing done yet
    assert Attribute.objects.filter(key="SerialNumber", ci_class=cls, removed=False).exists()
    actions.update_definition(cls, specs, actor=factories.system(), confirm=True)
    assert path("Computer", "Vendor") not in data_of(ci)
    assert not Attribute.objects.filter(key="SerialNumber", ci_class=cls, removed=False).exists()


def test_retyping_counts_what_would_be_lost_and_converts():
    make_ci("pc-1", values={"Vendor": "12"})
    make_ci("pc-2", values={"Vendor": "Acme"})
    cls = ci_class("Computer")
    specs = actions.definition_specs(cls)
    vendor = next(s for s in specs if s["key"] == "Vendor")
    vendor["field_type"] = "integer"
    with pytest.raises(actions.NeedsConfirmation) as caught:
        actions.update_definition(cls, specs, actor=factories.system())
    assert [(m.change, m.values, m.lost) for m in caught.value.migrations] == [("retype", 2, 1)]
    actions.update_definition(cls, specs, actor=factories.system(), confirm=True)
    values = AttributeValue.objects.filter(attribute_id=vendor["id"])
    assert sorted((v.value_int, v.value_text) for v in values if v.value_int) == [(12, None)]


def test_a_new_version_after_a_definition_change_uses_it():
    ci = make_ci("pc-1")
    cls = ci_class("Computer")
    specs = actions.definition_specs(cls)
    specs.append({"key": "AssetTag", "name": "Asset tag", "field_type": "text"})
    actions.update_definition(cls, specs, actor=factories.system())
    tag = Attribute.objects.get(ci_class=cls, key="AssetTag")
    version = actions.update_configitem(
        ci, same_input(ci, values={f"{tag.pk}:0": "A-1"}), actor=factories.system()
    )
    assert version.definition.version == 2


def test_dates_are_stored_typed():
    ci = make_ci("pc-1", values={"WarrantyExpirationDate": "2030-01-31"})
    row = AttributeValue.objects.get(
        version=ci.last_version, attribute__key="WarrantyExpirationDate"
    )
    assert row.value_date == datetime.date(2030, 1, 31)
    assert row.value_text is None


def test_copy_makes_a_new_ci_with_the_same_values():
    ci = make_ci("pc-1", values={"Vendor": "Acme"})
    copy = actions.copy_configitem(ci, actor=factories.system())
    assert copy.number != ci.number and copy.name == "pc-1 (copy)"
    assert data_of(copy) == data_of(ci)

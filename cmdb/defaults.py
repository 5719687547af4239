"""The catalogue and the five classes OTRS installs (spec section 13), as plain data.

The data migration installs them (with the historical models); tests and ``loaddemo`` read
the same names. Labels stay English here and are translated where they are shown.
"""

from __future__ import annotations

from .choices import Catalog, Functionality

DEFAULT_GROUP = "itsm-configitem"

DEPLOYMENT_STATES = [
    ("Planned", Functionality.PREPRODUCTIVE),
    ("Test/QA", Functionality.PREPRODUCTIVE),
    ("Production", Functionality.PRODUCTIVE),
    ("Pilot", Functionality.PRODUCTIVE),
    ("Maintenance", Functionality.PRODUCTIVE),
    ("Repair", Functionality.PRODUCTIVE),
    ("Review", Functionality.PRODUCTIVE),
    ("Expired", Functionality.PRODUCTIVE),
    ("Inactive", Functionality.POSTPRODUCTIVE),
    ("Retired", Functionality.POSTPRODUCTIVE),
]
INCIDENT_STATES = [
    ("Operational", Functionality.OPERATIONAL),
    ("Warning", Functionality.WARNING),
    ("Incident", Functionality.INCIDENT),
]
YES_NO = ["Yes", "No"]
CLASSES = ["Computer", "Hardware", "Location", "Network", "Software"]
TYPES = {
    "Computer": ["Laptop", "Desktop", "Phone", "PDA", "Server", "Other"],
    "Hardware": [
        "Monitor",
        "Printer",
        "Switch",
        "Router",
        "WLAN Access Point",
        "Security Device",
        "Backup Device",
        "Mouse",
        "Keyboard",
        "Camera",
        "Beamer",
        "Modem",
        "PCMCIA Card",
        "USB Device",
        "Docking Station",
        "Scanner",
        "Other",
    ],
    "Location": [
        "Building",
        "Office",
        "Floor",
        "Room",
        "Rack",
        "Workplace",
        "Outlet",
        "IT Facility",
        "Other",
    ],
    "Network": ["LAN", "WLAN", "Telco", "GSM", "Other"],
    "Software": [
        "Client Application",
        "Middleware",
        "Server Application",
        "Client OS",
        "Server OS",
        "Admin Tool",
        "User Tool",
        "Embedded",
        "Other",
    ],
}
LICENCE_LIST = "ITSM::ConfigItem::Software::LicenceType"
LICENCE_TYPES = [
    "Single Licence",
    "Per User",
    "Per Processor",
    "Per Server",
    "Per Node",
    "Concurrent Users",
    "Volume Licence",
    "Enterprise Licence",
    "Developer Licence",
    "Demo",
    "Time Restricted",
    "Freeware",
    "Open Source",
    "Unlimited",
]


def _a(key, name=None, field_type="text", **extra) -> dict:
    """One attribute: key, label, type and the OTRS options (count_max > 1: repeatable)."""
    return {"key": key, "name": name or key, "field_type": field_type, **extra}


def _type(cls: str) -> dict:
    return _a(
        "Type",
        field_type="catalog",
        settings={"catalog": f"ITSM::ConfigItem::{cls}::Type"},
        required=True,
        count_min=1,
        searchable=True,
    )


_CUSTOMER = [
    _a("CustomerID", "Customer company", "company", searchable=True),
    _a("Owner", "Owner", "customer", searchable=True),
]
_NOTE = _a("Note", "Note", "textarea", count_max=1)
_YES_NO = {"catalog": Catalog.YES_NO.value}

ATTRIBUTES: dict[str, list[dict]] = {
    "Computer": [
        _a("Vendor", searchable=True),
        _a("Model", searchable=True),
        _a("Description", field_type="textarea"),
        _type("Computer"),
        *_CUSTOMER,
        _a("SerialNumber", "Serial number", searchable=True),
        _a("OperatingSystem", "Operating system"),
        _a("CPU", count_max=16),
        _a("Ram", "RAM", count_max=10),
        _a("HardDisk", "Hard disk", count_max=10, sub=[_a("Capacity")]),
        _a("FQDN", searchable=True),
        _a(
            "NIC",
            "Network adapter",
            count_max=10,
            sub=[
                _a(
                    "IPoverDHCP",
                    "IP over DHCP",
                    "catalog",
                    settings=_YES_NO,
                    required=True,
                    count_min=1,
                ),
                _a("IPAddress", "IP address", count_max=20, searchable=True),
            ],
        ),
        _a("GraphicAdapter", "Graphic adapter"),
        _a("OtherEquipment", "Other equipment", "textarea", count_max=10),
        _a("WarrantyExpirationDate", "Warranty expiration date", "date", searchable=True),
        _a("InstallDate", "Install date", "date", count_max=10),
        _a("Note", "Note", "textarea", count_max=10),
    ],
    "Hardware": [
        _a("Vendor", searchable=True),
        _a("Model", searchable=True),
        _a("Description", field_type="textarea"),
        _type("Hardware"),
        *_CUSTOMER,
        _a("SerialNumber", "Serial number", searchable=True),
        _a("WarrantyExpirationDate", "Warranty expiration date", "date", searchable=True),
        _a("InstallDate", "Install date", "date"),
        _NOTE,
    ],
    "Location": [
        _type("Location"),
        *_CUSTOMER,
        _a("Phone1", "Phone 1"),
        _a("Phone2", "Phone 2"),
        _a("Fax"),
        _a(
            "E-Mail",
            "E-mail",
            settings={"regex": r"^\S+@\S+$", "regex_error": "Not an e-mail address."},
        ),
        _a("Address", field_type="textarea", searchable=True),
        _NOTE,
    ],
    "Network": [
        _a("Description", field_type="textarea"),
        _type("Network"),
        *_CUSTOMER,
        _a(
            "NetworkAddress",
            "Network address",
            count_max=100,
            searchable=True,
            sub=[
                _a("SubnetMask", "Subnet mask", settings={"default": "255.255.255.0"}),
                _a("Gateway", count_max=10),
            ],
        ),
        _NOTE,
    ],
    "Software": [
        _a("Vendor", searchable=True),
        _a("Version", searchable=True),
        _a("Description", field_type="textarea"),
        _type("Software"),
        *_CUSTOMER,
        _a("SerialNumber", "Serial number", searchable=True),
        _a("LicenceType", "Licence type", "catalog", settings={"catalog": LICENCE_LIST}),
        _a(
            "LicenceKey",
            "Licence key",
            count_max=100,
            sub=[
                _a("Quantity", field_type="integer", settings={"min": 1, "max": 1000}),
                _a("ExpirationDate", "Expiration date", "date"),
            ],
        ),
        _a("Media"),
        _NOTE,
    ],
}


def catalog_lists() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every default list: (catalogue name, [(entry, functionality)])."""
    lists = [
        (Catalog.CLASS.value, [(name, "") for name in CLASSES]),
        (Catalog.DEPLOYMENT_STATE.value, [(n, f.value) for n, f in DEPLOYMENT_STATES]),
        (Catalog.INCIDENT_STATE.value, [(n, f.value) for n, f in INCIDENT_STATES]),
        (Catalog.YES_NO.value, [(name, "") for name in YES_NO]),
        (LICENCE_LIST, [(name, "") for name in LICENCE_TYPES]),
    ]
    for cls, names in TYPES.items():
        lists.append((f"ITSM::ConfigItem::{cls}::Type", [(name, "") for name in names]))
    return lists


def install(CatalogItem, Attribute, Definition, ClassCounter, Group) -> None:
    """Install the defaults with the given models (historical ones in the migration);
    entries already there are left alone."""
    group, _created = Group.objects.get_or_create(
        name=DEFAULT_GROUP, defaults={"comment": "Configuration items (CMDB)"}
    )
    for catalog, entries in catalog_lists():
        for order, (name, functionality) in enumerate(entries):
            CatalogItem.objects.get_or_create(
                catalog=catalog,
                name=name,
                defaults={
                    "functionality": functionality,
                    "order": order,
                    "group": group if catalog == Catalog.CLASS.value else None,
                },
            )
    for cls, attributes in ATTRIBUTES.items():
        ci_class = CatalogItem.objects.get(catalog=Catalog.CLASS.value, name=cls)
        ClassCounter.objects.get_or_create(ci_class=ci_class)
        if Attribute.objects.filter(ci_class=ci_class).exists():
            continue
        _create(Attribute, ci_class, attributes, None)
        Definition.objects.create(
            ci_class=ci_class, version=1, snapshot=snapshot(Attribute, ci_class)
        )


def _create(Attribute, ci_class, attributes, parent) -> None:
    for order, spec in enumerate(attributes):
        spec = dict(spec)
        sub = spec.pop("sub", [])
        spec.setdefault("count_default", 1 if spec.get("count_min", 0) or not parent else 0)
        created = Attribute.objects.create(ci_class=ci_class, parent=parent, order=order, **spec)
        _create(Attribute, ci_class, sub, created)


SNAPSHOT_FIELDS = (
    "id",
    "parent_id",
    "key",
    "name",
    "field_type",
    "settings",
    "required",
    "count_min",
    "count_max",
    "count_default",
    "searchable",
    "suppress_version",
    "order",
)


def snapshot(Attribute, ci_class) -> list[dict]:
    """The live attributes of a class as a definition version stores them."""
    rows = Attribute.objects.filter(ci_class=ci_class, removed=False).order_by("order", "pk")
    return [{name: getattr(row, name) for name in SNAPSHOT_FIELDS} for row in rows]

"""The CMDB's part of ``manage.py loaddemo``: CIs of every default class, linked to each
other and to demo tickets, one of them in incident (so the warning shows on what depends
on it and on the tickets). Loaded once: a second run finds the first CI and stops."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from customers.models import CustomerCompany, CustomerUser
from otrs.accounts.models import Group, GroupGrant, User, system_user
from otrs.permissions import PermissionKey
from tickets.models import Ticket

from . import actions, attributes
from .choices import Catalog, LinkType
from .defaults import DEFAULT_GROUP
from .models import CatalogItem, ConfigItem

MARKER = "Shop application"
LICENSED = "Office suite"
CERTIFICATE = "LicenceCertificate"

# name, class, deployment state, {key path: value}
ITEMS = [
    ("Head office", "Location", {"Type": "Building", "Address": "1 Road Runner Way, Phoenix"}),
    ("Server room", "Location", {"Type": "Room", "Phone1": "+1 555 0100"}),
    (
        "Office LAN",
        "Network",
        {"Type": "LAN", "NetworkAddress": "10.0.0.0", "NetworkAddress/Gateway": "10.0.0.1"},
    ),
    ("core-switch", "Hardware", {"Type": "Switch", "Vendor": "Netgear", "SerialNumber": "NG-7781"}),
    (
        "printer-2nd-floor",
        "Hardware",
        {"Type": "Printer", "Vendor": "Brother", "Model": "HL-L2350"},
    ),
    (
        "web-01",
        "Computer",
        {
            "Type": "Server",
            "Vendor": "Dell",
            "Model": "PowerEdge R650",
            "FQDN": "web-01.example.com",
            "CPU": "Xeon Silver 4310",
            "NIC": "eth0",
            "NIC/IPoverDHCP": "No",
            "NIC/IPAddress": "10.0.0.11",
            "WarrantyExpirationDate": "2028-06-30",
        },
    ),
    (
        "db-01",
        "Computer",
        {
            "Type": "Server",
            "Vendor": "Dell",
            "FQDN": "db-01.example.com",
            "NIC": "eth0",
            "NIC/IPoverDHCP": "No",
            "NIC/IPAddress": "10.0.0.12",
            "HardDisk": "sda",
            "HardDisk/Capacity": "2 TB",
        },
    ),
    ("laptop-carla", "Computer", {"Type": "Laptop", "Vendor": "Lenovo", "Model": "T14"}),
    (MARKER, "Software", {"Type": "Server Application", "Version": "3.2"}),
    (
        "Office suite",
        "Software",
        {
            "Type": "Client Application",
            "LicenceType": "Per User",
            "LicenceKey": "OFF-2231-XY",
            "LicenceKey/Quantity": "25",
        },
    ),
]
# (a, link type, b): a depends on / includes / ... b
LINKS = [
    (MARKER, LinkType.DEPENDS_ON, "web-01"),
    (MARKER, LinkType.DEPENDS_ON, "db-01"),
    ("web-01", LinkType.DEPENDS_ON, "core-switch"),
    ("db-01", LinkType.DEPENDS_ON, "core-switch"),
    ("core-switch", LinkType.CONNECTED_TO, "Office LAN"),
    ("printer-2nd-floor", LinkType.CONNECTED_TO, "Office LAN"),
    ("Server room", LinkType.INCLUDES, "web-01"),
    ("Server room", LinkType.INCLUDES, "db-01"),
    ("Server room", LinkType.INCLUDES, "core-switch"),
    ("Head office", LinkType.INCLUDES, "Server room"),
    ("laptop-carla", LinkType.DEPENDS_ON, "Office suite"),
]
IN_INCIDENT = "core-switch"


def _values(class_name: str, wanted: dict[str, str]) -> dict[str, str]:
    ci_class = CatalogItem.objects.get(catalog=Catalog.CLASS, name=class_name)
    tree = attributes.Definition.of(ci_class)
    result = {}
    for keys, value in wanted.items():
        steps, parent = [], None
        for key in keys.split("/"):
            attribute = next(a for a in tree.children[parent] if a.key == key)
            steps.append(f"{attribute.pk}:0")
            parent = attribute.pk
        result["/".join(steps)] = value
    return result


def load(stdout) -> None:
    if ConfigItem.objects.filter(name=MARKER).exists():
        stdout.write("CMDB demo items are already loaded.")
    else:
        _items(stdout)
    _licence_file(stdout)


def _licence_file(stdout) -> None:
    """An attachment attribute on the Software class, with the office suite's licence
    certificate in it (once; the class's definition gets a new version)."""
    suite = ConfigItem.objects.filter(name=LICENSED).first()
    if suite is None or suite.files.exists():
        return
    actor = system_user()
    ci_class = suite.ci_class
    with transaction.atomic():
        attribute = ci_class.attributes.filter(key=CERTIFICATE, removed=False).first()
        if attribute is None:
            specs = actions.definition_specs(ci_class)
            specs.append(
                {
                    "key": CERTIFICATE,
                    "name": "Licence certificate",
                    "field_type": "attachment",
                    "count_max": 1,
                }
            )
            actions.update_definition(ci_class, specs, actor=actor)
            attribute = ci_class.attributes.get(key=CERTIFICATE, removed=False)
        upload = SimpleUploadedFile(
            "office-suite-licence.txt",
            b"Licence certificate\nProduct: Office suite\nKey: OFF-2231-XY\nSeats: 25\n",
            "text/plain",
        )
        actions.attach_file(suite, attribute.pk, upload, actor=actor)
    stdout.write(f"CMDB: licence certificate attached to {LICENSED}.")


def _items(stdout) -> None:
    with transaction.atomic():
        _grants()
        actor = system_user()
        made: dict[str, ConfigItem] = {}
        company = CustomerCompany.objects.filter(customer_id="ACME").first()
        carla = CustomerUser.objects.filter(user__username="customer1").first()
        for name, class_name, wanted in ITEMS:
            wanted = dict(wanted)
            if company is not None:
                wanted["CustomerID"] = str(company.pk)
            if name == "laptop-carla" and carla is not None:
                wanted["Owner"] = str(carla.pk)
            made[name] = actions.create_configitem(
                CatalogItem.objects.get(catalog=Catalog.CLASS, name=class_name),
                actions.CIInput(
                    name=name,
                    deployment_state="Production",
                    incident_state="Operational",
                    values=_values(class_name, wanted),
                    from_text=True,
                ),
                actor=actor,
            )
        for a, link_type, b in LINKS:
            actions.link_configitems(made[a], made[b], link_type, actor=actor)
        tickets = list(Ticket.objects.order_by("pk")[:40])
        open_ = [t for t in tickets if not t.state.is_closed][:2]
        closed = [t for t in tickets if t.state.is_closed][:1]
        for ticket in open_:
            actions.link_ticket(made[IN_INCIDENT], ticket.pk, LinkType.RELEVANT_TO, actor=actor)
        if open_:
            actions.link_ticket(made[MARKER], open_[0].pk, LinkType.RELEVANT_TO, actor=actor)
        for ticket in closed:
            actions.link_ticket(
                made["printer-2nd-floor"], ticket.pk, LinkType.RELEVANT_TO, actor=actor
            )
        actions.set_deployment_state(made["printer-2nd-floor"], "Repair", actor=actor)
        actions.set_incident_state(made[IN_INCIDENT], "Incident", actor=actor)
    stdout.write(f"CMDB: {len(made)} configuration items, {len(LINKS)} links, one in incident.")


def _grants() -> None:
    """agent1 may change CIs, agent2 may read them (admin has rw on every group already)."""
    group = Group.objects.get(name=DEFAULT_GROUP)
    for login, key in (
        ("admin", PermissionKey.RW),
        ("agent1", PermissionKey.RW),
        ("agent2", PermissionKey.RO),
    ):
        user = User.objects.filter(username=login).first()
        if user is not None:
            GroupGrant.objects.get_or_create(user=user, group=group, key=key)

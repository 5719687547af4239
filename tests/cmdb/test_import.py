"""CSV import and export: dry run equals the real import, refusals name row and column,
matching by name / number / attribute, export reads back."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from cmdb import actions, attributes
from cmdb.models import ConfigItem, Version
from tests import factories
from tests.cmdb import ci_class, make_ci, path, personas

pytestmark = pytest.mark.django_db

HEADER = (
    "Name,Deployment state,Incident state,Type,Vendor,SerialNumber,"
    "NIC,NIC/IPoverDHCP,NIC/IPAddress,NIC/IPAddress#2,CPU,CPU#2\n"
)


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


SAMPLE = HEADER + (
    "pc-1,Production,Operational,Desktop,Acme,SN-1,eth0,No,10.0.0.1,10.0.0.2,i5,i7\n"
    "pc-2,Planned,,Laptop,Globex,SN-2,,,,,,\n"
    "pc-3,Production,Operational,Toaster,Acme,SN-3,,,,,,\n"
    "pc-4,Production,Operational,Desktop,Acme,SN-4,eth0,Maybe,not-an-ip,,,\n"
)


def outcome(results):
    return [(r.row, r.outcome, r.name, r.changes, r.errors) for r in results]


def test_dry_run_equals_the_real_import():
    make_ci("pc-2", values={"Vendor": "Initech", "Type": "Laptop"})
    system = factories.system()
    before = (ConfigItem.objects.count(), Version.objects.count())
    dry = actions.import_rows(ci_class(), rows(SAMPLE), key="name", actor=system, dry_run=True)
    assert (ConfigItem.objects.count(), Version.objects.count()) == before
    real = actions.import_rows(ci_class(), rows(SAMPLE), key="name", actor=system, dry_run=False)
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in outcome(dry)] == [
        (r[0], r[1], r[2], r[3], r[4]) for r in outcome(real)
    ]
    assert [r.outcome for r in real] == ["create", "change", "refused", "refused"]
    assert ("Vendor", "Initech", "Globex") in real[1].changes
    assert "Row 3, column Type" in real[2].errors[0]
    assert any("Row 4, column NIC/IPoverDHCP" in e for e in real[3].errors)
    assert not ConfigItem.objects.filter(name__in=["pc-3", "pc-4"]).exists()
    pc1 = ConfigItem.objects.get(name="pc-1")
    values = attributes.load([pc1.last_version_id])[pc1.last_version_id]
    assert values[path("Computer", "NIC", "IPAddress", positions=(0, 1))] == "10.0.0.2"
    assert values[path("Computer", "CPU", positions=(1,))] == "i7"


def test_a_second_import_changes_nothing():
    system = factories.system()
    actions.import_rows(ci_class(), rows(SAMPLE), key="name", actor=system, dry_run=False)
    again = actions.import_rows(ci_class(), rows(SAMPLE), key="name", actor=system, dry_run=True)
    assert [r.outcome for r in again] == ["unchanged", "unchanged", "refused", "refused"]


def test_matching_on_an_attribute_and_unknown_columns():
    make_ci("old-name", values={"SerialNumber": "SN-9"})
    system = factories.system()
    results = actions.import_rows(
        ci_class(),
        rows("Name,SerialNumber,Type\nnew-name,SN-9,Server\n"),
        key="SerialNumber",
        actor=system,
        dry_run=False,
    )
    assert results[0].outcome == "change"
    assert ConfigItem.objects.filter(name="new-name").count() == 1
    refused = actions.import_rows(
        ci_class(), rows("Name,Colour\nx,red\n"), key="name", actor=system, dry_run=True
    )
    assert refused[0].errors == ["Row 1: unknown column Colour."]


def test_the_command_reports_and_resumes(tmp_path):
    file = tmp_path / "cis.csv"
    file.write_text(SAMPLE, encoding="utf-8")
    out = io.StringIO()
    call_command("cmdb_import", str(file), "--class", "computer", "--dry-run", stdout=out)
    assert "Dry run, nothing saved: 2 create, 2 refused" in out.getvalue()
    assert "refused  Row 3, column Type" in out.getvalue()
    assert not ConfigItem.objects.exists()
    out = io.StringIO()
    call_command("cmdb_import", str(file), "--class", "Computer", "--start-row", "2", stdout=out)
    assert not ConfigItem.objects.filter(name="pc-1").exists()
    assert ConfigItem.objects.filter(name="pc-2").exists()


def test_export_reads_back_as_an_unchanged_import(client):
    rw, _ro, _outsider = personas()
    system = factories.system()
    actions.import_rows(ci_class(), rows(SAMPLE), key="name", actor=system, dry_run=False)
    client.force_login(rw)
    response = client.get(reverse("agent:cmdb_export"), {"ci_class": ci_class().pk})
    exported = rows(response.content.decode())
    assert {r["Name"] for r in exported} == {"pc-1", "pc-2"}
    assert next(r for r in exported if r["Name"] == "pc-1")["NIC/IPAddress#2"] == "10.0.0.2"
    again = actions.import_rows(ci_class(), exported, key="number", actor=system, dry_run=True)
    assert [r.outcome for r in again] == ["unchanged", "unchanged"]


def test_the_import_page_shows_the_dry_run(client):
    rw, _ro, outsider = personas()
    client.force_login(rw)
    upload = io.BytesIO(SAMPLE.encode())
    upload.name = "cis.csv"
    response = client.post(
        reverse("agent:cmdb_import"),
        {"ci_class": ci_class().pk, "file": upload, "key": "name", "dry_run": "on"},
    )
    page = response.content.decode()
    assert "Dry run: nothing was saved" in page and "Row 3, column Type" in page
    assert not ConfigItem.objects.exists()
    client.force_login(outsider)
    upload.seek(0)
    response = client.post(
        reverse("agent:cmdb_import"), {"ci_class": ci_class().pk, "file": upload, "key": "name"}
    )
    assert response.status_code == 400 and not ConfigItem.objects.exists()

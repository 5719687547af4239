"""Attachment attributes: files uploaded on the CI page make a version, older versions keep
theirs, downloads follow the CMDB's access entry (agents and the customer portal), limits
and counts are refused with a message and nothing written; forms, copies and the import
never name a file."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cmdb import actions
from cmdb.models import CIFile, Version
from otrs.errors import DomainError
from tests import factories
from tests.cmdb import ci_class, make_ci, personas
from tests.customer_portal import ticket_data as data

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4 cmdbfiles manual"


@pytest.fixture(params=["fs", "db"])
def world(request, settings):
    settings.ATTACHMENT_STORAGE = request.param
    rw, ro, outsider = personas()
    specs = actions.definition_specs(ci_class())
    specs.append({"key": "Manual", "name": "Manual", "field_type": "attachment", "count_max": 2})
    actions.update_definition(ci_class(), specs, actor=factories.system())
    acme = data.company("CMDBFILES-ACME")
    alice = data.customer("cmdbfiles_alice", company_=acme)
    bob = data.customer("cmdbfiles_bob", company_=data.company("CMDBFILES-GLOBEX"))
    server = make_ci("cmdbfiles-server", values={"CustomerID": acme.pk, "Vendor": "Acme"})
    manual = next(a for a in _attributes() if a.key == "Manual")
    return type(
        "World",
        (),
        {
            "rw": rw,
            "ro": ro,
            "outsider": outsider,
            "alice": alice,
            "bob": bob,
            "server": server,
            "manual": manual,
        },
    )


def _attributes():
    return ci_class().attributes.filter(removed=False)


def _upload(client, world, name="manual.pdf", content=CONTENT):
    return client.post(
        reverse("agent:cmdb_file_add", args=[world.server.pk]),
        {
            "attribute": world.manual.pk,
            "file": SimpleUploadedFile(name, content, "application/pdf"),
        },
    )


def test_an_upload_makes_a_version_and_the_file_downloads_for_readers_only(client, world):
    client.force_login(world.rw)
    response = _upload(client, world)

    assert response.status_code == 302
    stored = CIFile.objects.get()
    assert (stored.filename, stored.size, stored.configitem) == (
        "manual.pdf",
        len(CONTENT),
        world.server,
    )
    assert Version.objects.filter(configitem=world.server).count() == 2
    page = client.get(reverse("agent:cmdb_ci", args=[world.server.pk])).content.decode()
    url = reverse("agent:cmdb_file", args=[stored.pk])
    assert f'href="{url}"' in page and "manual.pdf" in page

    client.force_login(world.ro)
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == CONTENT
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("agent:cmdb_file", args=[stored.pk + 100])).status_code == 404


def test_a_reader_cannot_upload_or_remove(client, world):
    client.force_login(world.ro)
    assert _upload(client, world).status_code == 404
    assert not CIFile.objects.exists()


def test_removing_keeps_the_file_in_the_older_version(client, world):
    client.force_login(world.rw)
    _upload(client, world)
    stored = CIFile.objects.get()

    response = client.post(reverse("agent:cmdb_file_remove", args=[world.server.pk, stored.pk]))

    assert response.status_code == 302
    versions = list(Version.objects.filter(configitem=world.server).order_by("number"))
    assert len(versions) == 3
    diff = client.get(
        reverse("agent:cmdb_diff", args=[world.server.pk]),
        {"a": versions[1].number, "b": versions[2].number},
    ).content.decode()
    assert "manual.pdf" in diff
    page = client.get(reverse("agent:cmdb_ci", args=[world.server.pk])).content.decode()
    assert reverse("agent:cmdb_file", args=[stored.pk]) not in page
    assert client.get(reverse("agent:cmdb_file", args=[stored.pk])).status_code == 200
    with pytest.raises(DomainError):
        actions.remove_file(world.server, stored.pk, actor=world.rw)


def test_the_count_and_size_limits_refuse_with_a_message_and_write_nothing(client, world, settings):
    client.force_login(world.rw)
    _upload(client, world, "one.pdf")
    _upload(client, world, "two.pdf")
    before = (CIFile.objects.count(), Version.objects.count())

    third = _upload(client, world, "three.pdf")
    settings.UPLOAD_MAX_FILE_BYTES = 10
    large = _upload(client, world, "large.pdf", b"x" * 11)

    assert (CIFile.objects.count(), Version.objects.count()) == before
    said = [str(m) for m in third.wsgi_request._messages] + [
        str(m) for m in large.wsgi_request._messages
    ]
    assert any("at most 2 files" in m for m in said), said
    assert any("large.pdf" in m for m in said), said


def test_the_edit_form_the_copy_and_the_import_keep_or_leave_the_files(client, world):
    client.force_login(world.rw)
    _upload(client, world)
    stored = CIFile.objects.get()
    url = reverse("agent:cmdb_edit", args=[world.server.pk])
    form = client.get(url).context["form"]
    assert not [name for name in form.fields if "Manual" in str(form.fields[name].label)]
    values = {name: ("" if value is None else value) for name, value in form.initial.items()}
    values["name"] = "cmdbfiles-server-2"

    assert client.post(url, values).status_code == 302

    page = client.get(reverse("agent:cmdb_ci", args=[world.server.pk])).content.decode()
    assert reverse("agent:cmdb_file", args=[stored.pk]) in page
    exported = client.get(reverse("agent:cmdb_export"), {"ci_class": ci_class().pk})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    results = actions.import_rows(ci_class(), rows, key="number", actor=world.rw, dry_run=False)
    assert [r.outcome for r in results] == ["unchanged"]
    with pytest.raises(DomainError):  # a form or import can never name a file
        actions.attach_file(world.server, _attributes().get(key="Vendor").pk, None, actor=world.rw)


def test_the_customer_downloads_files_of_their_own_items_only(client, world, settings):
    client.force_login(world.rw)
    _upload(client, world)
    stored = CIFile.objects.get()
    url = reverse("customer:configitem_file", args=[stored.pk])
    settings.CMDB_CUSTOMER_PORTAL = True

    page = data.client_for(world.alice).get(reverse("customer:configitem", args=[world.server.pk]))
    assert f'href="{url}"' in page.content.decode()
    assert data.client_for(world.alice).get(url).status_code == 200
    assert data.client_for(world.bob).get(url).status_code == 404
    settings.CMDB_CUSTOMER_PORTAL = False
    assert data.client_for(world.alice).get(url).status_code == 404


@pytest.mark.parametrize(
    "change",
    [{"required": True, "count_min": 1}, {"count_min": 1}, {"nested": True}],
)
def test_the_definition_refuses_required_or_nested_files(world, change):
    specs = actions.definition_specs(ci_class())
    spec = {"key": "Scan", "field_type": "attachment", **change}
    if spec.pop("nested", False):
        nic = next(s for s in specs if s.get("sub"))
        nic["sub"].append(spec)
    else:
        specs.append(spec)
    with pytest.raises(DomainError, match="files are top-level"):
        actions.update_definition(ci_class(), specs, actor=factories.system())

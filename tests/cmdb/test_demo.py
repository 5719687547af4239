"""loaddemo's CMDB part: CIs of every default class, linked, one in incident, on tickets."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cmdb.choices import Catalog
from cmdb.models import CatalogItem, CIFile, ConfigItem, Link, TicketLink

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_loaddemo_loads_the_cmdb_once(settings):
    settings.DEBUG = True
    call_command("loaddemo", stdout=io.StringIO())
    classes = set(CatalogItem.objects.filter(catalog=Catalog.CLASS).values_list("name", flat=True))
    assert set(ConfigItem.objects.values_list("ci_class__name", flat=True)) == classes
    assert Link.objects.count() >= 10
    assert TicketLink.objects.filter(ticket__state__state_type="closed").exists()
    assert TicketLink.objects.exclude(ticket__state__state_type="closed").exists()
    states = dict(ConfigItem.objects.values_list("name", "current_incident_state__name"))
    assert states["core-switch"] == "Incident"
    assert states["web-01"] == states["Shop application"] == "Warning"
    assert states["laptop-carla"] == "Operational"
    # An attachment attribute added to a default class, with a file on one CI.
    licence = CIFile.objects.get()
    assert (licence.configitem.name, licence.attribute.field_type) == ("Office suite", "attachment")
    before = ConfigItem.objects.count()
    out = io.StringIO()
    call_command("loaddemo", stdout=out)
    assert ConfigItem.objects.count() == before
    assert CIFile.objects.count() == 1
    assert "already loaded" in out.getvalue()

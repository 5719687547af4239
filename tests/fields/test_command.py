"""manage.py customfields export / import."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from otrs.fields.actions import set_field_values
from otrs.fields.models import FieldDefinition
from tests import factories

from .helpers import define

pytestmark = pytest.mark.django_db


def export() -> str:
    out = io.StringIO()
    call_command("customfields", "export", stdout=out)
    return out.getvalue()


def test_it_round_trips_definitions_through_a_file(tmp_path):
    define("Product", "dropdown", options=["alpha", "beta"])
    define("Seats", "integer", settings={"min": 1}, order=3)
    text = export()
    FieldDefinition.objects.all().delete()
    path = tmp_path / "fields.yaml"
    path.write_text(text)
    call_command("customfields", "import", str(path), stdout=io.StringIO())
    assert export() == text


def test_it_refuses_a_file_with_a_bad_entry_naming_line_and_field(tmp_path):
    path = tmp_path / "fields.yaml"
    path.write_text(
        "fields:\n"
        "- name: Fine\n  label: Fine\n  object_type: ticket\n  field_type: text\n"
        "- name: Seats\n  label: Seats\n  object_type: ticket\n  field_type: integer\n"
        "  settings: {min: one}\n"
    )
    with pytest.raises(CommandError, match=r"line 6, field Seats: settings"):
        call_command("customfields", "import", str(path))
    assert not FieldDefinition.objects.exists()


def test_it_refuses_broken_yaml(tmp_path):
    path = tmp_path / "fields.yaml"
    path.write_text("fields:\n- name: [unclosed\n")
    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("customfields", "import", str(path))


def test_it_refuses_an_import_that_changes_a_type_in_use(tmp_path, support):
    define("Seats", "integer")
    set_field_values(factories.ticket(support.queue), {"Seats": 2}, actor=support.rw)
    path = tmp_path / "fields.yaml"
    path.write_text(export().replace("field_type: integer", "field_type: text"))
    with pytest.raises(CommandError, match="type cannot change"):
        call_command("customfields", "import", str(path))
    assert FieldDefinition.objects.get(name="Seats").field_type == "integer"

"""The ticket history shows the labels of dropdown and multiselect values in the reader's
language; the rows keep the raw keys."""

from __future__ import annotations

import pytest
from django.utils import translation

from otrs.fields.actions import save_definition, set_field_values
from otrs.fields.models import FieldDefinition
from tests import factories
from tickets.choices import HistoryType
from tickets.history import describe
from tickets.models import TicketHistory

pytestmark = pytest.mark.django_db


def _define(name: str, field_type: str, options: list[tuple[str, str, str]]) -> FieldDefinition:
    definition = FieldDefinition(
        name=name,
        label=name,
        labels={"de": {"Product": "Produkt", "Sites": "Standorte"}[name]},
        object_type="ticket",
        field_type=field_type,
        screens={},
    )
    rows = [{"key": key, "label": en, "labels": {"de": de}} for key, en, de in options]
    return save_definition(definition, rows)


@pytest.fixture
def ticket(support):
    _define("Product", "dropdown", [("hw", "Hardware", "Geräte"), ("sw", "Software", "Programme")])
    _define("Sites", "multiselect", [("ber", "Berlin", "Berlin"), ("muc", "Munich", "München")])
    ticket = factories.ticket(support.queue)
    set_field_values(ticket, {"Product": "hw", "Sites": ["ber"]}, actor=support.rw)
    set_field_values(ticket, {"Product": "sw", "Sites": ["ber", "muc"]}, actor=support.rw)
    return ticket


def _field_rows(ticket):
    return TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
    ).order_by("id")


def test_rows_keep_raw_keys(ticket):
    raw = [(r.extra["field"], r.old_value, r.new_value) for r in _field_rows(ticket)]
    assert raw == [
        ("Product", "", "hw"),
        ("Sites", "", "ber"),
        ("Product", "hw", "sw"),
        ("Sites", "ber", "ber, muc"),
    ]


def test_the_history_reads_labels_in_the_agents_language(ticket):
    with translation.override("en"):
        english = [text for _row, text in describe(_field_rows(ticket))]
    with translation.override("de"):
        german = [text for _row, text in describe(_field_rows(ticket))]
    assert english[2] == "Field Product changed from “Hardware” to “Software”."
    assert english[3] == "Field Sites changed from “Berlin” to “Berlin, Munich”."
    assert german[2] == "Feld Produkt von „Geräte“ auf „Programme“ geändert."
    assert german[3] == "Feld Standorte von „Berlin“ auf „Berlin, München“ geändert."


def test_a_removed_value_or_field_shows_as_stored(ticket, django_assert_max_num_queries):
    FieldDefinition.objects.filter(name="Sites").delete()
    with translation.override("en"):
        rows = list(_field_rows(ticket))
        # The definitions cost two queries (fields, possible values) whatever the row count.
        with django_assert_max_num_queries(2):
            texts = [text for _row, text in describe(rows)]
    assert texts[3] == "Field Sites changed from “ber” to “ber, muc”."
    assert texts[2] == "Field Product changed from “Hardware” to “Software”."

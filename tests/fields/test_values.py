"""Values through the engine and the ticket action: every type round-trips, bad values are
refused naming the field, nothing is half written, history and events carry raw values."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from customers.models import CustomerCompany
from otrs.errors import DomainError
from otrs.fields.actions import FieldErrors, set_field_values
from otrs.fields.models import FieldDefinition, FieldValue
from otrs.fields.selectors import definitions, field_filter, values_for
from tests import factories
from tickets import actions
from tickets.choices import HistoryType
from tickets.models import Ticket, TicketHistory

from .helpers import define, every_type

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def sample_values(other_ticket) -> dict:
    return {
        "Contract": "C-123",
        "Notes": "Line one\nline two",
        "Urgent": True,
        "Product": "beta",
        "Sites": ["paris", "berlin"],
        "Seats": 42,
        "Amount": Decimal("1234.50"),
        "DueDate": date(2031, 5, 17),
        "Visit": datetime(2031, 5, 17, 9, 30, tzinfo=BERLIN),
        "Related": other_ticket.pk,
    }


def test_it_round_trips_every_type_through_the_action(support):
    every_type()
    ticket = factories.ticket(support.queue)
    other = factories.ticket(support.queue, title="Other")
    values = sample_values(other)

    changes = set_field_values(ticket, values, actor=support.rw)

    assert {c.definition.name for c in changes} == set(values)
    read = values_for("ticket", [ticket], definitions("ticket"))[ticket.pk]
    assert read == values
    # A multiselect value is one row per key, not a blob.
    assert FieldValue.objects.filter(field__name="Sites", object_id=ticket.pk).count() == 2


def test_it_writes_history_with_raw_values_and_an_event(support, outbox):
    every_type()
    ticket = factories.ticket(support.queue)
    set_field_values(ticket, {"Product": "alpha", "Seats": 3}, actor=support.rw)
    set_field_values(ticket, {"Product": "gamma", "Seats": 3}, actor=support.rw)

    rows = TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
    ).order_by("id")
    assert [(r.extra["field"], r.old_value, r.new_value) for r in rows] == [
        ("Product", "", "alpha"),
        ("Seats", "", "3"),
        ("Product", "alpha", "gamma"),
    ]
    events = outbox("TicketDynamicFieldUpdate")
    assert [(e[1], e[2]["field"], e[2]["old"], e[2]["new"]) for e in events] == [
        (ticket.pk, "Product", "", "alpha"),
        (ticket.pk, "Seats", "", "3"),
        (ticket.pk, "Product", "alpha", "gamma"),
    ]


def test_it_clears_a_value_with_none(support):
    define("Product", "dropdown", options=["alpha"])
    ticket = factories.ticket(support.queue)
    set_field_values(ticket, {"Product": "alpha"}, actor=support.rw)
    set_field_values(ticket, {"Product": None}, actor=support.rw)
    assert not FieldValue.objects.filter(object_id=ticket.pk).exists()
    last = TicketHistory.objects.filter(ticket=ticket).latest("id")
    assert (last.old_value, last.new_value) == ("alpha", "")


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("Contract", "X-1"),  # fails the regex
        ("Urgent", "maybe"),
        ("Product", "delta"),  # not a possible value
        ("Sites", ["paris", "oslo"]),
        ("Seats", 1001),  # out of range
        ("Seats", "many"),
        ("Amount", "1,2,3"),
        ("DueDate", "17.05.2031"),
        ("Visit", "tomorrow"),
        ("Related", 999999),
    ],
)
def test_it_refuses_a_bad_value_naming_the_field_and_writes_nothing(support, name, bad):
    every_type()
    ticket = factories.ticket(support.queue)
    before = Ticket.objects.get(pk=ticket.pk).changed_at

    with pytest.raises(FieldErrors) as refused:
        set_field_values(ticket, {"Product": "alpha", name: bad}, actor=support.rw)

    assert name in refused.value.errors
    assert name in str(refused.value)
    assert not FieldValue.objects.filter(object_id=ticket.pk).exists()
    assert not TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
    ).exists()
    assert Ticket.objects.get(pk=ticket.pk).changed_at == before


def test_it_uses_the_custom_regex_error(support):
    define("Contract", "text", settings={"regex": r"^C-\d+$", "regex_error": "Use C-<digits>."})
    ticket = factories.ticket(support.queue)
    with pytest.raises(FieldErrors, match=re.escape("Contract: Use C-<digits>.")):
        set_field_values(ticket, {"Contract": "nope"}, actor=support.rw)


def test_it_refuses_an_unknown_field(support):
    ticket = factories.ticket(support.queue)
    with pytest.raises(FieldErrors, match="Nonsense"):
        set_field_values(ticket, {"Nonsense": "1"}, actor=support.rw)


def test_it_refuses_an_agent_without_rw(support):
    define("Product", "dropdown", options=["alpha"])
    ticket = factories.ticket(support.queue)
    with pytest.raises(DomainError):
        set_field_values(ticket, {"Product": "alpha"}, actor=support.ro)
    assert not FieldValue.objects.exists()


def test_it_parses_every_type_from_text(support):
    fields = every_type()
    other = factories.ticket(support.queue, title="Other")
    texts = {
        "text": "C-9",
        "textarea": "free text",
        "checkbox": "1",
        "dropdown": "Beta",  # a label is accepted too
        "multiselect": "rome, paris",
        "integer": "17",
        "decimal": "3.25",
        "date": "2030-01-02",
        "datetime": "2030-01-02 03:04",
        "reference": other.number,
    }
    parsed = {k: fields[k].type.parse(fields[k], t) for k, t in texts.items()}
    assert parsed["dropdown"] == "beta"
    assert parsed["multiselect"] == ["rome", "paris"]
    assert parsed["reference"] == other.pk
    assert parsed["decimal"] == Decimal("3.25")
    # to_text reads back to the same value.
    for key, definition in fields.items():
        text = definition.type.to_text(definition, parsed[key])
        assert definition.type.parse(definition, text) == parsed[key], key


def test_it_searches_by_each_operator(support):
    every_type()
    t1 = factories.ticket(support.queue)
    t2 = factories.ticket(support.queue)
    t3 = factories.ticket(support.queue)
    set_field_values(t1, {"Product": "alpha", "Seats": 5, "Contract": "C-100"}, actor=support.rw)
    set_field_values(t2, {"Product": "beta", "Seats": 50, "Contract": "C-200"}, actor=support.rw)
    product = FieldDefinition.objects.get(name="Product")
    seats = FieldDefinition.objects.get(name="Seats")
    contract = FieldDefinition.objects.get(name="Contract")

    def found(q):
        return set(Ticket.objects.filter(q).values_list("pk", flat=True))

    assert found(field_filter(product, "equals", "alpha")) == {t1.pk}
    assert found(field_filter(product, "in", ["alpha", "beta"])) == {t1.pk, t2.pk}
    assert found(field_filter(seats, "range", (10, None))) == {t2.pk}
    assert found(field_filter(seats, "range", (None, 10))) == {t1.pk}
    assert found(field_filter(contract, "prefix", "C-1")) == {t1.pk}
    assert found(field_filter(contract, "contains", "20")) == {t2.pk}
    assert found(field_filter(product, "empty")) == {t3.pk}
    assert found(field_filter(product, "not_empty")) == {t1.pk, t2.pk}


def test_it_sets_fields_of_customer_objects_without_a_writer(db):
    define("Level", "dropdown", object_type="customer_company", options=["gold", "silver"])
    company = CustomerCompany.objects.create(customer_id="acme", name="Acme")
    set_field_values(company, {"Level": "gold"}, actor=factories.system())
    assert values_for("customer_company", [company], definitions("customer_company")) == {
        company.pk: {"Level": "gold"}
    }


def test_it_creates_a_ticket_with_values_in_one_transaction(support):
    define("Product", "dropdown", options=["alpha"])
    ticket = factories.ticket(support.queue, field_values={"Product": "alpha"})
    assert FieldValue.objects.get(object_id=ticket.pk).value_text == "alpha"
    assert TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
    ).exists()


def test_a_refused_value_creates_no_ticket(support):
    define("Product", "dropdown", options=["alpha"])
    with pytest.raises(FieldErrors):
        factories.ticket(support.queue, title="Nope", field_values={"Product": "zeta"})
    assert not Ticket.objects.filter(title="Nope").exists()


def test_an_article_can_carry_values(support):
    define("Product", "dropdown", options=["alpha"])
    ticket = factories.ticket(support.queue)
    actions.add_article(
        ticket,
        actions.ArticleInput(body="b", subject="s"),
        actor=support.rw,
        field_values={"Product": "alpha"},
    )
    assert FieldValue.objects.get(object_id=ticket.pk).value_text == "alpha"


def test_merge_copies_the_fields_marked_for_it_where_the_target_has_none(support):
    product = define("Product", "dropdown", options=["alpha", "beta"])
    product.copy_on_merge = True
    product.save()
    define("Seats", "integer")  # not marked: stays behind
    seats_marked = define("Level", "integer")
    seats_marked.copy_on_merge = True
    seats_marked.save()
    source = factories.ticket(support.queue)
    target = factories.ticket(support.queue)
    set_field_values(source, {"Product": "alpha", "Seats": 4, "Level": 1}, actor=support.rw)
    set_field_values(target, {"Level": 9}, actor=support.rw)

    actions.merge_tickets(source, target, actor=support.rw)

    assert values_for("ticket", [target], definitions("ticket"))[target.pk] == {
        "Product": "alpha",  # copied: the target had none
        "Level": 9,  # the target's own value stays
    }

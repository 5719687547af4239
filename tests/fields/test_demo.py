"""loaddemo defines Product, ContractNumber and DueDate on tickets and sets them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from otrs.fields.models import FieldDefinition, FieldValue
from tickets.choices import Channel
from tickets.management.commands import loaddemo
from tickets.models import Article

pytestmark = pytest.mark.django_db


def test_the_demo_defines_and_sets_custom_fields(monkeypatch):
    # A few tickets are enough here; links and merges between them need more.
    monkeypatch.setattr(loaddemo, "TICKET_COUNT", 12)
    monkeypatch.setattr(loaddemo._DemoTickets, "_relations", lambda self, tickets: None)
    call_command("loaddemo", force=True, stdout=StringIO())

    fields = {d.name: d for d in FieldDefinition.objects.all()}
    assert {n: d.field_type for n, d in fields.items()} == {
        "Product": "dropdown",
        "ContractNumber": "text",
        "DueDate": "date",
        "CallReason": "dropdown",
        # The demo process's approval (tickets/management/commands/_process_demo.py).
        "ChangeApproval": "dropdown",
    }
    assert fields["CallReason"].object_type == "article"
    assert [o.key for o in fields["Product"].options()] == ["office", "mail", "vpn", "erp"]
    # Every demo ticket has a product, some a contract number and a due date.
    assert FieldValue.objects.filter(field__name="Product").count() == 12
    assert FieldValue.objects.filter(field__name="ContractNumber").exists()
    assert FieldValue.objects.filter(field__name="DueDate").exists()
    # The phone tickets' calls have a reason (an article field), shown in the zoom.
    reasons = FieldValue.objects.filter(field__name="CallReason", object_type="article")
    phone_calls = Article.objects.filter(channel=Channel.PHONE, pk__in=reasons.values("object_id"))
    assert reasons.exists() and phone_calls.count() == reasons.count()

    # Running it again defines nothing twice and keeps an administrator's change.
    FieldDefinition.objects.filter(name="Product").update(label="Our products")
    call_command("loaddemo", force=True, stdout=StringIO())
    assert FieldDefinition.objects.count() == len(fields)
    assert FieldDefinition.objects.get(name="Product").label == "Our products"

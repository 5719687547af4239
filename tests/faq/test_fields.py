"""Custom fields on FAQ items: the create and properties forms take them (a value the field
refuses is named and nothing is written), the item page shows them, and the item's history
records the change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from faq.choices import HistoryType, ItemState
from faq.fields import FAQ_ITEM, FAQ_ITEM_SCREEN
from faq.models import FaqItem
from otrs.fields.selectors import values_for
from tests import factories
from tests.faq import category, item, signed_in
from tests.fields.helpers import define

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return define(
        "Product",
        "text",
        object_type=FAQ_ITEM,
        settings={"regex": r"^P-\d+$"},
        screens={FAQ_ITEM_SCREEN: "shown"},
    )


def test_it_creates_an_item_with_a_custom_field_and_refuses_a_bad_value(product):
    editors = factories.group("faq-field-editors")
    editor = factories.agent("faq_field_editor")
    factories.grant(editor, editors, factories.RW)
    cat = category(edit=[editors])
    client = signed_in(editor)
    form = client.get(reverse("agent:faq_item_add")).content.decode()
    assert 'name="field_Product"' in form
    data = {
        "category": cat.pk,
        "language": "en",
        "state": ItemState.INTERNAL,
        "title": "Printer drivers",
        "solution": "Install them.",
    }
    refused = client.post(reverse("agent:faq_item_add"), {**data, "field_Product": "nope"})
    assert refused.status_code in (200, 400)
    assert not FaqItem.objects.filter(title="Printer drivers").exists()

    made = client.post(reverse("agent:faq_item_add"), {**data, "field_Product": "P-42"})
    assert made.status_code == 302
    found = FaqItem.objects.get(title="Printer drivers")
    assert values_for(FAQ_ITEM, [found.pk], [product])[found.pk] == {"Product": "P-42"}
    page = client.get(reverse("agent:faq_item", args=[found.pk])).content.decode()
    assert "P-42" in page


def test_the_properties_form_changes_a_custom_field_with_a_history_row(product):
    agent = factories.agent("faq_field_admin", is_superuser=True)
    found = item(category(), "Scanner", state=ItemState.INTERNAL)
    url = reverse("agent:faq_item_properties", args=[found.pk])
    changed = signed_in(agent).post(
        url,
        {
            "category": found.category_id,
            "state": ItemState.INTERNAL,
            "valid": "on",
            "field_Product": "P-7",
        },
    )
    assert changed.status_code == 302
    assert values_for(FAQ_ITEM, [found.pk], [product])[found.pk] == {"Product": "P-7"}
    row = found.history.get(type=HistoryType.FIELDS_CHANGED)
    assert row.new == {"field:Product": "P-7"} and row.actor == agent

"""The custom-field admin: create with possible values and screens, preview, refused breaking
changes, delete confirmation with the count, reorder, YAML export and import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from otrs.fields.actions import set_field_values
from otrs.fields.models import FieldDefinition, PossibleValue
from tests import factories

from .helpers import define

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


def form_data(**overrides):
    data = {
        "name": "Product",
        "label": "Product",
        "labels": '{"de": "Produkt"}',
        "object_type": "ticket",
        "field_type": "dropdown",
        "valid": "on",
        "order": "1",
        "settings": "{}",
        "screen__ticket__zoom": "shown",
        "screen__ticket__free_fields": "required",
        "possible_values-TOTAL_FORMS": "2",
        "possible_values-INITIAL_FORMS": "0",
        "possible_values-0-key": "alpha",
        "possible_values-0-label": "Alpha",
        "possible_values-0-labels": "{}",
        "possible_values-0-valid": "on",
        "possible_values-0-order": "0",
        "possible_values-1-key": "beta",
        "possible_values-1-label": "Beta",
        "possible_values-1-labels": "{}",
        "possible_values-1-valid": "on",
        "possible_values-1-order": "1",
    }
    data.update(overrides)
    return data


def test_it_creates_a_field_with_possible_values_and_screens(admin_client_):
    response = admin_client_.post(reverse("admin:fields_fielddefinition_add"), form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    field = FieldDefinition.objects.get(name="Product")
    assert field.screens == {"zoom": "shown", "free_fields": "required"}
    assert field.labels == {"de": "Produkt"}
    assert [o.key for o in field.options()] == ["alpha", "beta"]


def test_it_shows_the_list_and_a_widget_preview(admin_client_):
    field = define("Product", "dropdown", options=["alpha"])
    listing = admin_client_.get(reverse("admin:fields_fielddefinition_changelist"))
    assert b"Product" in listing.content
    page = admin_client_.get(reverse("admin:fields_fielddefinition_change", args=[field.pk]))
    assert b'class="field-preview"' in page.content
    assert b'<option value="alpha">Alpha</option>' in page.content


def test_it_refuses_a_type_change_in_use_with_the_count(admin_client_, support):
    field = define("Seats", "integer")
    set_field_values(factories.ticket(support.queue), {"Seats": 3}, actor=support.rw)
    data = form_data(name="Seats", label="Seats", field_type="text")
    data["possible_values-TOTAL_FORMS"] = "0"
    response = admin_client_.post(
        reverse("admin:fields_fielddefinition_change", args=[field.pk]), data
    )
    assert response.status_code == 200
    assert "1 object has a value" in response.content.decode()
    assert FieldDefinition.objects.get(pk=field.pk).field_type == "integer"


def test_it_refuses_deleting_a_possible_value_in_use(admin_client_, support):
    field = define("Product", "dropdown", options=["alpha", "beta"])
    set_field_values(factories.ticket(support.queue), {"Product": "alpha"}, actor=support.rw)
    alpha, beta = field.options()
    data = form_data()
    data.update(
        {
            "possible_values-INITIAL_FORMS": "2",
            "possible_values-0-id": str(alpha.pk),
            "possible_values-0-field": str(field.pk),
            "possible_values-0-DELETE": "on",
            "possible_values-1-id": str(beta.pk),
            "possible_values-1-field": str(field.pk),
        }
    )
    response = admin_client_.post(
        reverse("admin:fields_fielddefinition_change", args=[field.pk]), data
    )
    assert response.status_code == 200
    assert "alpha cannot be removed: 1 object" in response.content.decode()
    assert PossibleValue.objects.filter(key="alpha").exists()


def test_the_delete_confirmation_names_the_count(admin_client_, support):
    field = define("Product", "dropdown", options=["alpha"])
    for _ in range(2):
        set_field_values(factories.ticket(support.queue), {"Product": "alpha"}, actor=support.rw)
    url = reverse("admin:fields_fielddefinition_delete", args=[field.pk])
    assert "2 objects have a value of this field" in admin_client_.get(url).content.decode()
    admin_client_.post(url, {"post": "yes"})
    assert not FieldDefinition.objects.exists()


def test_it_reorders_in_the_list(admin_client_):
    a = define("Alpha", "text", order=1)
    b = define("Beta", "text", order=2)
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": str(a.pk),
        "form-0-order": "5",
        "form-0-valid": "on",
        "form-1-id": str(b.pk),
        "form-1-order": "3",
        "form-1-valid": "on",
        "_save": "Save",
    }
    response = admin_client_.post(reverse("admin:fields_fielddefinition_changelist"), data)
    assert response.status_code == 302
    assert FieldDefinition.objects.get(pk=a.pk).order == 5
    assert FieldDefinition.objects.get(pk=b.pk).order == 3


def test_it_exports_and_imports_yaml(admin_client_):
    define("Product", "dropdown", options=["alpha", "beta"], labels={"de": "Produkt"})
    define("DueDate", "date", settings={"restriction": "no_past"})
    exported = admin_client_.post(
        reverse("admin:fields_fielddefinition_changelist"),
        {
            "action": "export_yaml",
            "_selected_action": list(FieldDefinition.objects.values_list("pk", flat=True)),
        },
    )
    text = exported.content
    assert b"name: Product" in text
    FieldDefinition.objects.all().delete()
    response = admin_client_.post(
        reverse("admin:fields_fielddefinition_import"),
        {"file": SimpleUploadedFile("f.yaml", text)},
    )
    assert response.status_code == 302
    product = FieldDefinition.objects.get(name="Product")
    assert product.labels == {"de": "Produkt"}
    assert [o.key for o in product.options()] == ["alpha", "beta"]
    assert FieldDefinition.objects.get(name="DueDate").settings == {"restriction": "no_past"}


def test_a_refused_import_names_the_line_and_field_and_imports_nothing(admin_client_):
    text = (
        "fields:\n"
        "- name: Good\n  label: Good\n  object_type: ticket\n  field_type: text\n"
        "- name: Bad\n  label: Bad\n  object_type: ticket\n  field_type: teleporter\n"
    )
    response = admin_client_.post(
        reverse("admin:fields_fielddefinition_import"),
        {"file": SimpleUploadedFile("f.yaml", text.encode())},
    )
    assert response.status_code == 400
    assert "line 6, field Bad" in response.content.decode()
    assert not FieldDefinition.objects.exists()

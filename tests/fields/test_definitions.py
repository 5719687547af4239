"""Definition changes never silently break stored values."""

from __future__ import annotations

import pytest

from otrs.errors import DomainError
from otrs.fields.actions import FieldErrors, delete_definition, save_definition, set_field_values
from otrs.fields.models import FieldDefinition, FieldValue, PossibleValue
from tests import factories

from .helpers import define

pytestmark = pytest.mark.django_db


def options(*keys):
    return [{"key": k, "label": k.title()} for k in keys]


def test_it_renames_a_label_freely(support):
    field = define("Product", "dropdown", options=["alpha"])
    set_field_values(factories.ticket(support.queue), {"Product": "alpha"}, actor=support.rw)
    field.label = "Our product"
    field.labels = {"de": "Unser Produkt"}
    save_definition(field)
    assert FieldDefinition.objects.get(pk=field.pk).label == "Our product"


def test_it_refuses_a_type_change_while_values_exist_naming_the_count(support):
    field = define("Seats", "integer")
    for n in range(3):
        set_field_values(factories.ticket(support.queue), {"Seats": n}, actor=support.rw)
    field.field_type = "text"
    with pytest.raises(FieldErrors, match="3 objects have a value"):
        save_definition(field)
    assert FieldDefinition.objects.get(pk=field.pk).field_type == "integer"


def test_it_allows_a_type_change_without_values(db):
    field = define("Seats", "integer")
    field.field_type = "text"
    save_definition(field)
    assert FieldDefinition.objects.get(pk=field.pk).field_type == "text"


def test_it_refuses_removing_a_possible_value_in_use(support):
    field = define("Product", "dropdown", options=["alpha", "beta"])
    set_field_values(factories.ticket(support.queue), {"Product": "alpha"}, actor=support.rw)
    with pytest.raises(FieldErrors, match="alpha cannot be removed: 1 object"):
        save_definition(field, options("beta"))
    assert set(PossibleValue.objects.values_list("key", flat=True)) == {"alpha", "beta"}
    # An unused one goes.
    save_definition(field, options("alpha"))
    assert set(PossibleValue.objects.values_list("key", flat=True)) == {"alpha"}


def test_an_invalidated_possible_value_is_kept_but_not_offered(support):
    field = define("Product", "dropdown", options=["alpha", "beta"])
    save_definition(field, [*options("alpha"), {"key": "beta", "label": "Beta", "valid": False}])
    with pytest.raises(FieldErrors):
        set_field_values(factories.ticket(support.queue), {"Product": "beta"}, actor=support.rw)


def test_it_refuses_bad_settings(db):
    with pytest.raises(FieldErrors, match="regular expression"):
        define("Contract", "text", settings={"regex": "("})
    with pytest.raises(FieldErrors, match="Unknown setting"):
        define("Seats", "integer", settings={"colour": "red"})
    with pytest.raises(FieldErrors, match="target"):
        define("Ref", "reference", settings={"target": "spaceship"})
    assert not FieldDefinition.objects.exists()


def test_deleting_a_field_with_values_needs_the_count_confirmed(support):
    field = define("Product", "dropdown", options=["alpha"])
    for _ in range(2):
        set_field_values(factories.ticket(support.queue), {"Product": "alpha"}, actor=support.rw)
    with pytest.raises(DomainError, match="2 objects"):
        delete_definition(field)
    with pytest.raises(DomainError):
        delete_definition(field, confirmed_count=1)
    assert delete_definition(field, confirmed_count=2) == 2
    assert not FieldValue.objects.exists()

"""Field definitions, their possible values, and the typed values of every object."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .registry import ScreenMode, object_type
from .types import FIELD_TYPES, FieldType

NAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9]*$",
    _("Letters and digits only, starting with a letter (it is used in mail headers and tags)."),
)


def _label_in(labels: dict, default: str) -> str:
    """The label in the active language (``de`` for ``de-at`` too), else ``default``."""
    language = translation.get_language() or ""
    return labels.get(language) or labels.get(language.split("-")[0]) or default


class FieldDefinition(models.Model):
    """A custom field (OTRS: dynamic field) of one object type."""

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        validators=[NAME_VALIDATOR],
        help_text=_("Stable key, used in mail headers, tags, search and imports."),
    )
    label = models.CharField(_("label"), max_length=200)
    # Labels per language code ({"de": "Produkt"}); the label above is the fallback.
    labels = models.JSONField(_("labels per language"), default=dict, blank=True)
    object_type = models.CharField(_("object type"), max_length=50)
    field_type = models.CharField(_("field type"), max_length=30)
    valid = models.BooleanField(_("valid"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    # Type-specific settings, checked against the type's settings_spec.
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # How the field appears per screen: {"zoom": "shown", "free_fields": "required"}; a screen
    # missing here shows nothing (off).
    screens = models.JSONField(_("screens"), default=dict, blank=True)
    # OTRS Ticket::MergeDynamicFields: merging copies the value to the target ticket when the
    # target has none.
    copy_on_merge = models.BooleanField(
        _("copy on merge"),
        default=False,
        help_text=_("Merging copies the value to the target when the target has none."),
    )

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["object_type", "order", "name"]
        indexes = [
            # The fields of an object type, in order (every form and page that shows fields).
            models.Index(fields=["object_type", "valid", "order"], name="fields_def_type_order"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def type(self) -> FieldType:
        return FIELD_TYPES[self.field_type]

    def display_label(self) -> str:
        return _label_in(self.labels or {}, self.label)

    def screen_mode(self, screen: str) -> ScreenMode:
        try:
            return ScreenMode((self.screens or {}).get(screen, ScreenMode.OFF))
        except ValueError:
            return ScreenMode.OFF

    def object_type_label(self) -> str:
        registered = object_type(self.object_type)
        return str(registered.label) if registered is not None else self.object_type

    # --- possible values (dropdown, multiselect); prefetched as "possible_values" where read
    def options(self, *, valid_only: bool = True) -> list[PossibleValue]:
        rows = list(self.possible_values.all())
        return [o for o in rows if o.valid or not valid_only]

    def option(self, key: str, *, valid_only: bool = False) -> PossibleValue | None:
        return next((o for o in self.options(valid_only=valid_only) if o.key == key), None)

    def option_by_label(self, text: str) -> PossibleValue | None:
        text = text.casefold()
        for option in self.options():
            labels = {option.label, option.display_label(), *option.labels.values()}
            if text in {label.casefold() for label in labels}:
                return option
        return None

    def option_label(self, option: PossibleValue) -> str:
        label = option.display_label()
        if (self.settings or {}).get("translatable") and label == option.label:
            return gettext(label)
        return label

    # --- values
    def clean_value(self, value: Any) -> Any:
        return None if self.type.is_empty(value) else self.type.clean(self, value)


class PossibleValue(models.Model):
    """One possible value of a dropdown or multiselect field."""

    field = models.ForeignKey(
        FieldDefinition, on_delete=models.CASCADE, related_name="possible_values"
    )
    key = models.CharField(_("key"), max_length=255)
    label = models.CharField(_("label"), max_length=255)
    labels = models.JSONField(_("labels per language"), default=dict, blank=True)
    valid = models.BooleanField(_("valid"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("possible value")
        verbose_name_plural = _("possible values")
        ordering = ["field", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["field", "key"], name="fields_possible_value_key"),
        ]

    def __str__(self) -> str:
        return self.key

    def display_label(self) -> str:
        return _label_in(self.labels or {}, self.label)


class FieldValue(models.Model):
    """One stored value: the field's type decides which value column holds it; a multiselect
    value is one row per selected key. ``object_type`` repeats the field's so that an object's
    values are one index lookup without a join."""

    field = models.ForeignKey(FieldDefinition, on_delete=models.CASCADE, related_name="values")
    object_type = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    # NULL, not "", in the columns a row's type does not use: an empty string would be a value
    # (and would fill the text index with rows of every other type).
    value_text = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    value_long = models.TextField(null=True, blank=True)  # noqa: DJ001
    value_int = models.BigIntegerField(null=True, blank=True)
    value_decimal = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    value_datetime = models.DateTimeField(null=True, blank=True)
    value_ref = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("field value")
        verbose_name_plural = _("field values")
        indexes = [
            # The values of a page of objects (values_for) and of one object (its writes).
            models.Index(fields=["object_type", "object_id"], name="fields_value_object"),
            # Search by a field: one index per kind of value, led by the field, ending with
            # the object. The object id in the key serves both ways a search runs: a range of
            # one value read from the index alone (the ids to join or count), and a probe
            # "does this ticket have this value" while the search walks the tickets in their
            # order and stops after a page (PostgreSQL's nested-loop semi-join; see
            # bench/README.md, bench_fields.py).
            models.Index(fields=["field", "value_text", "object_id"], name="fields_value_text"),
            # "Starts with" on text (LIKE 'x%'): PostgreSQL uses a b-tree for it only with the
            # pattern operator class when the collation is not C (opclasses are PostgreSQL's;
            # elsewhere this is a plain index).
            models.Index(
                fields=["field", "value_text", "object_id"],
                name="fields_value_text_prefix",
                opclasses=["int8_ops", "varchar_pattern_ops", "int8_ops"],
            ),
            models.Index(fields=["field", "value_int", "object_id"], name="fields_value_int"),
            models.Index(
                fields=["field", "value_decimal", "object_id"], name="fields_value_decimal"
            ),
            models.Index(fields=["field", "value_date", "object_id"], name="fields_value_date"),
            models.Index(
                fields=["field", "value_datetime", "object_id"], name="fields_value_datetime"
            ),
            models.Index(fields=["field", "value_ref", "object_id"], name="fields_value_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.field_id} {self.object_type} {self.object_id}"

    def stored(self, column: str) -> Any:
        return getattr(self, column)

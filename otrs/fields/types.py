"""The field types: one class each, registered by key in :data:`FIELD_TYPES`.

A type knows, for a definition (:class:`~otrs.fields.models.FieldDefinition`), how to check its
settings, clean a Python value (``clean``: raises :class:`django.core.exceptions.ValidationError`
with a message about the value; the caller names the field), parse one from text (mail headers,
YAML, search forms), write it as raw text (history, CSV, YAML), render it for people, build its
form field and which column of :class:`~otrs.fields.models.FieldValue` stores it. Values in
Python: ``str`` (text, textarea, dropdown key), ``bool`` (checkbox), ``list[str]`` (multiselect
keys), ``int``, ``Decimal``, ``date``, aware ``datetime`` and ``int`` (a reference's primary key).
``None`` (or an empty string or list) means "not set": no row.

Other apps (FAQ, CMDB) reuse these classes through the same definitions; a new type is a
subclass registered with :func:`register_field_type`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .registry import reference_targets

if TYPE_CHECKING:
    from .models import FieldDefinition

TEXT_MAX = 255
TRUE_WORDS = frozenset({"1", "true", "yes", "on", "checked", "ja", "x"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "unchecked", "nein"})


class FieldType:
    """Base: a single text value in ``value_text``."""

    key: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    column: ClassVar[str] = "value_text"
    multiple: ClassVar[bool] = False
    has_options: ClassVar[bool] = False
    # The search operators this type offers (see otrs.fields.selectors.field_filter).
    operators: ClassVar[tuple[str, ...]] = ("equals", "in", "empty", "not_empty")
    # Settings this type knows, with their type (a definition's settings are checked against it).
    settings_spec: ClassVar[dict[str, type | tuple[type, ...]]] = {}

    # --- settings
    def settings_errors(self, settings: dict) -> list[str]:
        if not isinstance(settings, dict):
            return [_("Settings must be a mapping.")]
        errors = []
        for name, value in settings.items():
            expected = self.settings_spec.get(name)
            if expected is None:
                errors.append(_("Unknown setting %(name)s.") % {"name": name})
            elif value is not None and not isinstance(value, expected):
                errors.append(_("The setting %(name)s has the wrong type.") % {"name": name})
        return errors

    # --- values
    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == []

    def clean(self, definition: FieldDefinition, value: Any) -> Any:
        """The value checked and normalised; ValidationError if it is not acceptable."""
        return value

    def parse(self, definition: FieldDefinition, text: str) -> Any:
        """A value from text (a header, a YAML scalar, a search box); then ``clean`` it."""
        text = (text or "").strip()
        return self.clean(definition, text) if text else None

    def to_text(self, definition: FieldDefinition, value: Any) -> str:
        """The raw value as text (history rows, CSV, YAML); ``parse`` reads it back."""
        return "" if value is None else str(value)

    def render(self, definition: FieldDefinition, value: Any) -> str:
        """The value as people read it (labels, localised numbers and dates)."""
        return self.to_text(definition, value)

    # --- storage: the column values of a value's rows, and the value back from them
    def to_db(self, value: Any) -> list[Any]:
        return [value]

    def from_db(self, stored: list[Any]) -> Any:
        return stored[0] if stored else None

    # --- forms
    def formfield(self, definition: FieldDefinition, *, required: bool = False) -> forms.Field:
        return forms.CharField(
            label=definition.display_label(), required=required, max_length=TEXT_MAX
        )

    def from_form(self, definition: FieldDefinition, cleaned: Any) -> Any:
        return None if self.is_empty(cleaned) else self.clean(definition, cleaned)

    def to_form(self, definition: FieldDefinition, value: Any) -> Any:
        return value

    # --- the API
    def json_schema(self, definition: FieldDefinition | None = None) -> dict[str, Any]:
        """The JSON schema (OpenAPI 3.0 dialect) of one value of this type as the API writes
        and reads it; with a ``definition``, its own limits too (possible values, range)."""
        return {"type": "string"}


class TextType(FieldType):
    key = "text"
    label = gettext_lazy("Text")
    operators: ClassVar[tuple[str, ...]] = (
        "equals",
        "in",
        "contains",
        "prefix",
        "empty",
        "not_empty",
    )
    settings_spec = {"regex": str, "regex_error": str, "default": str}

    def settings_errors(self, settings: dict) -> list[str]:
        errors = super().settings_errors(settings)
        if not errors and settings.get("regex"):
            try:
                re.compile(settings["regex"])
            except re.error as exc:
                errors.append(_("The regular expression is invalid: %(error)s") % {"error": exc})
        return errors

    def clean(self, definition, value):
        if not isinstance(value, str):
            raise ValidationError(_("Expected text."))
        value = value.strip()
        if len(value) > TEXT_MAX:
            raise ValidationError(_("At most %(max)d characters.") % {"max": TEXT_MAX})
        regex = definition.settings.get("regex")
        if value and regex and not re.search(regex, value):
            raise ValidationError(
                definition.settings.get("regex_error") or _("The value has the wrong format.")
            )
        return value or None

    def json_schema(self, definition=None):
        return {"type": "string", "maxLength": TEXT_MAX}


class TextareaType(TextType):
    key = "textarea"
    label = gettext_lazy("Text area")
    column = "value_long"
    operators = ("contains", "empty", "not_empty")
    settings_spec = {"regex": str, "regex_error": str, "default": str, "rows": int}
    LONG_MAX = 100_000

    def clean(self, definition, value):
        if not isinstance(value, str):
            raise ValidationError(_("Expected text."))
        # Browsers send line breaks as CRLF; stored (and compared, searched) as LF, so the
        # same text from a form, a header or the API is the same value.
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(value) > self.LONG_MAX:
            raise ValidationError(_("At most %(max)d characters.") % {"max": self.LONG_MAX})
        regex = definition.settings.get("regex")
        if value and regex and not re.search(regex, value):
            raise ValidationError(
                definition.settings.get("regex_error") or _("The value has the wrong format.")
            )
        return value or None

    def parse(self, definition, text):
        text = (text or "").strip()
        return self.clean(definition, text) if text else None

    def formfield(self, definition, *, required=False):
        rows = definition.settings.get("rows") or 4
        return forms.CharField(
            label=definition.display_label(),
            required=required,
            widget=forms.Textarea(attrs={"rows": rows}),
        )

    def json_schema(self, definition=None):
        return {"type": "string", "maxLength": self.LONG_MAX}


class CheckboxType(FieldType):
    key = "checkbox"
    label = gettext_lazy("Checkbox")
    column = "value_int"
    operators = ("equals", "empty", "not_empty")
    settings_spec = {"default": bool}

    def is_empty(self, value):
        return value is None or value == ""

    def clean(self, definition, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        raise ValidationError(_("Expected checked or not checked (1 or 0)."))

    def parse(self, definition, text):
        text = (text or "").strip()
        return None if text == "" else self.clean(definition, text)

    def to_text(self, definition, value):
        return "" if value is None else ("1" if value else "0")

    def render(self, definition, value):
        return "" if value is None else (_("Checked") if value else _("Not checked"))

    def to_db(self, value):
        return [1 if value else 0]

    def from_db(self, stored):
        return bool(stored[0]) if stored else None

    def formfield(self, definition, *, required=False):
        # A required checkbox means "must be ticked", as in OTRS.
        return forms.BooleanField(label=definition.display_label(), required=required)

    def from_form(self, definition, cleaned):
        return bool(cleaned)

    def json_schema(self, definition=None):
        return {"type": "boolean"}


class DropdownType(FieldType):
    key = "dropdown"
    label = gettext_lazy("Dropdown")
    has_options = True
    settings_spec = {"translatable": bool, "empty_choice": bool, "default": str}

    def _option(self, definition, key: str):
        return definition.option(key)

    def clean(self, definition, value):
        if not isinstance(value, str):
            raise ValidationError(_("Expected the key of a possible value."))
        value = value.strip()
        if not value:
            return None
        if definition.option(value, valid_only=True) is None:
            raise ValidationError(_("%(value)s is not a possible value.") % {"value": value})
        return value

    def parse(self, definition, text):
        text = (text or "").strip()
        if not text:
            return None
        option = definition.option(text, valid_only=True) or definition.option_by_label(text)
        return DropdownType.clean(self, definition, option.key if option is not None else text)

    def render(self, definition, value):
        if value is None:
            return ""
        option = definition.option(value)
        return definition.option_label(option) if option is not None else str(value)

    def choices(self, definition) -> list[tuple[str, str]]:
        return [(o.key, definition.option_label(o)) for o in definition.options()]

    def formfield(self, definition, *, required=False):
        choices = self.choices(definition)
        if not required or definition.settings.get("empty_choice", True):
            choices = [("", "-"), *choices]
        return forms.ChoiceField(
            label=definition.display_label(), required=required, choices=choices
        )

    def json_schema(self, definition=None):
        # Every key, retired ones too: an old value keeps its key.
        keys = [o.key for o in definition.options(valid_only=False)] if definition else []
        return {"type": "string", **({"enum": keys} if keys else {})}


class MultiselectType(DropdownType):
    key = "multiselect"
    label = gettext_lazy("Multiselect")
    multiple = True
    operators = ("equals", "in", "empty", "not_empty")
    settings_spec = {"translatable": bool, "default": list}

    def clean(self, definition, value):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple | set):
            raise ValidationError(_("Expected a list of keys of possible values."))
        keys: list[str] = []
        for item in value:
            key = DropdownType.clean(self, definition, item)
            if key is not None and key not in keys:
                keys.append(key)
        return keys or None

    def parse(self, definition, text):
        keys = []
        for part in re.split(r"[,;]", text or ""):
            if part.strip():
                keys.append(DropdownType.parse(self, definition, part))
        return self.clean(definition, keys) if keys else None

    def to_text(self, definition, value):
        return ", ".join(value or [])

    def render(self, definition, value):
        return ", ".join(DropdownType.render(self, definition, key) for key in value or [])

    def to_db(self, value):
        return list(value)

    def from_db(self, stored):
        return list(stored) or None

    def formfield(self, definition, *, required=False):
        return forms.MultipleChoiceField(
            label=definition.display_label(),
            required=required,
            choices=self.choices(definition),
            widget=forms.CheckboxSelectMultiple,
        )

    def from_form(self, definition, cleaned):
        return self.clean(definition, list(cleaned or []))

    def json_schema(self, definition=None):
        return {"type": "array", "items": DropdownType.json_schema(self, definition)}


class IntegerType(FieldType):
    key = "integer"
    label = gettext_lazy("Integer")
    column = "value_int"
    operators = ("equals", "in", "range", "empty", "not_empty")
    settings_spec = {"min": int, "max": int, "default": int}
    LIMIT = 2**63 - 1

    def clean(self, definition, value):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(_("Expected a whole number."))
        try:
            number = int(value)
        except ValueError:
            raise ValidationError(_("Expected a whole number.")) from None
        return self._in_range(definition, number)

    def _in_range(self, definition, number):
        low, high = definition.settings.get("min"), definition.settings.get("max")
        if abs(number) > self.LIMIT:
            raise ValidationError(_("The number is too large."))
        if low is not None and number < low:
            raise ValidationError(_("At least %(min)s.") % {"min": low})
        if high is not None and number > high:
            raise ValidationError(_("At most %(max)s.") % {"max": high})
        return number

    def render(self, definition, value):
        return "" if value is None else formats.localize(value)

    def formfield(self, definition, *, required=False):
        return forms.IntegerField(
            label=definition.display_label(),
            required=required,
            min_value=definition.settings.get("min"),
            max_value=definition.settings.get("max"),
        )

    def json_schema(self, definition=None):
        return {"type": "integer", **self._limits(definition)}

    def _limits(self, definition) -> dict[str, Any]:
        settings = definition.settings if definition is not None else {}
        found = {"minimum": settings.get("min"), "maximum": settings.get("max")}
        return {name: value for name, value in found.items() if value is not None}


class DecimalType(IntegerType):
    key = "decimal"
    label = gettext_lazy("Decimal")
    column = "value_decimal"
    settings_spec = {"min": (int, float), "max": (int, float), "places": int, "default": str}
    LIMIT = 10**17

    def clean(self, definition, value):
        if isinstance(value, bool):
            raise ValidationError(_("Expected a number."))
        try:
            number = Decimal(str(value).strip().replace(",", ".")) if value != "" else None
        except InvalidOperation:
            raise ValidationError(_("Expected a number.")) from None
        if number is None or not number.is_finite():
            raise ValidationError(_("Expected a number."))
        places = definition.settings.get("places")
        places = 6 if places is None else min(max(places, 0), 6)
        number = number.quantize(Decimal(1).scaleb(-places))
        return self._in_range(definition, number)

    def to_text(self, definition, value):
        return "" if value is None else format(value, "f")

    def from_db(self, stored):
        if not stored:
            return None
        places = 6
        return Decimal(stored[0]).quantize(Decimal(1).scaleb(-places)).normalize()

    def formfield(self, definition, *, required=False):
        return forms.DecimalField(
            label=definition.display_label(),
            required=required,
            decimal_places=definition.settings.get("places") or 6,
            localize=True,
        )

    def json_schema(self, definition=None):
        return {"type": "number", **self._limits(definition)}


def _years(years: int | None) -> timedelta | None:
    return None if years is None else timedelta(days=int(365.25 * years))


class DateType(FieldType):
    key = "date"
    label = gettext_lazy("Date")
    column = "value_date"
    operators = ("equals", "range", "empty", "not_empty")
    # restriction: "none", "no_future", "no_past"; years_past/years_future: how far either way.
    settings_spec = {"restriction": str, "years_past": int, "years_future": int}

    def settings_errors(self, settings):
        errors = super().settings_errors(settings)
        if not errors and settings.get("restriction", "none") not in (
            "none",
            "no_future",
            "no_past",
        ):
            errors.append(_("restriction must be none, no_future or no_past."))
        return errors

    def _day(self, value) -> date:
        if isinstance(value, datetime):
            return timezone.localdate(value) if timezone.is_aware(value) else value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                parsed = parse_date(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None:
                return parsed
        raise ValidationError(_("Expected a date (YYYY-MM-DD)."))

    def _check_window(self, definition, moment, now):
        settings = definition.settings
        restriction = settings.get("restriction") or "none"
        if restriction == "no_future" and moment > now:
            raise ValidationError(_("A date in the future is not allowed."))
        if restriction == "no_past" and moment < now:
            raise ValidationError(_("A date in the past is not allowed."))
        past, future = _years(settings.get("years_past")), _years(settings.get("years_future"))
        if past is not None and moment < now - past:
            raise ValidationError(_("The date is too far in the past."))
        if future is not None and moment > now + future:
            raise ValidationError(_("The date is too far in the future."))

    def clean(self, definition, value):
        day = self._day(value)
        self._check_window(definition, day, timezone.localdate())
        return day

    def to_text(self, definition, value):
        return "" if value is None else value.isoformat()

    def render(self, definition, value):
        return "" if value is None else formats.date_format(value, "SHORT_DATE_FORMAT")

    def formfield(self, definition, *, required=False):
        return forms.DateField(
            label=definition.display_label(),
            required=required,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )

    def json_schema(self, definition=None):
        return {"type": "string", "format": "date"}


class DateTimeType(DateType):
    key = "datetime"
    label = gettext_lazy("Date and time")
    column = "value_datetime"

    def clean(self, definition, value):
        if isinstance(value, str):
            text = value.strip().replace("T", " ")
            try:
                parsed = parse_datetime(text)
            except ValueError:
                parsed = None
            if parsed is None:
                raise ValidationError(_("Expected a date and time (YYYY-MM-DD HH:MM)."))
            value = parsed
        if not isinstance(value, datetime):
            raise ValidationError(_("Expected a date and time (YYYY-MM-DD HH:MM)."))
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        self._check_window(definition, value, timezone.now())
        return value

    def to_text(self, definition, value):
        # Raw values are in UTC, whoever wrote them (history rows, CSV, YAML).
        return "" if value is None else value.astimezone(UTC).isoformat()

    def render(self, definition, value):
        if value is None:
            return ""
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")

    def formfield(self, definition, *, required=False):
        return forms.DateTimeField(
            label=definition.display_label(),
            required=required,
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        )

    def to_form(self, definition, value):
        return timezone.localtime(value) if value is not None else None

    def json_schema(self, definition=None):
        return {"type": "string", "format": "date-time"}


class ReferenceType(FieldType):
    """A reference to an object of a registered target (``settings["target"]``)."""

    key = "reference"
    label = gettext_lazy("Reference")
    column = "value_ref"
    operators = ("equals", "in", "empty", "not_empty")
    settings_spec = {"target": str}

    def settings_errors(self, settings):
        errors = super().settings_errors(settings)
        if not errors and settings.get("target") not in reference_targets():
            errors.append(
                _("target must be one of: %(targets)s")
                % {"targets": ", ".join(sorted(reference_targets()))}
            )
        return errors

    def _target(self, definition):
        target = reference_targets().get(definition.settings.get("target", ""))
        if target is None:
            raise ValidationError(_("The field points at an unknown kind of object."))
        return target

    def _queryset(self, target):
        manager = target.model_class()._default_manager
        return manager.filter(**target.extra.get("limit_to", {}))

    def clean(self, definition, value):
        target = self._target(definition)
        if hasattr(value, "_meta"):
            value = value.pk
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("Expected the id of an object."))
        if not self._queryset(target).filter(pk=value).exists():
            raise ValidationError(_("No such object: %(value)s.") % {"value": value})
        return value

    def parse(self, definition, text):
        text = (text or "").strip()
        if not text:
            return None
        target = self._target(definition)
        # Names first (a ticket number is digits too), then the primary key.
        for name in target.lookup_fields:
            found = self._queryset(target).filter(**{f"{name}__iexact": text}).first()
            if found is not None:
                return found.pk
        if not text.isdigit():
            raise ValidationError(_("No such object: %(value)s.") % {"value": text})
        return self.clean(definition, text)

    def render(self, definition, value):
        if value is None:
            return ""
        return self.describe_many(definition, [value]).get(value, f"#{value}")

    def describe_many(self, definition, ids) -> dict[int, str]:
        """How the objects ``ids`` read, in one query (an id no longer there is left out).
        A target's ``extra["select_related"]`` names what its ``describe`` reads."""
        target = self._target(definition)
        queryset = self._queryset(target).filter(pk__in=set(ids))
        related = target.extra.get("select_related")
        if related:
            queryset = queryset.select_related(*related)
        return {found.pk: target.describe(found) for found in queryset}

    def formfield(self, definition, *, required=False):
        return forms.CharField(
            label=definition.display_label(),
            required=required,
            help_text=gettext_lazy("An id or a name."),
        )

    def from_form(self, definition, cleaned):
        return self.parse(definition, str(cleaned or ""))

    def json_schema(self, definition=None):
        settings = definition.settings if definition is not None else {}
        target = reference_targets().get(settings.get("target", ""))
        return {
            "type": "integer",
            "description": f"The id of the referenced {target.key}."
            if target
            else "The referenced object's id.",
        }


FIELD_TYPES: dict[str, FieldType] = {}


def register_field_type(field_type: FieldType) -> None:
    FIELD_TYPES[field_type.key] = field_type


for _type in (
    TextType(),
    TextareaType(),
    CheckboxType(),
    DropdownType(),
    MultiselectType(),
    IntegerType(),
    DecimalType(),
    DateType(),
    DateTimeType(),
    ReferenceType(),
):
    register_field_type(_type)


def field_type_choices() -> list[tuple[str, str]]:
    return [(t.key, str(t.label)) for t in FIELD_TYPES.values()]

"""The condition tree: attributes, operators, evaluation on one object and as a ``Q``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Op(StrEnum):
    EQUALS = "equals"
    IN = "in"
    RANGE = "range"
    OLDER_THAN = "older_than"
    NEWER_THAN = "newer_than"
    EMPTY = "empty"
    NOT_EMPTY = "not_empty"
    CONTAINS = "contains"


class Kind(StrEnum):
    """What an attribute's values are: it decides the operators and how text is read."""

    TEXT = "text"  # compared ignoring case
    CHOICE = "choice"  # a key out of a list (an id, a code)
    NUMBER = "number"
    DATETIME = "datetime"


OPERATORS: dict[Kind, tuple[Op, ...]] = {
    Kind.TEXT: (Op.EQUALS, Op.IN, Op.CONTAINS, Op.EMPTY, Op.NOT_EMPTY),
    Kind.CHOICE: (Op.EQUALS, Op.IN, Op.EMPTY, Op.NOT_EMPTY),
    Kind.NUMBER: (Op.EQUALS, Op.IN, Op.RANGE, Op.EMPTY, Op.NOT_EMPTY),
    Kind.DATETIME: (Op.RANGE, Op.OLDER_THAN, Op.NEWER_THAN, Op.EMPTY, Op.NOT_EMPTY),
}

UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
UNIT_LABELS = {
    "minutes": gettext_lazy("minutes"),
    "hours": gettext_lazy("hours"),
    "days": gettext_lazy("days"),
}
# More than a century back is a typo, not a rule.
MAX_RELATIVE_SECONDS = 100 * 366 * 86400


@dataclass(frozen=True)
class Attribute:
    """One thing a condition can test.

    ``path``: the ORM lookup path on the model of the querysets the schema filters. ``choices``
    (for CHOICE): the valid keys with their labels, read when a condition is checked or
    parsed. ``multiple``: the object's value is a list (a multiselect); a test holds when it
    holds for one of its items. ``q``: a compiler of its own (``(op, value) -> Q``) for an
    attribute that is no column (a custom field's value table), given ``(op, value, now)``
    with range bounds in their kind; it must mean what
    :func:`matches` computes from the object's value.
    """

    name: str
    label: Any
    kind: Kind
    path: str | None = None
    choices: Callable[[], Iterable[tuple[Any, Any]]] | None = None
    multiple: bool = False
    operators: tuple[Op, ...] | None = None
    q: Callable[[Op, Any, datetime], Q] | None = None

    def allowed(self) -> tuple[Op, ...]:
        return self.operators if self.operators is not None else OPERATORS[self.kind]

    def choice_map(self) -> dict[Any, Any]:
        return dict(self.choices()) if self.choices is not None else {}


@dataclass
class Schema:
    """The attributes one kind of object offers, by name."""

    attributes: dict[str, Attribute] = field(default_factory=dict)

    @classmethod
    def of(cls, attributes: Iterable[Attribute]) -> Schema:
        return cls({a.name: a for a in attributes})

    def get(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def __iter__(self) -> Iterator[Attribute]:
        return iter(self.attributes.values())


# --- walking the tree -------------------------------------------------------------------------


def _children(node: Mapping, key: str) -> list:
    children = node.get(key)
    if not isinstance(children, list):
        raise ValidationError(_("“%(key)s” needs a list of conditions.") % {"key": key})
    return children


def attributes_in(tree: Mapping | None) -> set[str]:
    """The names of the attributes ``tree`` tests (to load only those of an object)."""
    if not tree:
        return set()
    if "all" in tree or "any" in tree:
        return set().union(*(attributes_in(c) for c in tree.get("all", tree.get("any", []))))
    if "not" in tree:
        return attributes_in(tree["not"])
    return {str(tree.get("attr", ""))}


def relative_delta(value: Any) -> timedelta:
    return timedelta(seconds=int(value["amount"]) * UNITS[value["unit"]])


# --- evaluation on one object -----------------------------------------------------------------


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _scalar(attribute: Attribute, value: Any) -> Any:
    """A value as stored in JSON back in its kind (times are kept as ISO text)."""
    if attribute.kind == Kind.DATETIME and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _is_empty(actual: Any) -> bool:
    return actual is None or actual == "" or actual == []


def _test(attribute: Attribute, op: str, expected: Any, actual: Any, now: datetime) -> bool:
    if op == Op.EMPTY:
        return _is_empty(actual)
    if op == Op.NOT_EMPTY:
        return not _is_empty(actual)
    if attribute.multiple:
        items = actual if isinstance(actual, list) else ([] if actual is None else [actual])
        plain = Attribute(attribute.name, attribute.label, attribute.kind)
        return any(_test(plain, op, expected, item, now) for item in items)
    if actual is None:
        return False
    text = attribute.kind == Kind.TEXT
    if op == Op.EQUALS:
        return _fold(actual) == _fold(expected) if text else actual == expected
    if op == Op.IN:
        options = [_fold(v) for v in expected] if text else list(expected)
        return (_fold(actual) if text else actual) in options
    if op == Op.CONTAINS:
        return str(expected).casefold() in str(actual).casefold()
    if op == Op.RANGE:
        low, high = (_scalar(attribute, b) for b in expected)
        return (low is None or actual >= low) and (high is None or actual <= high)
    if op == Op.OLDER_THAN:
        return actual <= now - relative_delta(expected)
    if op == Op.NEWER_THAN:
        return actual > now - relative_delta(expected)
    raise ValueError(f"unknown operator {op}")


def matches(tree: Mapping | None, schema: Schema, obj: Mapping[str, Any], now: datetime) -> bool:
    """Whether ``obj`` (``{attribute name: value}``; a missing name is an empty value)
    satisfies ``tree`` at ``now``. An empty tree holds for everything."""
    if not tree:
        return True
    if "all" in tree:
        return all(matches(c, schema, obj, now) for c in _children(tree, "all"))
    if "any" in tree:
        return any(matches(c, schema, obj, now) for c in _children(tree, "any"))
    if "not" in tree:
        return not matches(tree["not"], schema, obj, now)
    attribute = _attribute(schema, tree)
    return _test(attribute, tree["op"], tree.get("value"), obj.get(attribute.name), now)


# --- compiled to a queryset filter ------------------------------------------------------------


def _leaf_q(attribute: Attribute, op: str, value: Any, now: datetime) -> Q:
    if op in (Op.OLDER_THAN, Op.NEWER_THAN):
        # A relative time is a range as of ``now``: the custom compilers see it so.
        bound = now - relative_delta(value)
        if attribute.q is not None:
            # "older than" is "at or before the bound"; "newer than" the rest of the non-empty.
            older = attribute.q(Op.RANGE, (None, bound), now)
            if op == Op.OLDER_THAN:
                return older
            return attribute.q(Op.NOT_EMPTY, None, now) & ~older
        lookup = "lte" if op == Op.OLDER_THAN else "gt"
        return Q(**{f"{attribute.path}__{lookup}": bound})
    if attribute.q is not None:
        if op == Op.RANGE:
            value = tuple(_scalar(attribute, b) for b in value)
        return attribute.q(Op(op), value, now)
    path = str(attribute.path)
    text = attribute.kind == Kind.TEXT
    if op == Op.EMPTY:
        empty = Q(**{f"{path}__isnull": True})
        return empty | Q(**{path: ""}) if text else empty
    if op == Op.NOT_EMPTY:
        return ~_leaf_q(attribute, Op.EMPTY, None, now)
    if op == Op.EQUALS:
        return Q(**{f"{path}__iexact" if text else path: value})
    if op == Op.IN:
        if text:
            condition = Q(pk__in=[])
            for item in value:
                condition |= Q(**{f"{path}__iexact": item})
            return condition
        return Q(**{f"{path}__in": list(value)})
    if op == Op.CONTAINS:
        return Q(**{f"{path}__icontains": value})
    if op == Op.RANGE:
        low, high = (_scalar(attribute, b) for b in value)
        condition = Q()
        if low is not None:
            condition &= Q(**{f"{path}__gte": low})
        if high is not None:
            condition &= Q(**{f"{path}__lte": high})
        # "between nothing and nothing" still needs a value, as matches() does.
        return condition & Q(**{f"{path}__isnull": False})
    raise ValueError(f"unknown operator {op}")


def to_q(tree: Mapping | None, schema: Schema, now: datetime) -> Q:
    """``tree`` as a filter on the schema's model, with relative times taken at ``now``:
    the rows for which :func:`matches` holds."""
    if not tree:
        return Q()
    if "all" in tree:
        condition = Q()
        for child in _children(tree, "all"):
            condition &= to_q(child, schema, now)
        return condition
    if "any" in tree:
        condition = Q(pk__in=[])
        for child in _children(tree, "any"):
            condition |= to_q(child, schema, now)
        return condition
    if "not" in tree:
        return ~to_q(tree["not"], schema, now)
    attribute = _attribute(schema, tree)
    return _leaf_q(attribute, tree["op"], tree.get("value"), now)


def _attribute(schema: Schema, node: Mapping) -> Attribute:
    attribute = schema.get(str(node.get("attr", "")))
    if attribute is None:
        raise ValidationError(
            _("There is no attribute “%(name)s”.") % {"name": node.get("attr", "")}
        )
    return attribute


# --- validation -------------------------------------------------------------------------------


def condition_errors(tree: Mapping | None, schema: Schema, *, where: str = "") -> list[str]:
    """What is wrong with ``tree``, each message naming the part (``where`` prefixes them)."""
    if not tree:
        return []
    if not isinstance(tree, Mapping):
        return [_("%(where)sA condition must be a mapping.") % {"where": where}]
    for key in ("all", "any"):
        if key in tree:
            children = tree[key]
            if not isinstance(children, list):
                return [_("“%(key)s” needs a list of conditions.") % {"key": key}]
            errors: list[str] = []
            for number, child in enumerate(children, 1):
                errors += condition_errors(child, schema, where=f"{where}{key} {number}: ")
            return errors
    if "not" in tree:
        return condition_errors(tree["not"], schema, where=f"{where}not: ")
    return _leaf_errors(tree, schema, where)


def _leaf_errors(node: Mapping, schema: Schema, where: str) -> list[str]:
    name = str(node.get("attr", ""))
    attribute = schema.get(name)
    if attribute is None:
        return [_("%(where)sThere is no attribute “%(name)s”.") % {"where": where, "name": name}]
    where = f"{where}{name}: "
    op = node.get("op")
    if op not in attribute.allowed():
        return [
            _("%(where)sThe operator “%(op)s” does not apply here (possible: %(ops)s).")
            % {"where": where, "op": op, "ops": ", ".join(attribute.allowed())}
        ]
    value = node.get("value")
    try:
        _check_value(attribute, Op(op), value)
    except ValidationError as error:
        return [f"{where}{message}" for message in error.messages]
    return []


def _check_value(attribute: Attribute, op: Op, value: Any) -> None:
    if op in (Op.EMPTY, Op.NOT_EMPTY):
        return
    if op in (Op.OLDER_THAN, Op.NEWER_THAN):
        if (
            not isinstance(value, Mapping)
            or value.get("unit") not in UNITS
            or not isinstance(value.get("amount"), int)
            or isinstance(value.get("amount"), bool)
            or value["amount"] < 0
        ):
            raise ValidationError(_("A relative time needs a whole number and a unit."))
        if value["amount"] * UNITS[value["unit"]] > MAX_RELATIVE_SECONDS:
            raise ValidationError(_("A relative time of more than a century is not allowed."))
        return
    if op == Op.RANGE:
        if not isinstance(value, list | tuple) or len(value) != 2 or value == [None, None]:
            raise ValidationError(_("A range needs a lower or an upper bound."))
        for bound in value:
            if bound is not None:
                _check_scalar(attribute, bound)
        low, high = (_scalar(attribute, b) for b in value)
        if low is not None and high is not None and low > high:
            raise ValidationError(_("The lower bound is above the upper bound."))
        return
    if op == Op.IN:
        if not isinstance(value, list | tuple) or not value:
            raise ValidationError(_("Give at least one value."))
        for item in value:
            _check_scalar(attribute, item)
        return
    _check_scalar(attribute, value)


def _check_scalar(attribute: Attribute, value: Any) -> None:
    if attribute.kind == Kind.CHOICE:
        known = attribute.choice_map()
        if value not in known:
            raise ValidationError(_("“%(value)s” does not exist.") % {"value": value})
    elif attribute.kind == Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": value})
    elif attribute.kind == Kind.DATETIME:
        try:
            value = _scalar(attribute, value)
        except ValueError:
            value = None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValidationError(_("“%(value)s” is not a date and time.") % {"value": value})
    elif not isinstance(value, str) or not value:
        raise ValidationError(_("Give a text."))


def validate(tree: Mapping | None, schema: Schema) -> None:
    """Raise ``ValidationError`` with every error of ``tree``."""
    errors = condition_errors(tree, schema)
    if errors:
        raise ValidationError(errors)

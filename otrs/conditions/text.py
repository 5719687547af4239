"""The text form of a condition, one test per line, all lines together (AND)::

    queue in Raw, Junk
    state type = pending auto
    not lock = lock
    created older than 30 days
    changed newer than 2 hours
    title contains invoice
    field:Severity = high
    field:Budget between 10 and 200
    customer user is empty
    escalation = escalated

Operators: ``=`` (or ``is``), ``in`` (values separated by commas), ``contains``, ``between A
and B``, ``>=``, ``<=``, ``older than N minutes|hours|days``, ``newer than N ...``, ``is
empty``, ``is not empty``; ``not`` before a line negates it. Values of a list (a queue, a
state) are written by name; lines starting with ``#`` are comments. :func:`parse` reports
each error with its line number and attribute; :func:`format` writes a tree back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .core import UNITS, Attribute, Kind, Op, Schema, condition_errors

_LINE = re.compile(
    r"^(?P<negate>not\s+)?(?P<attr>.+?)\s+"
    r"(?P<op>=|is not empty$|is empty$|is|in|contains|between|>=|<=|older than|newer than)"
    r"(?:\s+(?P<value>.*))?$",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"^(?P<amount>\d+)\s*(?P<unit>minutes?|hours?|days?)$", re.IGNORECASE)
_BETWEEN = re.compile(r"^(?P<low>.+?)\s+and\s+(?P<high>.+)$", re.IGNORECASE)


def _scalar(attribute: Attribute, text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    if not text:
        raise ValidationError(_("A value is missing."))
    if attribute.kind == Kind.CHOICE:
        wanted = text.casefold()
        for key, label in attribute.choice_map().items():
            if str(label).casefold() == wanted or str(key).casefold() == wanted:
                return key
        raise ValidationError(_("“%(value)s” does not exist.") % {"value": text})
    if attribute.kind == Kind.NUMBER:
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": text}) from None
        return int(number) if number == number.to_integral_value() else float(number)
    if attribute.kind == Kind.DATETIME:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not a date and time (YYYY-MM-DD HH:MM).") % {"value": text}
            ) from None
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        return when.isoformat()
    return text


def _value(attribute: Attribute, op: Op, text: str) -> Any:
    if op in (Op.EMPTY, Op.NOT_EMPTY):
        return None
    if op == Op.IN:
        return [_scalar(attribute, part) for part in text.split(",") if part.strip()]
    if op in (Op.OLDER_THAN, Op.NEWER_THAN):
        found = _RELATIVE.match(text.strip())
        if not found:
            raise ValidationError(_("Write a relative time as “30 days”, “2 hours”, “15 minutes”."))
        unit = found["unit"].lower()
        return {"amount": int(found["amount"]), "unit": unit if unit.endswith("s") else unit + "s"}
    if op == Op.RANGE:
        found = _BETWEEN.match(text.strip())
        if not found:
            raise ValidationError(_("Write a range as “between A and B”."))
        return [_scalar(attribute, found["low"]), _scalar(attribute, found["high"])]
    return _scalar(attribute, text)


def _operator(word: str) -> tuple[Op, str]:
    word = word.lower()
    return {
        "=": (Op.EQUALS, ""),
        "is": (Op.EQUALS, ""),
        "in": (Op.IN, ""),
        "contains": (Op.CONTAINS, ""),
        "between": (Op.RANGE, ""),
        ">=": (Op.RANGE, "low"),
        "<=": (Op.RANGE, "high"),
        "older than": (Op.OLDER_THAN, ""),
        "newer than": (Op.NEWER_THAN, ""),
        "is empty": (Op.EMPTY, ""),
        "is not empty": (Op.NOT_EMPTY, ""),
    }[word]


def parse_line(line: str, schema: Schema) -> dict:
    found = _LINE.match(line.strip())
    if not found:
        raise ValidationError(_("Write a test as “attribute operator value”."))
    name = found["attr"].strip()
    attribute = schema.get(name) or schema.get(name.lower())
    if attribute is None:
        raise ValidationError(_("There is no attribute “%(name)s”.") % {"name": name})
    op, side = _operator(found["op"])
    text = found["value"] or ""
    if side:
        value: Any = _scalar(attribute, text)
        value = [value, None] if side == "low" else [None, value]
    else:
        value = _value(attribute, op, text)
    leaf: dict = {"attr": attribute.name, "op": str(op)}
    if value is not None:
        leaf["value"] = value
    return {"not": leaf} if found["negate"] else leaf


def parse(text: str, schema: Schema) -> dict:
    """The tree written in ``text``; ``ValidationError`` naming the line of each error."""
    tests: list[dict] = []
    errors: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            node = parse_line(line, schema)
        except ValidationError as error:
            errors += [
                _("Line %(number)s (%(line)s): %(error)s")
                % {"number": number, "line": line, "error": message}
                for message in error.messages
            ]
            continue
        for message in condition_errors(node, schema):
            errors.append(
                _("Line %(number)s (%(line)s): %(error)s")
                % {"number": number, "line": line, "error": message}
            )
        tests.append(node)
    if errors:
        raise ValidationError(errors)
    return {"all": tests} if tests else {}


def _show(attribute: Attribute | None, value: Any) -> str:
    if attribute is not None and attribute.kind == Kind.CHOICE:
        return str(attribute.choice_map().get(value, value))
    return str(value)


def format_line(node: Mapping, schema: Schema) -> str:
    if "not" in node:
        return "not " + format_line(node["not"], schema)
    name = str(node.get("attr", ""))
    attribute = schema.get(name)
    op = node.get("op")
    value: Any = node.get("value")
    if op == Op.EQUALS:
        return f"{name} = {_show(attribute, value)}"
    if op == Op.IN:
        return f"{name} in {', '.join(_show(attribute, v) for v in value)}"
    if op == Op.CONTAINS:
        return f"{name} contains {value}"
    if op == Op.EMPTY:
        return f"{name} is empty"
    if op == Op.NOT_EMPTY:
        return f"{name} is not empty"
    if op in (Op.OLDER_THAN, Op.NEWER_THAN):
        word = "older than" if op == Op.OLDER_THAN else "newer than"
        return f"{name} {word} {value['amount']} {value['unit']}"
    low, high = value
    if low is None:
        return f"{name} <= {_show(attribute, high)}"
    if high is None:
        return f"{name} >= {_show(attribute, low)}"
    return f"{name} between {_show(attribute, low)} and {_show(attribute, high)}"


def format(tree: Mapping | None, schema: Schema) -> str:
    """``tree`` as text that :func:`parse` reads back to the same tree (trees made of one
    "all" of tests, as the text writes them)."""
    if not tree:
        return ""
    nodes = tree.get("all", [tree])
    return "\n".join(format_line(node, schema) for node in nodes)


__all__ = ["UNITS", "format", "format_line", "parse", "parse_line"]

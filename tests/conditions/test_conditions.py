"""The condition language on its own: evaluation on plain mappings, validation naming the
part, and the text form read and written back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from otrs.conditions import Attribute, Kind, Op, Schema, condition_errors, matches, validate
from otrs.conditions import text as condition_text

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

SCHEMA = Schema.of(
    [
        Attribute("title", "Title", Kind.TEXT, "title"),
        Attribute("colour", "Colour", Kind.CHOICE, "colour", lambda: [(1, "red"), (2, "blue")]),
        Attribute(
            "tags", "Tags", Kind.CHOICE, None, lambda: [("a", "A"), ("b", "B")], multiple=True
        ),
        Attribute("size", "Size", Kind.NUMBER, "size"),
        Attribute("created", "Created", Kind.DATETIME, "created"),
    ]
)


def leaf(attr, op, value=None):
    node = {"attr": attr, "op": op}
    if value is not None:
        node["value"] = value
    return node


@pytest.mark.parametrize(
    ("node", "obj", "expected"),
    [
        (leaf("title", Op.EQUALS, "Printer"), {"title": "printer"}, True),
        (leaf("title", Op.EQUALS, "Printer"), {"title": "printers"}, False),
        (leaf("title", Op.CONTAINS, "INT"), {"title": "printer"}, True),
        (leaf("title", Op.CONTAINS, "x"), {}, False),
        (leaf("title", Op.IN, ["a", "B"]), {"title": "b"}, True),
        (leaf("title", Op.EMPTY), {"title": ""}, True),
        (leaf("title", Op.EMPTY), {}, True),
        (leaf("title", Op.NOT_EMPTY), {"title": "x"}, True),
        (leaf("colour", Op.EQUALS, 1), {"colour": 1}, True),
        (leaf("colour", Op.IN, [2]), {"colour": 1}, False),
        (leaf("tags", Op.EQUALS, "a"), {"tags": ["b", "a"]}, True),
        (leaf("tags", Op.IN, ["a"]), {"tags": ["b"]}, False),
        (leaf("tags", Op.EMPTY), {"tags": []}, True),
        (leaf("size", Op.RANGE, [2, 4]), {"size": 4}, True),
        (leaf("size", Op.RANGE, [2, None]), {"size": 1}, False),
        (leaf("size", Op.RANGE, [None, 4]), {}, False),
        (
            leaf("created", Op.OLDER_THAN, {"amount": 2, "unit": "days"}),
            {"created": NOW - timedelta(days=2)},
            True,
        ),
        (
            leaf("created", Op.OLDER_THAN, {"amount": 2, "unit": "days"}),
            {"created": NOW - timedelta(days=1)},
            False,
        ),
        (
            leaf("created", Op.NEWER_THAN, {"amount": 90, "unit": "minutes"}),
            {"created": NOW - timedelta(minutes=89)},
            True,
        ),
        (leaf("created", Op.NEWER_THAN, {"amount": 1, "unit": "hours"}), {}, False),
        (
            leaf("created", Op.RANGE, [(NOW - timedelta(days=1)).isoformat(), None]),
            {"created": NOW},
            True,
        ),
        ({"not": leaf("colour", Op.EQUALS, 1)}, {}, True),
        ({"any": []}, {}, False),
        ({"all": []}, {}, True),
        ({"any": [leaf("size", Op.EQUALS, 1), leaf("size", Op.EQUALS, 2)]}, {"size": 2}, True),
    ],
)
def test_it_evaluates_each_operator_on_a_mapping(node, obj, expected):
    assert matches(node, SCHEMA, obj, NOW) is expected


def test_it_names_the_part_of_each_error():
    tree = {
        "all": [
            leaf("nope", Op.EQUALS, 1),
            leaf("colour", Op.EQUALS, 9),
            leaf("size", Op.CONTAINS, "x"),
            {"not": leaf("created", Op.OLDER_THAN, {"amount": -1, "unit": "days"})},
            leaf("size", Op.RANGE, [5, 1]),
        ]
    }
    errors = condition_errors(tree, SCHEMA)
    assert errors == [
        "all 1: There is no attribute “nope”.",
        "all 2: colour: “9” does not exist.",
        "all 3: size: The operator “contains” does not apply here (possible: equals, in, range, "
        "empty, not_empty).",
        "all 4: not: created: A relative time needs a whole number and a unit.",
        "all 5: size: The lower bound is above the upper bound.",
    ]
    with pytest.raises(ValidationError):
        validate(tree, SCHEMA)


def test_the_text_form_reads_every_operator_and_writes_it_back():
    written = "\n".join(
        [
            "title contains printer",
            "colour in red, blue",
            "not colour = red",
            "tags = A",
            "size between 2 and 5",
            "size >= 3",
            "size <= 7",
            "created older than 30 days",
            "created newer than 2 hours",
            "title is empty",
            "title is not empty",
        ]
    )
    tree = condition_text.parse(written, SCHEMA)
    assert tree["all"][1] == {"attr": "colour", "op": "in", "value": [1, 2]}
    assert tree["all"][2] == {"not": {"attr": "colour", "op": "equals", "value": 1}}
    assert tree["all"][7]["value"] == {"amount": 30, "unit": "days"}
    assert condition_text.format(tree, SCHEMA) == written
    assert condition_text.parse(condition_text.format(tree, SCHEMA), SCHEMA) == tree


def test_the_text_form_names_the_line_of_each_error():
    with pytest.raises(ValidationError) as raised:
        condition_text.parse("colour = red\n\nshape = round\ncolour = green\nsize = big", SCHEMA)
    assert raised.value.messages == [
        "Line 3 (shape = round): There is no attribute “shape”.",
        "Line 4 (colour = green): “green” does not exist.",
        "Line 5 (size = big): “big” is not a number.",
    ]


def test_an_empty_text_is_no_condition_and_holds_for_everything():
    assert condition_text.parse("  \n# a comment\n", SCHEMA) == {}
    assert matches({}, SCHEMA, {"title": "x"}, NOW)

"""One condition language for every rule of the help desk (issue 15, part 5).

A *condition* is a small tree of plain JSON data, stored as it is on the rule that uses it
(a GenericAgent job's selection, later ACL properties, notification filters and process
transitions)::

    {"all": [node, ...]}      every child holds (an empty list: always)
    {"any": [node, ...]}      at least one child holds (an empty list: never)
    {"not": node}             the child does not hold
    {"attr": "state", "op": "in", "value": [1, 4]}     one test on one attribute

What an attribute is, and how to read it from an object or a table, is the business of the
app that offers it: it builds a :class:`Schema` of :class:`Attribute` entries. This package
gives the two evaluations, which mean the same by construction and are tested against each
other on a data set (``tests/conditions``):

- :func:`matches` on one object, given as a mapping ``{attribute name: value}``;
- :func:`to_q` a Django ``Q`` for a queryset (a selection of thousands of objects);

and :func:`validate` (each error names the part: the line or the attribute), and the text form
people edit (:mod:`otrs.conditions.text`, :class:`otrs.conditions.forms.ConditionField`).

This package imports no domain app.
"""

from __future__ import annotations

from .core import (
    Attribute,
    Kind,
    Op,
    Schema,
    attributes_in,
    condition_errors,
    matches,
    to_q,
    validate,
)

__all__ = [
    "Attribute",
    "Kind",
    "Op",
    "Schema",
    "attributes_in",
    "condition_errors",
    "matches",
    "to_q",
    "validate",
]

"""ACLs (spec section 10), first part: the rules' evaluation and the debugger's answer.

An :class:`~tickets.models.AclRule`'s properties are a condition in the one condition
language (:mod:`otrs.conditions`) on :func:`acl_schema`: the ticket's attributes (as the
form has them: the stored ticket merged with the values chosen so far), plus ``agent`` (the
user at the screen) and ``screen`` (the screen's name). Rules apply in name order; for each
field a rule changes:

1. ``possible`` resets the list to the *original* options it names (a later ``possible``
   rebuilds from the original list, it does not intersect);
2. ``possible_add`` adds original options it names;
3. ``possible_not`` removes the options it names.

``stop_after_match`` ends the evaluation after a rule that matched and changed something.
:func:`evaluate` returns the final lists and, per rule, whether it matched and what it
removed or added: the debugger shows exactly this, so its answer is the evaluation's.

Not done yet: applying the result in the forms (agent screens, customer portal, API),
the admin editor with YAML import/export, and ACLs on actions/screens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs.accounts.models import User, UserKind
from otrs.conditions import Attribute, Kind, Op, Schema, condition_errors, matches

from ..models import SLA, AclRule, Priority, Queue, Service, State, Ticket, TicketType
from .attributes import facts_for, ticket_schema

# The fields an ACL can restrict, with the model of their options.
FIELDS: dict[str, Any] = {
    "queue": Queue,
    "state": State,
    "priority": Priority,
    "type": TicketType,
    "service": Service,
    "sla": SLA,
}
KEYS = ("possible", "possible_add", "possible_not")


def acl_schema(screens: Iterable[str] = ()) -> Schema:
    schema = ticket_schema()
    agents = User.objects.filter(kind=UserKind.AGENT).order_by("username")
    schema.attributes["agent"] = Attribute(
        "agent",
        gettext_lazy("Agent"),
        Kind.CHOICE,
        choices=lambda: list(agents.values_list("pk", "username")),
        operators=(Op.EQUALS, Op.IN),
    )
    schema.attributes["screen"] = Attribute(
        "screen", gettext_lazy("Screen"), Kind.TEXT, operators=(Op.EQUALS, Op.IN)
    )
    return schema


def rule_errors(rule: AclRule) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    found = condition_errors(rule.properties, acl_schema())
    if found:
        errors["properties"] = found
    problems = []
    changes = rule.changes or {}
    if not isinstance(changes, dict):
        # Valid JSON that is no object (a number, a list) names no field.
        errors["changes"] = [_("Enter an object: the fields with their restrictions.")]
        return errors
    for name, change in changes.items():
        model = FIELDS.get(name)
        if model is None:
            problems.append(_("%(field)s: no ACL can restrict this field.") % {"field": name})
            continue
        if not isinstance(change, dict):
            problems.append(
                _("%(field)s: enter an object of possible, possible_add or possible_not.")
                % {"field": name}
            )
            continue
        for key, ids in change.items():
            if key not in KEYS:
                problems.append(
                    _("%(field)s: “%(key)s” is none of possible, possible_add, possible_not.")
                    % {"field": name, "key": key}
                )
                continue
            if not isinstance(ids, list) or not all(
                isinstance(value, int) and not isinstance(value, bool) for value in ids
            ):
                problems.append(
                    _("%(field)s.%(key)s: enter a list of ids.") % {"field": name, "key": key}
                )
                continue
            known = set(model.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))
            problems += [
                _("%(field)s.%(key)s: “%(value)s” does not exist.")
                % {"field": name, "key": key, "value": value}
                for value in ids
                if value not in known
            ]
    if problems:
        errors["changes"] = problems
    return errors


@dataclass
class Step:
    """What one rule did: matched or not, and per field what it removed and added."""

    rule: AclRule
    matched: bool
    removed: dict[str, list[int]] = field(default_factory=dict)
    added: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Decision:
    original: dict[str, list[int]]
    final: dict[str, list[int]]
    steps: list[Step]


def evaluate(
    options: Mapping[str, list[int]],
    *,
    ticket: Ticket | None,
    agent: User,
    screen: str,
    chosen: Mapping[str, Any] | None = None,
    rules: Iterable[AclRule] | None = None,
    now: datetime | None = None,
) -> Decision:
    """The options each field keeps (``options``: field -> the ids a form would offer)
    for ``agent`` at ``screen`` on ``ticket`` (None: a new ticket) with the values
    ``chosen`` in the form so far (attribute name -> value)."""
    now = now or timezone.now()
    rules = list(AclRule.objects.filter(valid=True).order_by("name") if rules is None else rules)
    schema = acl_schema()
    facts: dict[str, Any] = {}
    if ticket is not None:
        tree = {"all": [r.properties for r in rules if r.properties]}
        facts.update(facts_for(tree, ticket, now))
    facts.update(chosen or {})
    facts["agent"] = agent.pk
    facts["screen"] = screen
    original = {name: list(ids) for name, ids in options.items()}
    current = {name: list(ids) for name, ids in options.items()}
    steps = []
    for rule in rules:
        step = Step(rule, matches(rule.properties, schema, facts, now))
        steps.append(step)
        if not step.matched:
            continue
        for name, change in (rule.changes or {}).items():
            if name not in current:
                continue
            before = current[name]
            after = list(before)
            if "possible" in change:
                after = [i for i in original[name] if i in set(change["possible"])]
            if "possible_add" in change:
                wanted = set(change["possible_add"]) | set(after)
                after = [i for i in original[name] if i in wanted]
            if "possible_not" in change:
                after = [i for i in after if i not in set(change["possible_not"])]
            current[name] = after
            removed = [i for i in before if i not in after]
            added = [i for i in after if i not in before]
            if removed:
                step.removed[name] = removed
            if added:
                step.added[name] = added
        if rule.stop_after_match and (step.removed or step.added):
            break
    return Decision(original=original, final=current, steps=steps)


def default_options() -> dict[str, list[int]]:
    """Every valid option of every field (what a form offers before ACLs)."""
    found = {}
    for name, model in FIELDS.items():
        rows = model.objects.all()
        if hasattr(model, "is_valid"):
            rows = rows.filter(is_valid=True)
        found[name] = list(rows.order_by("pk").values_list("pk", flat=True))
    return found

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

Every screen that offers these values calls one function, :func:`restrict_form` (the agent
action screens, the reply composer, bulk, the new phone and email tickets, the customer
portal's new ticket and close, the process dialogs); the API calls :func:`check_values`.
A value an ACL takes away is not offered, and posted anyway it is refused with a message
naming it, before anything is written. Each field's list is evaluated with the *other*
values chosen in the form (never the field's own posted value, which could otherwise talk
its way past a rule that tests it).

Besides the fields with rows of their own (:data:`FIELDS`, options by id), a rule restricts

* the values of selection custom fields (dropdowns and multiselects), under the key
  ``field:<Name>`` (the name the properties use for the field), options by their keys: the
  screens narrow the field's choices, the API refuses a removed key (:func:`check_values`);
* the actions (OTRS's ``Action`` key), under ``action``, options by the names of
  :data:`ACTIONS`, which are the screens' names (the ``screen`` property's): the zoom hides
  the menu entries and buttons of a removed action (evaluated with ``screen = zoom``), and a
  screen whose own action is removed answers a refusal (:func:`check_action`, evaluated with
  ``screen`` its own name), as do the API's operations that match a screen (``screen = api``).
  Without a rule that changes ``action`` every action is allowed and nothing is evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs.accounts.models import User, UserKind
from otrs.conditions import Attribute, Kind, Op, Schema, condition_errors, matches
from otrs.errors import DomainError, ErrorCode
from otrs.fields.forms import PREFIX as FORM_FIELD_PREFIX
from otrs.fields.models import FieldDefinition
from otrs.fields.selectors import database_tag, definitions

from ..fields import TICKET
from ..models import SLA, AclRule, Priority, Queue, Service, State, Ticket, TicketType
from .attributes import FIELD_PREFIX, facts_for, ticket_schema

# The fields an ACL can restrict, with the model of their options.
FIELDS: dict[str, Any] = {
    "queue": Queue,
    "state": State,
    "priority": Priority,
    "type": TicketType,
    "service": Service,
    "sla": SLA,
    "owner": User,
    "responsible": User,
}
FIELD_LABELS = {
    "queue": gettext_lazy("Queue"),
    "state": gettext_lazy("State"),
    "priority": gettext_lazy("Priority"),
    "type": gettext_lazy("Type"),
    "service": gettext_lazy("Service"),
    "sla": gettext_lazy("SLA"),
    "owner": gettext_lazy("Owner"),
    "responsible": gettext_lazy("Responsible"),
}
KEYS = ("possible", "possible_add", "possible_not")

# The custom fields whose values an ACL can restrict: selections (key ``field:<Name>``).
CHOICE_FIELD_TYPES = ("dropdown", "multiselect")
ACTION = "action"

# The actions an ACL can take away (OTRS's ``Action``), by their screens' names: the
# zoom's entries and the screens that make or change tickets.
ACTIONS = (
    ("note", gettext_lazy("Note")),
    ("phone_inbound", gettext_lazy("Phone call inbound")),
    ("phone_outbound", gettext_lazy("Phone call outbound")),
    ("close", gettext_lazy("Close")),
    ("pending", gettext_lazy("Pending")),
    ("move", gettext_lazy("Move")),
    ("owner", gettext_lazy("Owner")),
    ("responsible_change", gettext_lazy("Responsible")),
    ("priority", gettext_lazy("Priority")),
    ("customer", gettext_lazy("Customer")),
    ("free_fields", gettext_lazy("Free fields")),
    ("link", gettext_lazy("Link")),
    ("ticket_faq", gettext_lazy("FAQ items")),
    ("merge", gettext_lazy("Merge")),
    ("unmerge", gettext_lazy("Unmerge")),
    ("lock", gettext_lazy("Lock")),
    ("unlock", gettext_lazy("Unlock")),
    ("watch", gettext_lazy("Watch")),
    ("unwatch", gettext_lazy("Stop watching")),
    ("print", gettext_lazy("Print")),
    ("compose", gettext_lazy("Reply and forward")),
    ("split", gettext_lazy("Split")),
    ("bounce", gettext_lazy("Bounce")),
    ("bulk", gettext_lazy("Bulk action")),
    ("phone_ticket", gettext_lazy("New phone ticket")),
    ("email_ticket", gettext_lazy("New email ticket")),
    ("process_dialog", gettext_lazy("Process dialog")),
    ("customer_new_ticket", gettext_lazy("Customer portal: new ticket")),
    ("customer_close", gettext_lazy("Customer portal: close")),
)
ACTION_NAMES = tuple(name for name, _label in ACTIONS)

# The screens that call the ACLs, by the name a rule's ``screen`` property tests: every
# action's, the zoom (its menu) and the API.
SCREENS = (
    *ACTIONS,
    ("zoom", gettext_lazy("Ticket zoom")),
    ("api", gettext_lazy("REST API")),
)
# A form field's name -> the ACL field it offers (the forms do not all say "state").
FORM_FIELDS = {
    "queue": "queue",
    "state": "state",
    "next_state": "state",
    "priority": "priority",
    "type": "type",
    "ticket_type": "type",
    "service": "service",
    "sla": "sla",
    "owner": "owner",
    "responsible": "responsible",
}


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


def is_custom(name: str) -> bool:
    """Whether ``name`` (a key of a rule's changes) is a custom field's: ``field:<Name>``."""
    return name.startswith(FIELD_PREFIX)


def choice_fields() -> dict[str, FieldDefinition]:
    """The valid selection custom fields of tickets by the name a rule's changes use
    (``field:<Name>``); from the fields' cache."""
    return {
        FIELD_PREFIX + d.name: d for d in definitions(TICKET) if d.field_type in CHOICE_FIELD_TYPES
    }


def label_of(name: str) -> str:
    """What a field of a rule's changes is called on screens."""
    if name == ACTION:
        return str(gettext_lazy("Action"))
    if is_custom(name):
        definition = choice_fields().get(name)
        return definition.display_label() if definition else name[len(FIELD_PREFIX) :]
    return str(FIELD_LABELS[name])


def _value_problems(name: str, key: str, values: Any) -> list[str]:
    """What is wrong with the list ``values`` under ``key`` of the change of ``name``."""
    where = {"field": name, "key": key}
    if is_custom(name) or name == ACTION:
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return [_("%(field)s.%(key)s: enter a list of names.") % where]
        if name == ACTION:
            known = set(ACTION_NAMES)
        else:
            definition = choice_fields()[name]
            known = {o.key for o in definition.options(valid_only=False)}
        return [
            _("%(field)s.%(key)s: “%(value)s” is not among the possible values.")
            % {**where, "value": value}
            for value in values
            if value not in known
        ]
    if not isinstance(values, list) or not all(
        isinstance(value, int) and not isinstance(value, bool) for value in values
    ):
        return [_("%(field)s.%(key)s: enter a list of ids.") % where]
    known = set(option_rows(name).filter(pk__in=list(values)).values_list("pk", flat=True))
    return [
        _("%(field)s.%(key)s: “%(value)s” does not exist.") % {**where, "value": value}
        for value in values
        if value not in known
    ]


def _name_problem(name: str) -> str | None:
    if name in FIELDS or name == ACTION:
        return None
    if is_custom(name):
        definition = next((d for d in definitions(TICKET) if FIELD_PREFIX + d.name == name), None)
        if definition is None:
            return _("%(field)s: there is no valid ticket custom field of this name.") % {
                "field": name
            }
        if definition.field_type not in CHOICE_FIELD_TYPES:
            return _(
                "%(field)s: an ACL restricts the values of dropdown and multiselect fields only."
            ) % {"field": name}
        return None
    return _("%(field)s: no ACL can restrict this field.") % {"field": name}


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
        problem = _name_problem(name)
        if problem is not None:
            problems.append(problem)
            continue
        if not isinstance(change, dict):
            problems.append(
                _("%(field)s: enter an object of possible, possible_add or possible_not.")
                % {"field": name}
            )
            continue
        for key, values in change.items():
            if key not in KEYS:
                problems.append(
                    _("%(field)s: “%(key)s” is none of possible, possible_add, possible_not.")
                    % {"field": name, "key": key}
                )
                continue
            problems += _value_problems(name, key, values)
    if problems:
        errors["changes"] = problems
    return errors


@dataclass
class Step:
    """What one rule did: matched or not, and per field what it removed and added."""

    rule: AclRule
    matched: bool
    removed: dict[str, list[Any]] = field(default_factory=dict)
    added: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Decision:
    original: dict[str, list[Any]]
    final: dict[str, list[Any]]
    steps: list[Step]


# Every screen with a choice reads the active rules, which change rarely: they are kept in
# the cache (shared by all processes) and dropped whenever a rule is saved or deleted.
CACHE_TIMEOUT = 300


def _cache_key() -> str:
    tag = database_tag(connection.vendor, connection.settings_dict)
    return f"tickets:acl_rules:{tag}"


def invalidate_rules(**_kwargs: Any) -> None:
    """Drop the cached rules now and again after the commit (a reader between the save
    and the commit could have cached the old ones)."""
    cache.delete(_cache_key())
    transaction.on_commit(lambda: cache.delete(_cache_key()))


def connect() -> None:
    post_save.connect(invalidate_rules, sender=AclRule, dispatch_uid="tickets.acl.saved")
    post_delete.connect(invalidate_rules, sender=AclRule, dispatch_uid="tickets.acl.deleted")


def active_rules() -> list[AclRule]:
    key = _cache_key()
    rules = cache.get(key)
    if rules is None:
        rules = list(AclRule.objects.filter(valid=True).order_by("name"))
        cache.set(key, rules, CACHE_TIMEOUT)
    return list(rules)


def _facts(
    rules: list[AclRule], *, ticket: Ticket | None, user: User, screen: str, now: datetime
) -> dict[str, Any]:
    """What the rules test, but the values chosen in the form: the stored ticket (only the
    custom fields the rules name), the user and the screen."""
    facts: dict[str, Any] = {}
    if ticket is not None:
        tree = {"all": [r.properties for r in rules if r.properties]}
        facts.update(facts_for(tree, ticket, now))
    if getattr(user, "is_customer", False):
        facts["agent"] = None
        if ticket is None:
            # A customer's new ticket is theirs: the rules on its customer user see them.
            facts["customer_user"] = user.get_username()
    else:
        facts["agent"] = user.pk
    facts["screen"] = screen
    return facts


def _apply(
    rules: list[AclRule],
    schema: Schema,
    facts: Mapping[str, Any],
    options: Mapping[str, list[Any]],
    now: datetime,
) -> Decision:
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


def evaluate(
    options: Mapping[str, list[Any]],
    *,
    ticket: Ticket | None,
    agent: User,
    screen: str,
    chosen: Mapping[str, Any] | None = None,
    rules: Iterable[AclRule] | None = None,
    now: datetime | None = None,
) -> Decision:
    """The options each field keeps (``options``: field -> the ids a form would offer)
    for ``agent`` (or a customer user) at ``screen`` on ``ticket`` (None: a new ticket)
    with the values ``chosen`` in the form so far (attribute name -> value)."""
    now = now or timezone.now()
    rules = active_rules() if rules is None else list(rules)
    facts = _facts(rules, ticket=ticket, user=agent, screen=screen, now=now)
    facts.update(chosen or {})
    return _apply(rules, acl_schema(), facts, options, now)


def allowed(
    options: Mapping[str, list[Any]],
    *,
    user: User,
    screen: str,
    tickets: Iterable[Ticket | None] = (None,),
    chosen: Mapping[str, Any] | None = None,
    rules: list[AclRule] | None = None,
) -> dict[str, list[Any]]:
    """The options of each field left by the ACLs: what a screen offers. Each field is
    judged with the other fields' ``chosen`` values (never its own); on several tickets
    (bulk) a value stays if every ticket keeps it. Fields no rule changes are not
    evaluated at all, and without active rules nothing is. A field is judged by the rules
    that change it only: the others could change nothing in its list nor stop the
    evaluation (``stop_after_match`` counts a rule's changes to the list evaluated)."""
    rules = active_rules() if rules is None else rules
    touched = {name for rule in rules for name in (rule.changes or {}) if name in options}
    relevant = {name: [r for r in rules if name in (r.changes or {})] for name in touched}
    result = {name: list(ids) for name, ids in options.items()}
    if not touched:
        return result
    now = timezone.now()
    schema = acl_schema()
    chosen = dict(chosen or {})
    for ticket in tickets:
        base = _facts(rules, ticket=ticket, user=user, screen=screen, now=now)
        for name in touched:
            facts = {**base, **{k: v for k, v in chosen.items() if k != name}}
            decision = _apply(relevant[name], schema, facts, {name: options[name]}, now)
            kept = set(decision.final[name])
            result[name] = [i for i in result[name] if i in kept]
    return result


def name_column(name: str) -> str:
    """The column that names an option of field ``name`` (in the lists and in YAML): a
    queue or service by its full name, an agent by login, the rest by name."""
    model = FIELDS[name]
    return {Queue: "full_name", Service: "full_name", User: "username"}.get(model, "name")


def option_rows(name: str) -> Any:
    """Everything field ``name`` could offer (an owner or responsible: an agent)."""
    rows = FIELDS[name].objects.all()
    return rows.filter(kind=UserKind.AGENT) if FIELDS[name] is User else rows


def option_names(name: str, ids: Iterable[int]) -> dict[int, str]:
    """The names the lists show (see :func:`name_column`)."""
    rows = option_rows(name).filter(pk__in=list(ids))
    return dict(rows.values_list("pk", name_column(name)))


def refusal(name: str, value: str) -> str:
    """The message for a value an ACL takes away, naming the field and the value."""
    return _("%(field)s “%(value)s” is not possible here: an ACL takes it away.") % {
        "field": label_of(name),
        "value": value,
    }


def _raw_id(value: Any) -> int | None:
    if hasattr(value, "pk"):
        return value.pk
    text = str(value if value is not None else "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _posted(form: Any, field_name: str) -> list[Any]:
    """The values posted for ``field_name`` (a list: a multiselect posts several)."""
    if not form.is_bound:
        return []
    value = form[field_name].value()
    items = value if isinstance(value, list | tuple) else [value]
    return [item for item in items if item not in (None, "")]


def _custom_choices(form: Any) -> dict[str, str]:
    """The form's selection custom fields: form field name -> the name a rule uses."""
    found = {}
    for definition in getattr(form, "custom_fields", []):
        field_name = FORM_FIELD_PREFIX + definition.name
        if definition.field_type in CHOICE_FIELD_TYPES and isinstance(
            form.fields.get(field_name), forms.ChoiceField
        ):
            found[field_name] = FIELD_PREFIX + definition.name
    return found


def _custom_chosen(form: Any, present: Mapping[str, str]) -> dict[str, Any]:
    """The selection custom fields' values chosen in the form (a key, or keys)."""
    chosen: dict[str, Any] = {}
    for field_name, acl_name in present.items():
        value = form[field_name].value()
        if isinstance(value, list | tuple):
            chosen[acl_name] = [v for v in value if v] or None
        elif value not in (None, ""):
            chosen[acl_name] = str(value)
    return chosen


def _refuse_posted(form: Any, field_name: str, acl_name: str, before: list, kept: list) -> None:
    """Make the field refuse a posted value the ACLs took away with :func:`refusal`."""
    gone = [
        value
        for value in _posted(form, field_name)
        if (_raw_id(value) if acl_name in FIELDS else str(value)) in before
        and (_raw_id(value) if acl_name in FIELDS else str(value)) not in kept
    ]
    if not gone:
        return
    value = _raw_id(gone[0]) if acl_name in FIELDS else str(gone[0])
    field = form.fields[field_name]
    field.error_messages = {
        **field.error_messages,
        "invalid_choice": refusal(acl_name, shown_value(acl_name, value)).replace("%", "%%"),
    }


def restrict_form(
    form: Any,
    *,
    user: User,
    screen: str,
    tickets: Iterable[Ticket | None] = (None,),
) -> None:
    """Leave in ``form``'s choice fields (:data:`FORM_FIELDS`, and the selection custom
    fields it holds) only what the ACLs allow ``user`` at ``screen`` on ``tickets`` (a new
    ticket: ``(None,)``). Call it after the custom fields were added. The other fields'
    values (posted, or initial on an empty form) are the chosen ones. A posted value that
    an ACL took away is refused by its field with :func:`refusal`'s message."""
    rules = active_rules()
    if not rules:
        return
    touched = {name for rule in rules for name in (rule.changes or {})}
    present = {
        field_name: acl_name
        for field_name, acl_name in FORM_FIELDS.items()
        if acl_name in touched
        and field_name in form.fields
        and hasattr(form.fields[field_name], "queryset")
    }
    custom = {}
    if any(is_custom(name) for name in touched):
        custom = {f: a for f, a in _custom_choices(form).items() if a in touched}
    if not present and not custom:
        return
    options: dict[str, list[Any]] = {
        field_name: list(form.fields[field_name].queryset.values_list("pk", flat=True))
        for field_name in present
    }
    for field_name in custom:
        choices = form.fields[field_name].choices
        options[field_name] = [str(key) for key, _label in choices if key not in (None, "")]
    chosen: dict[str, Any] = {}
    for field_name, acl_name in FORM_FIELDS.items():
        if field_name in form.fields:
            value = _raw_id(form[field_name].value())
            if value is not None:
                chosen[acl_name] = value
    chosen.update(_custom_chosen(form, _custom_choices(form)))
    # The composer's next_state is a state, the customer's ticket_type a type: one form
    # field per ACL field, so the lists are keyed by the ACL's names.
    by_acl = {acl_name: field_name for field_name, acl_name in {**present, **custom}.items()}
    kept_by_acl = allowed(
        {acl_name: options[field_name] for acl_name, field_name in by_acl.items()},
        user=user,
        screen=screen,
        tickets=tickets,
        chosen=chosen,
        rules=rules,
    )
    for acl_name, field_name in by_acl.items():
        kept = kept_by_acl[acl_name]
        if kept == options[field_name]:
            continue
        field = form.fields[field_name]
        if acl_name in FIELDS:
            field.queryset = field.queryset.filter(pk__in=kept)
        else:
            field.choices = [
                (key, label) for key, label in field.choices if key in ("", None) or key in kept
            ]
        _refuse_posted(form, field_name, acl_name, options[field_name], kept)


def shown_value(name: str, value: Any) -> str:
    """An option of field ``name`` as the messages name it."""
    if name in FIELDS:
        return option_names(name, [value]).get(value, str(value))
    return names_of(name, [value]).get(value, str(value))


def _wanted(values: Mapping[str, Any]) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """``values`` (ACL name -> instance, id, key or keys) as options to judge and as the
    chosen values the rules see."""
    wanted: dict[str, list[Any]] = {}
    chosen: dict[str, Any] = {}
    for name, value in values.items():
        if name in FIELDS:
            raw = _raw_id(value)
            if raw is not None:
                wanted[name], chosen[name] = [raw], raw
        elif is_custom(name):
            items = value if isinstance(value, list | tuple) else [value]
            keys = [str(item) for item in items if item not in (None, "")]
            if keys:
                wanted[name] = keys
                chosen[name] = keys if isinstance(value, list | tuple) else keys[0]
    return wanted, chosen


def check_values(
    values: Mapping[str, Any],
    *,
    user: User,
    screen: str,
    ticket: Ticket | None = None,
) -> None:
    """Refuse (:class:`~otrs.errors.DomainError` naming the field) a value in ``values``
    (ACL field -> model instance or id; ``field:<Name>`` -> a key or a list of keys) that
    the ACLs take away: for callers without a form, the API. Each value is judged on its
    own (as if it were the one option), with the other values as the chosen ones."""
    rules = active_rules()
    if not rules:
        return
    touched = {name for rule in rules for name in (rule.changes or {})}
    wanted, chosen = _wanted({k: v for k, v in values.items() if k in touched})
    if not wanted:
        return
    kept = allowed(wanted, user=user, screen=screen, tickets=[ticket], chosen=chosen, rules=rules)
    for name, items in wanted.items():
        for value in items:
            if value not in kept[name]:
                raise DomainError(
                    refusal(name, shown_value(name, value)), code=ErrorCode.ACL_REFUSED, field=name
                )


# --- actions -------------------------------------------------------------------------------------


def restricts_actions(rules: list[AclRule] | None = None) -> bool:
    """Whether an active rule changes the actions (else every action is allowed)."""
    rules = active_rules() if rules is None else rules
    return any(ACTION in (rule.changes or {}) for rule in rules)


def allowed_actions(
    *, user: User, screen: str, tickets: Iterable[Ticket | None] = (None,)
) -> set[str]:
    """The actions (:data:`ACTION_NAMES`) the ACLs leave ``user`` at ``screen`` on
    ``tickets`` (all of them without a rule that changes ``action``: no evaluation)."""
    rules = active_rules()
    if not restricts_actions(rules):
        return set(ACTION_NAMES)
    kept = allowed(
        {ACTION: list(ACTION_NAMES)}, user=user, screen=screen, tickets=tickets, rules=rules
    )
    return set(kept[ACTION])


def action_refusal(action: str) -> str:
    return _("“%(action)s” is not possible here: an ACL takes this action away.") % {
        "action": dict(ACTIONS).get(action, action)
    }


def check_action(
    action: str,
    *,
    user: User,
    screen: str | None = None,
    tickets: Iterable[Ticket | None] = (None,),
) -> None:
    """Refuse (:class:`~otrs.errors.DomainError`) ``action`` if the ACLs take it away from
    ``user`` at ``screen`` (the action's own screen unless said) on ``tickets``."""
    if action not in allowed_actions(user=user, screen=screen or action, tickets=tickets):
        raise DomainError(action_refusal(action), code=ErrorCode.ACL_REFUSED, field=ACTION)


def names_of(name: str, values: Iterable[Any]) -> dict[Any, str]:
    """The names the debugger shows for options of ``name`` (any kind of field)."""
    values = list(values)
    if name in FIELDS:
        return option_names(name, values)
    if name == ACTION:
        labels = dict(ACTIONS)
        return {value: str(labels.get(value, value)) for value in values}
    definition = choice_fields().get(name)
    if definition is None:
        return {value: str(value) for value in values}
    found = {o.key: definition.option_label(o) for o in definition.options(valid_only=False)}
    return {value: found.get(value, str(value)) for value in values}


def default_options() -> dict[str, list[Any]]:
    """Every valid option of every field (what a form offers before ACLs): the fields with
    rows, the selection custom fields (their valid keys) and the actions."""
    found: dict[str, list[Any]] = {}
    for name, model in FIELDS.items():
        rows = model.objects.all()
        if model is User:
            rows = rows.filter(kind=UserKind.AGENT, is_active=True)
        elif hasattr(model, "is_valid"):
            rows = rows.filter(is_valid=True)
        found[name] = list(rows.order_by("pk").values_list("pk", flat=True))
    for name, definition in choice_fields().items():
        found[name] = [o.key for o in definition.options()]
    found[ACTION] = list(ACTION_NAMES)
    return found

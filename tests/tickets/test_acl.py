"""ACL rules (first part): evaluation in name order with possible / possible_add /
possible_not on the one condition language, stop after match, errors by part, and the
debugger command, whose final lists are the evaluation's."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tests import factories
from tickets.automation.acl import default_options, evaluate, rule_errors
from tickets.models import AclRule, State

pytestmark = pytest.mark.django_db


def states(*names: str) -> list[int]:
    return [State.objects.get(name=n).pk for n in names]


def rule(name, properties=None, *, stop=False, **changes) -> AclRule:
    return AclRule.objects.create(
        name=name, properties=properties or {}, changes=changes, stop_after_match=stop
    )


def in_queue(queue) -> dict:
    return {"all": [{"attr": "queue", "op": "equals", "value": queue.pk}]}


def test_rules_apply_in_name_order_and_possible_rebuilds_from_the_original(support):
    ticket = factories.ticket(support.queue)
    options = {"state": states("new", "open", "closed successful", "pending reminder")}
    rule(
        "1 only open and closed",
        in_queue(support.queue),
        state={"possible": states("open", "closed successful")},
    )
    rule(
        "2 not closed", in_queue(support.queue), state={"possible_not": states("closed successful")}
    )
    rule(
        "3 add pending", in_queue(support.queue), state={"possible_add": states("pending reminder")}
    )
    rule(
        "4 other queue",
        {"all": [{"attr": "queue", "op": "equals", "value": 999}]},
        state={"possible": []},
    )

    decision = evaluate(options, ticket=ticket, agent=support.rw, screen="close")

    assert decision.final["state"] == states("open", "pending reminder")
    assert [(s.rule.name, s.matched, s.removed, s.added) for s in decision.steps] == [
        ("1 only open and closed", True, {"state": states("new", "pending reminder")}, {}),
        ("2 not closed", True, {"state": states("closed successful")}, {}),
        ("3 add pending", True, {}, {"state": states("pending reminder")}),
        ("4 other queue", False, {}, {}),
    ]
    rule("5 again", state={"possible": states("new")})
    again = evaluate(options, ticket=ticket, agent=support.rw, screen="close")
    assert again.final["state"] == states("new")  # rebuilt from the original, not intersected


def test_agent_and_screen_are_properties_and_stop_after_match_ends_it(support):
    ticket = factories.ticket(support.queue)
    options = {"state": states("new", "open")}
    rule(
        "a for rw at close",
        {
            "all": [
                {"attr": "agent", "op": "equals", "value": support.rw.pk},
                {"attr": "screen", "op": "equals", "value": "close"},
            ]
        },
        stop=True,
        state={"possible_not": states("new")},
    )
    rule("b everything", state={"possible": []})

    at_close = evaluate(options, ticket=ticket, agent=support.rw, screen="close")
    elsewhere = evaluate(options, ticket=ticket, agent=support.rw, screen="note")
    other_agent = evaluate(options, ticket=ticket, agent=support.ro, screen="close")

    assert at_close.final["state"] == states("open") and len(at_close.steps) == 1
    assert elsewhere.final["state"] == [] == other_agent.final["state"]


def test_a_new_ticket_is_judged_by_the_values_chosen_so_far(support):
    options = {"state": states("new", "open")}
    rule("only new in support", in_queue(support.queue), state={"possible": states("new")})

    chosen = evaluate(
        options,
        ticket=None,
        agent=support.rw,
        screen="phone_ticket",
        chosen={"queue": support.queue.pk},
    )
    elsewhere = evaluate(options, ticket=None, agent=support.rw, screen="phone_ticket")

    assert (chosen.final["state"], elsewhere.final["state"]) == (
        states("new"),
        states("new", "open"),
    )


def test_bad_rules_are_refused_with_the_part_named(support):
    bad = AclRule(
        name="bad",
        properties={"all": [{"attr": "colour", "op": "equals", "value": 1}]},
        changes={"state": {"possible": [999999], "maybe": []}, "planet": {}},
    )
    assert rule_errors(bad) == {
        "properties": ["all 1: There is no attribute “colour”."],
        "changes": [
            "state.possible: “999999” does not exist.",
            "state: “maybe” is none of possible, possible_add, possible_not.",
            "planet: no ACL can restrict this field.",
        ],
    }


def test_the_debugger_shows_the_matches_and_the_final_lists_of_the_evaluation(support):
    ticket = factories.ticket(support.queue)
    rule("no closing", in_queue(support.queue), state={"possible_not": states("closed successful")})
    out = StringIO()

    call_command(
        "acldebug",
        "--agent",
        "rw_agent",
        "--screen",
        "close",
        "--ticket",
        ticket.number,
        stdout=out,
    )

    decision = evaluate(default_options(), ticket=ticket, agent=support.rw, screen="close")
    names = dict(State.objects.values_list("pk", "name"))
    text = out.getvalue()
    assert "no closing: matched\n  state removed: closed successful\n" in text
    assert f"state: {', '.join(names[i] for i in decision.final['state'])}\n" in text
    assert "closed successful" not in text.split("state: ")[-1]

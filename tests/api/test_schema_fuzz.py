"""schemathesis against the running server: every operation of the published schema, as an
agent and as a customer, with a few generated requests each; and every writing operation
(POST, PATCH, PUT, DELETE) once more as a writer allowed to make that change, on objects
that exist, so that the requests pass authentication, permission and lookup and reach the
serializer and the action. No answer may be a server error, and every documented answer
must match its schema and content type."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import requests
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from cmdb.actions import link_ticket
from cmdb.choices import Catalog
from cmdb.models import CatalogItem, ConfigItem
from otrs.accounts.models import Group
from otrs.api.models import AccessToken
from otrs.permissions import PermissionKey
from tests import factories
from tests.cmdb import ci_class, cmdb_group, make_ci, path
from tests.customer_portal import ticket_data
from tests.customers import company, customer_user
from tests.faq import category, item
from tickets.actions import merge_tickets
from tickets.models import Ticket, WebNotification

from .conftest import token_for

# A few requests per operation and person keep this test at seconds, not minutes (writes get
# one per person who may not make them, and EXAMPLES from the writer who may); the generated
# values are the same on every run (derandomize), so a failure repeats.
EXAMPLES = 3
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
WRITES = {"POST", "PATCH", "PUT", "DELETE"}
# Answers that stop a request before its serializer and action: not signed in, not allowed,
# no such object, no such method.
TURNED_AWAY = {401, 403, 404, 405}
SUCCESS = set(range(200, 300))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_operation_as_agent_and_customer(live_server, settings):
    settings.API_CUSTOMER_ACCESS = True
    support = factories.queue("Fuzz", group_=factories.group("fuzz"))
    agent = factories.agent("fuzzer")
    factories.grant(agent, support.group, PermissionKey.RW)
    customer = ticket_data.customer("fuzz-customer")
    for _ in range(3):
        ticket = factories.ticket(support, customer_user="fuzz-customer")
        ticket_data.article(ticket, visible=True, files=[("a.txt", b"text")])
    people = {
        "agent": {"Authorization": f"Bearer {token_for(agent)}"},
        "customer": {"Authorization": f"Bearer {token_for(customer)}"},
    }
    operations = _operations(live_server.url, people["agent"])
    assert len(operations) > 25
    session = requests.Session()
    for who, headers in people.items():
        for operation in operations:
            # Writes: one request here (turned away, mostly: the answer's shape is what is
            # checked); the writer below sends them the generated bodies.
            examples = 1 if operation.method.upper() in WRITES else EXAMPLES
            _fuzz(operation, live_server.url, session, headers, who, examples=examples)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_writing_operation_reaches_its_action_as_an_allowed_writer(live_server):
    """The test above mostly hears 403 and 404 for writes: its agent holds one queue, and
    generated ids name nothing. Here a writer with the rights of each app (rw on the queue,
    customer manager, CMDB, FAQ editor and approver) sends generated bodies to objects that
    exist, a fresh one per operation where the operation changes it."""
    support = factories.queue("Fuzz", group_=factories.group("fuzz"))
    writer = factories.agent("fuzz-writer")
    for group in (support.group, Group.objects.get(name="users"), cmdb_group()):
        factories.grant(writer, group, PermissionKey.RW)
    editors, approvers = factories.group("fuzz-faq-edit"), factories.group("fuzz-faq-approve")
    factories.grant(writer, editors, PermissionKey.RW)
    factories.grant(writer, approvers, PermissionKey.RW)
    faq_category = category("Fuzz", read=[editors], edit=[editors], approvers=[approvers])
    faq_category.approval_required = True
    faq_category.save(update_fields=["approval_required"])
    headers = {"Authorization": f"Bearer {token_for(writer)}"}
    token_for(writer)  # a second token, for DELETE (not the one the requests carry)
    spare_token = AccessToken.objects.filter(user=writer).order_by("-pk").first()
    assert spare_token is not None

    def ticket_id() -> int:
        ticket = factories.ticket(support, customer_user="fuzz-customer")
        factories.note(ticket, actor=writer)
        return ticket.pk

    def merged_ticket_id() -> int:
        source, target = ticket_id(), ticket_id()
        merge_tickets(Ticket.objects.get(pk=source), Ticket.objects.get(pk=target), actor=writer)
        return source

    def notification_id() -> int:
        """One of the writer's own in-app notifications, on a ticket they may read."""
        return WebNotification.objects.create(
            user=writer,
            ticket_id=ticket_id(),
            event_name="TicketCreate",
            subject="Fuzz",
            body="Fuzz notification.",
        ).pk

    def ci_id() -> int:
        return make_ci(f"fuzz-ci-{next(_numbers)}").pk

    fresh = {
        "/api/v1/tickets/{id}/unmerge/": merged_ticket_id,
        "/api/v1/tickets/": ticket_id,
        "/api/v1/companies/": lambda: company().pk,
        "/api/v1/customer-users/": lambda: customer_user().pk,
        "/api/v1/config-items/": ci_id,
        "/api/v1/faq-items/": lambda: item(faq_category, actor=writer).pk,
        "/api/v1/tokens/": lambda: spare_token.pk,
        "/api/v1/notifications/": notification_id,
    }

    def linked(ids: dict) -> int:
        """A ticket linked to the CI ``ids`` names, for the DELETE to remove."""
        ticket = ticket_id()
        link_ticket(ConfigItem.objects.get(pk=ids["id"]), ticket, "RelevantTo", actor=writer)
        return ticket

    # One request each that the action carries out, beside the generated ones (whose ids in
    # the body mostly name nothing): every success answer is checked against its schema too.
    explicit = {
        "POST /api/v1/tickets/": lambda _ids: {
            "body": {"title": "Fuzz", "queue": support.pk, "article": {"body": "Explicit."}}
        },
        "POST /api/v1/tickets/{id}/merge/": lambda _ids: {"body": {"target": ticket_id()}},
        "POST /api/v1/tickets/{id}/links/": lambda _ids: {"body": {"target": ticket_id()}},
        "POST /api/v1/tickets/bulk/": lambda _ids: {
            "body": {"items": [{"id": ticket_id(), "priority": factories.priority(1).pk}]}
        },
        "POST /api/v1/articles/bulk/": lambda _ids: {
            "body": {"items": [{"ticket": ticket_id(), "body": "Explicit."}]}
        },
        "POST /api/v1/config-items/": lambda _ids: {
            "body": {
                "ci_class": ci_class("Computer").pk,
                "name": "fuzz-ci-explicit",
                "deployment_state": _catalog(Catalog.DEPLOYMENT_STATE, "Production"),
                "incident_state": _catalog(Catalog.INCIDENT_STATE, "Operational"),
                "attributes": {"Vendor": "Acme", path("Computer", "Type"): "Other"},
            }
        },
        "POST /api/v1/config-items/{id}/links/": lambda _ids: {"body": {"config_item": ci_id()}},
        "DELETE /api/v1/config-items/{id}/links/": lambda ids: {"query": {"ticket": linked(ids)}},
        # Generated category ids name one only while the sequences are young (SQLite reuses
        # ids; PostgreSQL and MariaDB do not after earlier tests).
        "POST /api/v1/faq-items/": lambda _ids: {
            "body": {
                "category": faq_category.pk,
                "language": "en",
                "title": "Fuzz explicit",
                "solution": "Explicit.",
            }
        },
        "POST /api/v1/faq-items/{id}/send-back/": lambda _ids: {
            "body": {"revision": 1, "note": "Explicit."}
        },
        "POST /api/v1/notifications/read/": lambda _ids: {"body": {"all": True}},
        "POST /api/v1/tokens/": lambda _ids: {
            "body": {
                "name": "explicit",
                "scope": "read",
                "expires_at": (timezone.now() + timedelta(days=7)).isoformat(),
            }
        },
    }
    writes = [o for o in _operations(live_server.url, headers) if o.method.upper() in WRITES]
    assert len(writes) >= 24
    session = requests.Session()
    answers: dict[str, set[int]] = {}
    for operation in writes:
        path_template = operation.path
        prefix = next(
            (p for p in fresh if path_template == p or path_template.startswith(p + "{id}")),
            None,
        )
        if prefix is None and "{" in path_template:
            raise AssertionError(f"no object for {operation.label}: add it to `fresh`")
        parameters = {"id": fresh[prefix]()} if prefix else None
        given = explicit.get(operation.label)
        cases = []
        if given is not None:
            cases.append(
                operation.Case(
                    path_parameters=parameters, media_type="application/json", **given(parameters)
                )
            )
        answers[operation.label] = set()
        _fuzz(
            operation,
            live_server.url,
            session,
            headers,
            "writer",
            path_parameters=parameters,
            answers=answers[operation.label],
            cases=cases,
        )

    turned_away = {label: codes for label, codes in answers.items() if codes <= TURNED_AWAY}
    assert turned_away == {}
    never_done = {label: codes for label, codes in answers.items() if not codes & SUCCESS}
    assert never_done == {}


def _catalog(catalog: str, name: str) -> int:
    return CatalogItem.objects.get(catalog=catalog, name=name).pk


def _operations(base_url: str, headers: dict) -> list:
    raw = requests.get(f"{base_url}/api/v1/schema/?format=json", headers=headers, timeout=30)
    raw.raise_for_status()
    schema = schemathesis.openapi.from_dict(raw.json())
    return [result.ok() for result in schema.get_all_operations()]


_numbers = itertools.count(1)


def _fuzz(
    operation,
    base_url: str,
    session,
    headers: dict,
    who: str,
    *,
    path_parameters: dict | None = None,
    answers: set[int] | None = None,
    cases: list | None = None,
    examples: int = EXAMPLES,
) -> None:
    @given(case=operation.as_strategy(path_parameters=path_parameters))
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(base_url=base_url, session=session, headers=headers)
        if answers is not None:
            answers.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    for case in cases or ():
        run = example(case=case)(run)
    try:
        run()
    except Exception as error:
        raise AssertionError(f"{who}: {operation.label}: {error}") from error

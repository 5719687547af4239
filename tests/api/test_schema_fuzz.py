"""schemathesis against the running server: every operation of the published schema, as an
agent and as a customer, with a few generated requests each. No answer may be a server
error, and every documented answer must match its schema and content type."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from otrs.permissions import PermissionKey
from tests import factories
from tests.customer_portal import ticket_data

from .conftest import token_for

# A few requests per operation and person keep this test at seconds, not minutes; the
# generated values are the same on every run (derandomize), so a failure repeats.
EXAMPLES = 3
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


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
    raw = requests.get(
        f"{live_server.url}/api/v1/schema/?format=json", headers=people["agent"], timeout=30
    )
    raw.raise_for_status()
    schema = schemathesis.openapi.from_dict(raw.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    session = requests.Session()
    for who, headers in people.items():
        for operation in operations:
            _fuzz(operation, live_server.url, session, headers, who)


def _fuzz(operation, base_url: str, session, headers: dict, who: str) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(base_url=base_url, session=session, headers=headers)
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except Exception as error:
        raise AssertionError(f"{who}: {operation.label}: {error}") from error

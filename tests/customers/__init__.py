"""Tests of customer users, companies and the agent's customer screens.

The helpers make customers through :mod:`customers.actions` (as the system user, which is
trusted), like the ticket factories do through the ticket actions.
"""

from __future__ import annotations

import itertools

from customers import actions
from customers.models import CustomerCompany, CustomerUser
from otrs.accounts.models import Group
from tests import factories

_seq = itertools.count(1)


def company(customer_id: str | None = None, name: str | None = None, **extra) -> CustomerCompany:
    number = next(_seq)
    data = actions.CompanyInput(
        customer_id=customer_id or f"C{number}", name=name or f"Company {number}", **extra
    )
    return actions.create_company(data, actor=factories.system())


def customer_user(
    login: str | None = None, *, password: str | None = None, **extra
) -> CustomerUser:
    login = login or f"cust{next(_seq)}"
    extra.setdefault("email", f"{login}@example.com")
    data = actions.CustomerUserInput(login=login, **extra)
    return actions.create_customer_user(data, password=password, actor=factories.system())


def manager(username: str | None = None):
    """An agent with ``rw`` on the group "users" (the default customer manager group)."""
    agent = factories.agent(username)
    factories.grant(agent, Group.objects.get(name="users"), factories.RW)
    return agent

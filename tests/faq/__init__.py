"""Tests of the FAQ. The helpers write through :mod:`faq.actions` (as the system user,
which is trusted), like the other apps' test helpers."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test import Client

from faq import actions
from faq.choices import ItemState
from faq.models import FaqCategory, FaqItem
from tests import factories

_seq = itertools.count(1)

# InnoDB's full-text index sees committed rows only, so on MariaDB the tests that search
# commit their data (and restore the default data afterwards), as tests/test_search_backends.
_COMMIT = connection.vendor == "mysql"
fulltext_db = pytest.mark.django_db(transaction=_COMMIT, serialized_rollback=_COMMIT)


def category(
    name: str | None = None,
    *,
    read=(),
    edit=(),
    approvers=(),
    companies=(),
    customers_all=False,
    approval=False,
    parent=None,
) -> FaqCategory:
    found = FaqCategory.objects.create(
        name=name or f"Category {next(_seq)}",
        customers_all=customers_all,
        approval_required=approval,
        parent=parent,
    )
    found.agent_read_groups.set(read)
    found.agent_edit_groups.set(edit)
    found.approver_groups.set(approvers)
    found.customer_companies.set(companies)
    return found


def item(
    cat: FaqCategory,
    title: str | None = None,
    *,
    state=ItemState.PUBLIC,
    language="en",
    solution="The solution.",
    actor=None,
    submit=True,
    translation_of=None,
    **content,
) -> FaqItem:
    found = actions.create_item(
        cat,
        actions.Content(title=title or f"Item {next(_seq)}", solution=solution, **content),
        actor=actor or factories.system(),
        language=language,
        state=state,
        submit=submit,
        translation_of=translation_of,
    )
    found.refresh_from_db()
    return found


def signed_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client

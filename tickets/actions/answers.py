"""Talking to the customer from a ticket: a mail answer or forward, and a phone call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from otrs.accounts.models import User
from otrs.permissions import PermissionKey

from ..choices import HistoryType
from ..models import Article, State, Ticket
from ._base import ArticleInput, _locked, _refresh, _require
from .articles import add_article
from .custom_fields import apply_article_field_values_in_lock
from .email import send_email
from .fields import _before_change, lock_ticket, set_state
from .versions import check_version


def answer_ticket(
    ticket: Ticket,
    article: ArticleInput,
    *,
    actor: User,
    history_type: str = HistoryType.SEND_ANSWER,
    state: State | None = None,
    pending_until: datetime | None = None,
    expected_version: str | None = None,
    article_field_values: Mapping[str, Any] | None = None,
) -> Article:
    """Send ``article`` as the agent's mail (a reply: SendAnswer; a forward: Forward), then
    set ``state`` (``None``: unchanged). OTRS RequiredLock, strictly: an unlocked ticket is
    locked to the actor first, and one locked by somebody else is refused (the lock action
    says by whom). The lock, the mail and the new state commit together or not at all; the
    mail leaves after the commit."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        check_version(locked, expected_version, actor)
        lock_ticket(locked, actor=actor)
        sent = send_email(locked, article, actor=actor, history_type=history_type)
        if article_field_values:
            apply_article_field_values_in_lock(locked, sent, article_field_values, actor=actor)
        if state is not None:
            set_state(locked, state, actor=actor, pending_until=pending_until)
    _refresh(ticket, locked)
    return sent


def add_phone_call(
    ticket: Ticket,
    article: ArticleInput,
    *,
    actor: User,
    lock_if_unlocked: bool = False,
    article_field_values: Mapping[str, Any] | None = None,
) -> Article:
    """Record a phone call (``article``, on the phone channel) on the ticket; with
    ``lock_if_unlocked`` (the agent's outbound call, OTRS RequiredLock) an unlocked ticket
    is first locked to the actor. A call adds and overwrites nothing, so it is never an edit
    conflict. ``article_field_values``: the call's custom fields."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        _before_change(locked, actor, lock_if_unlocked=lock_if_unlocked)
        created = add_article(
            locked, article, actor=actor, article_field_values=article_field_values
        )
    _refresh(ticket, locked)
    return created

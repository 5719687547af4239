"""Every change to a ticket, one function per intent.

Each action runs in a transaction, locks the ticket row (``SELECT ... FOR UPDATE``) so two
concurrent edits queue up instead of overwriting each other, checks the actor's permission
through :mod:`tickets.access`, writes append-only history with the OTRS history type and raw
old/new values and records its event in the same place (:func:`record_history`), so the
durable event outbox (:mod:`otrs.events`) holds the change's events exactly when the change
committed. Nothing else assigns ticket fields.

Actors are users: agents are checked by the access layer, the system user (OTRS user 1) is
trusted, customers may only read and write on their own tickets (their portal's actions are
in ``customer``). A refused change raises :class:`otrs.errors.DomainError` before anything is
written.
"""

from __future__ import annotations

from otrs.html import sanitize_html

from ._base import (
    ArticleInput,
    AttachmentInput,
    check_owner_candidate,
    check_responsible_candidate,
    default_priority,
    default_state,
    default_type,
    whole_transaction,
)
from .answers import add_phone_call, answer_ticket
from .articles import (
    add_article,
    create_phone_ticket,
    create_ticket,
    create_ticket_with_article,
)
from .bounce import BounceNotice, bounce_article
from .bulk import BulkChanges, BulkResult, bulk_change
from .composer import discard_draft, mention_agents, save_draft
from .custom_fields import change_free_fields, set_article_field_values, set_field_values
from .customer import add_web_follow_up, close_by_customer, create_web_ticket
from .delete import delete_ticket
from .email import create_email_ticket, send_email
from .fields import (
    lock_ticket,
    move_ticket,
    set_customer,
    set_owner,
    set_pending,
    set_priority,
    set_responsible,
    set_service,
    set_state,
    set_title,
    set_type,
    unlock_ticket,
)
from .history import record_history, recorded_as
from .links import link_tickets, mark_seen, unlink_tickets, unwatch_ticket, watch_ticket
from .merge import merge_tickets, resolve_number, unmerge_ticket
from .object_links import (
    CONFIG_ITEM,
    FAQ_ITEM,
    create_faq_item_from_ticket,
    insert_faq_item,
    link_faq_item,
    record_object_link,
    unlink_faq_item,
)
from .queues import set_personal_queues
from .split import split_ticket
from .versions import EditConflict, expect_version, ticket_version
from .web_notifications import delete_old_read_notifications, mark_notifications_read

__all__ = [
    "CONFIG_ITEM",
    "FAQ_ITEM",
    "ArticleInput",
    "AttachmentInput",
    "BounceNotice",
    "BulkChanges",
    "BulkResult",
    "EditConflict",
    "add_article",
    "add_phone_call",
    "add_web_follow_up",
    "answer_ticket",
    "bounce_article",
    "bulk_change",
    "change_free_fields",
    "check_owner_candidate",
    "check_responsible_candidate",
    "close_by_customer",
    "create_email_ticket",
    "create_faq_item_from_ticket",
    "create_phone_ticket",
    "create_ticket",
    "create_ticket_with_article",
    "create_web_ticket",
    "default_priority",
    "default_state",
    "default_type",
    "delete_old_read_notifications",
    "delete_ticket",
    "discard_draft",
    "expect_version",
    "insert_faq_item",
    "link_faq_item",
    "link_tickets",
    "lock_ticket",
    "mark_notifications_read",
    "mark_seen",
    "mention_agents",
    "merge_tickets",
    "move_ticket",
    "record_history",
    "record_object_link",
    "recorded_as",
    "resolve_number",
    "sanitize_html",
    "save_draft",
    "send_email",
    "set_article_field_values",
    "set_customer",
    "set_field_values",
    "set_owner",
    "set_pending",
    "set_personal_queues",
    "set_priority",
    "set_responsible",
    "set_service",
    "set_state",
    "set_title",
    "set_type",
    "split_ticket",
    "ticket_version",
    "unlink_faq_item",
    "unlink_tickets",
    "unlock_ticket",
    "unmerge_ticket",
    "unwatch_ticket",
    "watch_ticket",
    "whole_transaction",
]

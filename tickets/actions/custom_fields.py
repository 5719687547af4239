"""Setting a ticket's custom fields (OTRS: dynamic fields), and the free-fields change.

:func:`set_field_values` is the ticket's writer for the field engine
(:func:`otrs.fields.actions.set_field_values` hands ticket objects to it): under the ticket's
row lock it checks ``rw`` and the version the agent saw, validates every value against its
definition (all or nothing, errors name the fields), stores them and writes one history row
``TicketDynamicFieldUpdate`` per changed field with the raw old and new values (and the field
name in ``extra``), which records the ``TicketDynamicFieldUpdate`` event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from otrs import policy
from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.fields.actions import Change, clean_values, write_values
from otrs.fields.selectors import definitions, values_for
from otrs.permissions import PermissionKey

from ..choices import HistoryType
from ..models import SLA, Article, Service, Ticket, TicketType
from ._base import TITLE_MAX, _locked, _refresh, _require, _save, atomic
from .history import record_history
from .versions import check_version

TICKET = "ticket"
ARTICLE = "article"


def _apply(locked: Ticket, values: Mapping[str, Any], actor: User, *, parse: bool) -> list[Change]:
    """Validate and store (inside the caller's transaction and row lock), with history."""
    cleaned = clean_values(TICKET, values, parse=parse)
    changes = write_values(TICKET, locked.pk, cleaned)
    for change in changes:
        record_history(
            locked,
            HistoryType.TICKET_DYNAMIC_FIELD_UPDATE,
            actor,
            old=change.old_text,
            new=change.new_text,
            extra={"field": change.definition.name},
        )
    return changes


def set_field_values(
    ticket: Ticket,
    values: Mapping[str, Any],
    *,
    actor: User,
    expected_version: str | None = None,
    parse: bool = False,
    need: str = PermissionKey.RW,
) -> list[Change]:
    """Set custom fields of ``ticket`` (``{name: value}``; ``None`` clears); ``parse``: the
    values are text (mail headers). Returns the changes; nothing is written if one value is
    refused (:class:`otrs.fields.actions.FieldErrors`)."""
    if not values:
        return []
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, need)
        check_version(locked, expected_version, actor)
        changes = _apply(locked, values, actor, parse=parse)
        if changes:
            _save(locked, actor)
    _refresh(ticket, locked)
    return changes


def apply_field_values_in_lock(
    locked: Ticket, values: Mapping[str, Any], *, actor: User, parse: bool = False
) -> list[Change]:
    """For other ticket actions that already hold the row lock and checked permission
    (creating a ticket, an article, a postmaster follow-up): the same writes and history."""
    if not values:
        return []
    return _apply(locked, values, actor, parse=parse)


def _apply_to_article(
    locked: Ticket, article: Article, values: Mapping[str, Any], actor: User, *, parse: bool
) -> list[Change]:
    """An article's fields (inside the caller's transaction and the ticket's row lock): the
    history rows are the ticket's, ``TicketDynamicFieldUpdate`` naming the article (its
    ``article`` and ``extra["article"]``), so the event carries the article too."""
    cleaned = clean_values(ARTICLE, values, parse=parse)
    changes = write_values(ARTICLE, article.pk, cleaned)
    for change in changes:
        record_history(
            locked,
            HistoryType.TICKET_DYNAMIC_FIELD_UPDATE,
            actor,
            article=article,
            old=change.old_text,
            new=change.new_text,
            extra={"field": change.definition.name, "article": article.pk},
        )
    return changes


def set_article_field_values(
    article: Article,
    values: Mapping[str, Any],
    *,
    actor: User,
    parse: bool = False,
    need: str = PermissionKey.RW,
) -> list[Change]:
    """Set custom fields of ``article`` (OTRS: dynamic fields of the object type Article):
    under its ticket's row lock, with ``need`` on the ticket (``rw``; the note screen passes
    ``note``), all or nothing, one ticket history row per changed field. The article writer of
    the field engine (:func:`otrs.fields.actions.set_field_values` hands articles here)."""
    if not values:
        return []
    with atomic():
        locked = _locked(article.ticket)
        _require(actor, locked, need)
        changes = _apply_to_article(locked, article, values, actor, parse=parse)
        if changes:
            _save(locked, actor)
    _refresh(article.ticket, locked)
    return changes


def apply_article_field_values_in_lock(
    locked: Ticket, article: Article, values: Mapping[str, Any], *, actor: User
) -> list[Change]:
    """For the article actions that hold the ticket's row lock (a new article with its
    fields): the same writes and history as :func:`set_article_field_values`."""
    if not values:
        return []
    return _apply_to_article(locked, article, values, actor, parse=False)


def change_free_fields(
    ticket: Ticket,
    *,
    title: str,
    ticket_type: TicketType,
    service: Service | None,
    sla: SLA | None,
    field_values: Mapping[str, Any],
    actor: User,
    expected_version: str | None = None,
) -> Ticket:
    """The free-fields screen (OTRS AgentTicketFreeText, ``rw``): title, type, service, SLA and
    custom fields in one change, all or nothing. History per changed attribute: TitleUpdate,
    TypeUpdate, ServiceUpdate, SLAUpdate (raw ids) and TicketDynamicFieldUpdate per field."""
    title = title.strip()[:TITLE_MAX]
    if not title:
        raise DomainError(_("A ticket needs a title."), code=ErrorCode.TITLE_REQUIRED)
    if sla is not None and (service is None or not sla.services.filter(pk=service.pk).exists()):
        raise DomainError(
            _("The SLA does not belong to the chosen service."), code=ErrorCode.INVALID_SLA
        )
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        check_version(locked, expected_version, actor)
        changed: list[str] = []
        plain = (
            ("title", title, HistoryType.TITLE_UPDATE),
            ("type_id", ticket_type.pk, HistoryType.TYPE_UPDATE),
            ("service_id", service.pk if service else None, HistoryType.SERVICE_UPDATE),
            ("sla_id", sla.pk if sla else None, HistoryType.SLA_UPDATE),
        )
        for attname, new, history_type in plain:
            old = getattr(locked, attname)
            if old != new:
                setattr(locked, attname, new)
                record_history(
                    locked,
                    history_type,
                    actor,
                    old="" if old is None else old,
                    new="" if new is None else new,
                )
                changed.append(attname.removesuffix("_id"))
        field_changes = _apply(locked, field_values, actor, parse=False)
        if changed or field_changes:
            _save(locked, actor, *changed)
    _refresh(ticket, locked)
    return ticket


def copy_fields_on_merge(source: Ticket, target: Ticket, actor: User) -> list[Change]:
    """Merge step 12 (OTRS Ticket::MergeDynamicFields): field values go from ``source`` to
    ``target`` where the target has none (both rows locked by the merge). Which fields, the
    policy setting ``ticket_merge_field_values`` says: none, those marked ``copy_on_merge``,
    or all."""
    which = policy.value("ticket_merge_field_values")
    if which == "off":
        return []
    fields = [d for d in definitions(TICKET) if which == "all" or d.copy_on_merge]
    if not fields:
        return []
    values = values_for(TICKET, [source, target], fields)
    copied = {
        name: value for name, value in values[source.pk].items() if name not in values[target.pk]
    }
    return _apply(target, copied, actor, parse=False)

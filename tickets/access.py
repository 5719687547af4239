"""The one access entry of the ticket domain: which tickets a user may see and what they may
do to one, whoever the user is.

* :func:`visible_to` (a queryset): the tickets ``user`` may act on with ``need``; the start
  of every list, search and export;
* :func:`can` (one ticket): may ``user`` do ``need`` to this ticket;
* :func:`get_or_404` (one id): the ticket, or ``Http404`` for missing and forbidden alike, so
  a refusal never tells that a ticket exists.

The caller never picks a rule set; the kind of user decides inside:

* **agents** (OTRS ``Ticket::Permission``): the owner may do anything; the responsible may
  do anything; a group grant of ``need`` (or ``rw``) on the ticket's queue's group; a
  watcher may read (``ro``) only. Invalid users and groups grant nothing.
* **customers** (OTRS ``CustomerTicket::Permission``, below): read (``ro``) and write
  (``note``) the tickets of their login and of their companies; merged tickets are gone.
* **the system user** (OTRS user 1, the actor of automatic changes) may do anything.

Anyone else (anonymous visitors, inactive logins) gets nothing. The same questions for
attachments, articles and queues follow the same dispatch (:func:`attachment_or_404`,
:func:`visible_articles`, :func:`can_use_queue`, :func:`queues_for`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Exists, Func, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Exact, In
from django.http import Http404

from customers.access import customer_profile
from otrs.accounts.models import Group, User, UserKind
from otrs.permissions import PermissionKey, agents_holding, grants_for

from .models import (
    Article,
    Attachment,
    Queue,
    Service,
    Ticket,
    TicketType,
    TicketWatcher,
    merge_target_id,
)

# What customers may do to their tickets: read them and write to them.
CUSTOMER_KEYS = frozenset({PermissionKey.RO, PermissionKey.NOTE})
# A primary key is a signed 64-bit integer; a larger number in a URL is no ticket (and would
# make the database driver raise instead of finding nothing).
_MAX_ID = 2**63 - 1
_RELATED = ("queue", "state", "priority", "type", "service", "owner", "responsible")


def _valid_id(pk) -> bool:
    return isinstance(pk, int) and 0 < pk <= _MAX_ID


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _is_system(user) -> bool:
    # The system user never signs in (it may well be inactive); it is trusted as an actor.
    return bool(getattr(user, "is_system", False))


def _is_customer(user) -> bool:
    return _signed_in(user) and getattr(user, "is_customer", False)


# --- the entry ---------------------------------------------------------------------------------


def ticket_filter(user, need: str = PermissionKey.RO) -> Q:
    """The rule set for ``user`` as a ``Q`` over ``Ticket`` (merged tickets included)."""
    if _is_system(user):
        return Q()
    if _is_customer(user):
        return _customer_filter(user) if need in CUSTOMER_KEYS else Q(pk__in=[])
    return _agent_filter(user, need)


def visible_to(
    user,
    need: str = PermissionKey.RO,
    queryset: QuerySet | None = None,
    *,
    own_only: bool = False,
) -> QuerySet:
    """The tickets ``user`` may act on with ``need``: the start of every list. Customers do
    not see merged tickets. ``own_only``: a customer's own tickets, not their companies'."""
    base = Ticket.objects.all() if queryset is None else queryset
    if _is_customer(user):
        if need not in CUSTOMER_KEYS:
            return base.none()
        rule = _customer_filter(user, own_only=own_only)
        return base.filter(rule, merged_into__isnull=True)
    return base.filter(ticket_filter(user, need))


def can(user, ticket: Ticket, need: str = PermissionKey.RO) -> bool:
    """Whether ``user`` may act on ``ticket`` with ``need``; the same rules as above."""
    if _is_system(user):
        return True
    if _is_customer(user):
        # One query: exactly when visible_to lists it.
        return need in CUSTOMER_KEYS and visible_to(user).filter(pk=ticket.pk).exists()
    return _agent_can(user, ticket, need)


def get_or_404(user, pk, need: str = PermissionKey.RO, *, follow_merges: bool = False) -> Ticket:
    """The ticket ``pk`` if ``user`` may act on it with ``need``; else ``Http404``, for
    missing and forbidden alike.

    With ``follow_merges``, a merged ticket the user may no longer see (customers see no
    merged tickets) stands for the ticket it was merged into (following merges of merges),
    provided that one is visible to them; the caller redirects there."""
    if not _valid_id(pk):
        raise Http404("No such ticket.")
    if _is_customer(user):
        ticket = visible_to(user, need).select_related(*_RELATED).filter(pk=pk).first()
        if ticket is None and follow_merges:
            ticket = _customer_merge_target(user, pk)
    else:
        ticket = Ticket.objects.select_related(*_RELATED).filter(pk=pk).first()
        if ticket is not None and not can(user, ticket, need):
            ticket = None
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def attachment_or_404(user, pk) -> Attachment:
    """The attachment ``pk`` if ``user`` may read its article (for a customer: an article
    visible to the customer, of a ticket of theirs); ``Http404`` otherwise, missing and
    forbidden alike. The bytes are not loaded."""
    if not _valid_id(pk):
        raise Http404("No such attachment.")
    found = Attachment.objects.select_related("article").filter(pk=pk)
    if _is_customer(user):
        found = found.filter(
            article__is_visible_for_customer=True,
            article__ticket__in=visible_to(user).values("pk"),
        )
    attachment = found.first()
    if attachment is None:
        raise Http404("No such attachment.")
    if not _is_customer(user):
        # Fetched first and checked through its ticket: forbidden looks like missing.
        get_or_404(user, attachment.article.ticket_id, PermissionKey.RO)
    return attachment


def visible_articles(user, ticket: Ticket) -> QuerySet:
    """The articles of ``ticket`` (which ``user`` may read) that ``user`` may read, in
    order, with their attachments: for a customer only those visible to the customer, never
    internal notes."""
    articles = Article.objects.filter(ticket=ticket)
    if not _is_system(user) and not _agent_ok(user):
        articles = articles.filter(is_visible_for_customer=True)
    return articles.prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.all())
    ).order_by("created_at", "id")


def can_use_queue(user, queue: Queue, need: str) -> bool:
    """Group-level keys that belong to a queue, not a ticket: ``create``, ``move_into``.
    Customers may only open tickets, in the queues offered to them."""
    if _is_system(user):
        return True
    if _is_customer(user):
        return need == PermissionKey.CREATE and queues_for(user, need).filter(pk=queue.pk).exists()
    return _agent_ok(user) and grants_for(user).allows(queue.group_id, need)


def queues_for(user, need: str) -> QuerySet:
    """The valid queues where ``user`` holds ``need`` (for a customer: ``create`` in the
    queues marked customer-selectable), by name."""
    queues = Queue.objects.valid().order_by("full_name")
    if _is_system(user):
        return queues
    if _is_customer(user):
        if need != PermissionKey.CREATE or customer_profile(user) is None:
            return Queue.objects.none()
        return queues.filter(customer_selectable=True)
    if not _agent_ok(user):
        return Queue.objects.none()
    return queues.filter(group_id__in=sorted(grants_for(user).group_ids(need)))


# --- agents ------------------------------------------------------------------------------------


def _agent_ok(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_agent)


def _agent_filter(user, need: str) -> Q:
    if not _agent_ok(user):
        return Q(pk__in=[])
    condition = (
        Q(owner=user)
        | Q(responsible=user)
        | Q(queue__group_id__in=sorted(grants_for(user).group_ids(need)))
    )
    if need == PermissionKey.RO:
        condition |= Q(Exists(TicketWatcher.objects.filter(ticket=OuterRef("pk"), user=user)))
    return condition


def agent_scope(user, need: str = PermissionKey.RO) -> tuple[list[int], list[QuerySet]] | None:
    """The agent rule of :func:`visible_to` in two parts, for readers that count by queue
    (the maintained counts, :mod:`tickets.ticket_counts`): the groups whose queues ``user``
    sees whole, and querysets of the further tickets they see as owner, responsible (and,
    for ``ro``, watcher), in any queue; together exactly :func:`visible_to`. ``None`` for
    anyone but an agent (the system user, customers): they count through visible_to."""
    if _is_system(user) or _is_customer(user) or not _signed_in(user):
        return None
    if not _agent_ok(user):
        return [], []
    personal = [Ticket.objects.filter(Q(owner=user) | Q(responsible=user))]
    if need == PermissionKey.RO:
        personal.append(Ticket.objects.filter(watchers__user=user))
    return sorted(grants_for(user).group_ids(need)), personal


def agent_readers(ticket: Ticket) -> QuerySet:
    """The active agents who may read ``ticket`` (``ro``): holders of ``ro`` on its queue's
    group, its owner, its responsible and its watchers; the same rules as :func:`can`. The
    composer offers them to @-mention."""
    watchers = TicketWatcher.objects.filter(ticket=ticket).values("user_id")
    holders = agents_holding(PermissionKey.RO, [ticket.queue.group_id]).values("pk")
    return User.objects.filter(kind=UserKind.AGENT, is_active=True).filter(
        Q(pk__in=holders) | Q(pk__in=[ticket.owner_id, ticket.responsible_id]) | Q(pk__in=watchers)
    )


def _agent_can(user, ticket: Ticket, need: str) -> bool:
    if not _agent_ok(user):
        return False
    if ticket.owner_id == user.pk or ticket.responsible_id == user.pk:
        return True
    # Grants never include invalid groups (see otrs.permissions.grants).
    if grants_for(user).allows(ticket.queue.group_id, need):
        return True
    if need == PermissionKey.RO:
        return TicketWatcher.objects.filter(ticket=ticket, user=user).exists()
    return False


# --- customers -----------------------------------------------------------------------------------
#
# OTRS CustomerTicket::Permission: with CustomerGroupSupport off (the default, spec 5) every
# customer is in every group, so a customer user may read and write a ticket when
#
# * the ticket's customer user is their login (CustomerUserIDCheck, case-insensitive), or
# * the ticket's customer id is one of their customer ids, i.e. their company's and their
#   further companies' (CustomerIDCheck).
#
# Only an active login of kind customer whose customer user is valid has any rights. Merged
# tickets are no longer tickets for the customer: they are left out everywhere, and only the
# ticket page of one leads on to the ticket it went into (when that is visible too).
#
# The rule exists once, as SQL (_customer_filter); can() asks the database too,
# so the list, the ticket page, the downloads and the actions cannot disagree. Customer ids
# compare exactly and logins ignoring case on every database, whatever a collation does with
# case, accents or trailing blanks (see _Bytes). SQLite folds the case of ASCII letters only.


def customer_ids(user) -> list[str]:
    """The customer ids whose tickets ``user`` sees besides their own: their company's and
    their further companies'. A customer without a company has none; their login is *not*
    taken as a customer id here, because logins and company ids are different name spaces
    and a login equal to some company's id must not open that company's tickets."""
    profile = customer_profile(user)
    if profile is None:
        return []
    return sorted({value for value in profile.customer_ids() if value})


class _Bytes(Func):
    """MySQL and MariaDB: a value as a binary string, so that ``=`` and ``IN`` compare bytes.
    The columns' collation there ignores case, accents and trailing blanks ("ACME" equals
    "acmé "), and even the ``_bin`` collations pad trailing blanks; elsewhere ``=`` already
    compares exactly."""

    template = "CAST(%(expressions)s AS BINARY)"
    output_field = CharField()


def _customer_filter(user, *, own_only: bool = False) -> Q:
    """The customer rule as a ``Q`` over ``Ticket`` (merged tickets included). ``own_only``:
    just the tickets whose customer user is ``user``, not those of their companies."""
    profile = customer_profile(user)
    if profile is None:
        return Q(pk__in=[])
    login = profile.login
    mine = Q(customer_user__iexact=login)
    if connection.vendor == "mysql":
        # The indexed comparison above finds the candidates; this one decides.
        mine &= Q(Exact(_Bytes(Lower("customer_user")), login.lower()))
    ids = [] if own_only else customer_ids(user)
    if not ids:
        return mine
    company = Q(customer_id__in=ids)
    if connection.vendor == "mysql":
        company &= Q(In(_Bytes("customer_id"), ids))
    return mine | company


def _customer_merge_target(user, pk: int) -> Ticket | None:
    """The ticket a merged ticket of the customer's went into, if visible to them."""
    source = (
        Ticket.objects.filter(_customer_filter(user), pk=pk)
        .exclude(merged_into__isnull=True)
        .values_list("merged_into_id", flat=True)
        .first()
    )
    target_id = merge_target_id(source) if source is not None else None
    if target_id is None:
        return None
    return visible_to(user).select_related(*_RELATED).filter(pk=target_id).first()


def customer_ticket_types(user) -> QuerySet:
    """The ticket types a customer may choose for a new ticket."""
    if customer_profile(user) is None:
        return TicketType.objects.none()
    return TicketType.objects.valid().filter(customer_selectable=True).order_by("name")


def customer_services(user) -> QuerySet:
    """The services a customer may choose for a new ticket."""
    if customer_profile(user) is None:
        return Service.objects.none()
    return Service.objects.valid().filter(customer_selectable=True).order_by("full_name")


def customer_id_for_new_ticket(user) -> str:
    """The customer id a customer's new ticket carries: their company's, or (OTRS, for a
    customer user without a company) their login."""
    profile = customer_profile(user)
    if profile is None:
        return ""
    return profile.company.customer_id if profile.company is not None else profile.login


# --- reports -----------------------------------------------------------------------------------


def can_view_reports(user) -> bool:
    """``ro`` (or ``rw``) on the group named by ``REPORTS_GROUP`` (OTRS's "stats" group),
    directly or by role, or a superuser; customers never. What a report counts is still
    limited to the tickets :func:`visible_to` gives."""
    return _reports_grant(user, PermissionKey.RO)


def can_schedule_reports(user) -> bool:
    """``rw`` on the reports group: may mail reports on a schedule."""
    return _reports_grant(user, PermissionKey.RW)


def _reports_grant(user, key: str) -> bool:
    if not _agent_ok(user):
        return False
    if user.is_superuser:
        return True
    # By name from the agent's grants (loaded once per request, valid groups only): the menu
    # asks on every agent page, and a look-up of the group's id would cost a query each time.
    return grants_for(user).allows_named(settings.REPORTS_GROUP, key)


def report_readers() -> QuerySet:
    """The active agents who may read reports (ro on the reports group, or superusers):
    whom a scheduled report may go to."""
    group_ids = list(
        Group.objects.filter(name=settings.REPORTS_GROUP, is_valid=True).values_list(
            "pk", flat=True
        )
    )
    holders = agents_holding(PermissionKey.RO, group_ids).values("pk")
    return (
        User.objects.filter(kind=UserKind.AGENT, is_active=True)
        .filter(Q(pk__in=holders) | Q(is_superuser=True))
        .order_by("last_name", "first_name", "username")
    )

"""The one access layer for agents and tickets.

Two questions, one rule set (OTRS ``Ticket::Permission``):

* :func:`visible_to` (a queryset filter): which tickets may ``user`` act on with ``need``;
* :func:`can` (one ticket): may ``user`` do ``need`` to this ticket.

Customers have their own functions below (``customer_*``): the same two questions under the
OTRS customer rules.

The rules, any of which grants: the owner may do anything; the responsible may do
anything; a group grant of ``need`` (or ``rw``) on the ticket's queue's group; a watcher may
read (``ro``) only. Invalid users and groups grant nothing; customers and the system
user get nothing here (the customer portal has its own rules).

:func:`access_ticket` is how views fetch a ticket: missing and forbidden both raise
``Http404``, so a refusal never tells that a ticket exists.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import CharField, Exists, Func, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Exact, In
from django.http import Http404

from otrs.permissions import PermissionKey, grants_for

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


def _is_active_agent(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_agent)


def ticket_filter(user, need: str = PermissionKey.RO) -> Q:
    """The rule set as a ``Q`` over ``Ticket``."""
    if not _is_active_agent(user):
        return Q(pk__in=[])
    condition = (
        Q(owner=user)
        | Q(responsible=user)
        | Q(queue__group_id__in=sorted(grants_for(user).group_ids(need)))
    )
    if need == PermissionKey.RO:
        condition |= Q(Exists(TicketWatcher.objects.filter(ticket=OuterRef("pk"), user=user)))
    return condition


def visible_to(user, need: str = PermissionKey.RO, queryset: QuerySet | None = None) -> QuerySet:
    """The tickets ``user`` may act on with ``need``: the start of every list."""
    base = Ticket.objects.all() if queryset is None else queryset
    return base.filter(ticket_filter(user, need))


def can(user, ticket: Ticket, need: str = PermissionKey.RO) -> bool:
    """Whether ``user`` may act on ``ticket`` with ``need``; the same rules as above."""
    if not _is_active_agent(user):
        return False
    if ticket.owner_id == user.pk or ticket.responsible_id == user.pk:
        return True
    # Grants never include invalid groups (see otrs.permissions.grants).
    if grants_for(user).allows(ticket.queue.group_id, need):
        return True
    if need == PermissionKey.RO:
        return TicketWatcher.objects.filter(ticket=ticket, user=user).exists()
    return False


def can_use_queue(user, queue, need: str) -> bool:
    """Group-level keys that belong to a queue, not a ticket: ``create``, ``move_into``."""
    return _is_active_agent(user) and grants_for(user).allows(queue.group_id, need)


def access_ticket(user, ticket_id: int, *, need: str = PermissionKey.RO) -> Ticket:
    """The ticket, if ``user`` may act on it with ``need``; else ``Http404``."""
    ticket = (
        Ticket.objects.select_related("queue", "state", "priority", "type", "owner", "responsible")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or not can(user, ticket, need):
        raise Http404("No such ticket.")
    return ticket


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
# The rule exists once, as SQL (customer_ticket_filter); customer_can asks the database too,
# so the list, the ticket page, the downloads and the actions cannot disagree. Customer ids
# compare exactly and logins ignoring case on every database, whatever a collation does with
# case, accents or trailing blanks (see _Bytes). SQLite folds the case of ASCII letters only.

# A primary key is a signed 64-bit integer; a larger number in a URL is no ticket (and would
# make the database driver raise instead of finding nothing).
_MAX_ID = 2**63 - 1


def _valid_id(pk) -> bool:
    return isinstance(pk, int) and 0 < pk <= _MAX_ID


def customer_profile(user):
    """The valid customer user behind an active customer login, else ``None``."""
    if not (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "is_customer", False)
    ):
        return None
    try:
        profile = user.customer_profile
    except ObjectDoesNotExist:
        return None
    return profile if profile.is_valid else None


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


def customer_ticket_filter(user, *, own_only: bool = False) -> Q:
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


def customer_visible(user, queryset: QuerySet | None = None, *, own_only: bool = False) -> QuerySet:
    """The tickets ``user`` (a customer) may see: the start of every customer list."""
    base = Ticket.objects.all() if queryset is None else queryset
    return base.filter(customer_ticket_filter(user, own_only=own_only), merged_into__isnull=True)


def customer_can(user, ticket: Ticket) -> bool:
    """Whether ``user`` (a customer) may read and write ``ticket``: exactly when
    :func:`customer_visible` lists it (one query)."""
    return customer_visible(user).filter(pk=ticket.pk).exists()


def customer_access_ticket(user, pk, *, follow_merges: bool = False) -> Ticket:
    """The ticket ``pk`` if ``user`` (a customer) may see it; else ``Http404``, for missing
    and forbidden alike.

    With ``follow_merges``, a merged ticket of the customer's stands for the ticket it was
    merged into (following merges of merges), provided that one is visible to them too; the
    caller redirects there. Without it a merged ticket is missing, as in the lists.
    """
    if not _valid_id(pk):
        raise Http404("No such ticket.")
    related = ("queue", "state", "type", "service")
    ticket = customer_visible(user).select_related(*related).filter(pk=pk).first()
    if ticket is not None:
        return ticket
    if follow_merges:
        source = (
            Ticket.objects.filter(customer_ticket_filter(user), pk=pk)
            .exclude(merged_into__isnull=True)
            .values_list("merged_into_id", flat=True)
            .first()
        )
        target_id = merge_target_id(source) if source is not None else None
        if target_id is not None:
            target = customer_visible(user).select_related(*related).filter(pk=target_id).first()
            if target is not None:
                return target
    raise Http404("No such ticket.")


def customer_articles(ticket: Ticket) -> QuerySet:
    """The articles of ``ticket`` a customer may read: those visible to the customer, never
    internal notes; in order, with their attachments."""
    return (
        Article.objects.filter(ticket=ticket, is_visible_for_customer=True)
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.defer("db_content")))
        .order_by("created_at", "id")
    )


def customer_access_attachment(user, pk) -> Attachment:
    """The attachment ``pk`` if it belongs to a customer-visible article of a ticket ``user``
    may see; ``Http404`` otherwise (missing and forbidden alike). The bytes are not loaded."""
    if not _valid_id(pk):
        raise Http404("No such attachment.")
    found = (
        Attachment.objects.defer("db_content")
        .select_related("article")
        .filter(
            pk=pk,
            article__is_visible_for_customer=True,
            article__ticket__in=customer_visible(user).values("pk"),
        )
        .first()
    )
    if found is None:
        raise Http404("No such attachment.")
    return found


def customer_queues(user) -> QuerySet:
    """The queues ``user`` (a customer) may open tickets in: valid and customer-selectable."""
    if customer_profile(user) is None:
        return Queue.objects.none()
    return Queue.objects.valid().filter(customer_selectable=True).order_by("full_name")


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
    return profile.company.customer_id if profile.company_id else profile.login

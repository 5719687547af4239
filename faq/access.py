"""Who may read, edit and approve FAQ items: the one entry for agents, customers and anyone.

The rules (the same for lists, search, suggestions, related items, the feed, attachment
downloads and the item pages):

* **Agents** read the items of a valid category when they hold ``ro`` on one of the
  category's *agent read groups* (no read group: every agent reads), whatever the item's
  state, published or not. They **edit** (``rw``) when they hold ``rw`` on one of its *edit
  groups* (no edit group: superusers only) and **approve** when they hold ``rw`` on one of
  its *approver groups* (none: superusers only). Superusers read, edit and approve all.
* **Customers** (signed in, valid customer user) read items that are *external* or
  *public*, valid, published (they have a live revision), in a valid category that lets
  all customers read or names one of the customer's companies; *public* items they read in
  any valid category.
* **Anyone** (not signed in, or signed in as nothing of the above) reads *public*, valid,
  published items of a valid category.
* **The system user** reads and edits everything.

Moving an item needs edit rights on both categories (see :func:`faq.actions.move_item`),
so nobody widens their own access by moving it. Missing and forbidden answer the same 404.

Needs: :data:`READ` (``ro``), :data:`EDIT` (``rw``) and :data:`APPROVE`.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from customers.access import customer_profile
from otrs.permissions import PermissionKey, grants_for

from .choices import ItemState
from .models import FaqCategory, FaqItem

READ = str(PermissionKey.RO)
EDIT = str(PermissionKey.RW)
APPROVE = "approve"
_MAX_ID = 2**63 - 1


def _is_agent(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "is_agent", False)
    )


def _is_system(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_system", False))


def is_agent(user) -> bool:
    """Whether ``user`` counts as an agent for the FAQ."""
    return _is_agent(user)


def categories_for(user, need: str = READ) -> QuerySet[FaqCategory]:
    """The categories in which ``user`` (an agent or the system) may act with ``need``."""
    found = FaqCategory.objects.all()
    if _is_system(user):
        return found
    if not _is_agent(user):
        return found.none()
    if user.is_superuser:
        return found if need != READ else found.filter(is_valid=True)
    grants = grants_for(user)
    found = found.filter(is_valid=True)
    if need == READ:
        held = grants.group_ids(PermissionKey.RO)
        return found.filter(
            Q(agent_read_groups__isnull=True) | Q(agent_read_groups__in=held)
        ).distinct()
    held = grants.group_ids(PermissionKey.RW)
    groups = "approver_groups" if need == APPROVE else "agent_edit_groups"
    readable = categories_for(user, READ).values("pk")
    return found.filter(**{f"{groups}__in": held}, pk__in=readable).distinct()


def _reader_condition(user) -> Q | None:
    """The condition for customers and anyone; None for agents and the system user."""
    published = Q(is_valid=True, category__is_valid=True, live_revision__isnull=False)
    public = published & Q(state=ItemState.PUBLIC)
    profile = customer_profile(user)
    if profile is None:
        return public
    company_ids = [profile.company_id, *profile.other_companies.values_list("pk", flat=True)]
    allowed_categories = FaqCategory.objects.filter(
        Q(customers_all=True) | Q(customer_companies__in=[c for c in company_ids if c])
    ).values("pk")
    external = published & Q(state=ItemState.EXTERNAL, category__in=allowed_categories)
    return public | external


def visible_to(user, need: str = READ) -> QuerySet[FaqItem]:
    """The items ``user`` may act on with ``need``: the start of every list and search."""
    found = FaqItem.objects.all()
    if _is_system(user):
        return found
    if _is_agent(user):
        return found.filter(category__in=categories_for(user, need).values("pk"))
    if need != READ:
        return found.none()
    condition = _reader_condition(user)
    return found.filter(condition) if condition is not None else found.none()


def can(user, item: FaqItem, need: str = READ) -> bool:
    """Whether ``user`` may act on ``item`` with ``need``; the same rules as above."""
    return visible_to(user, need).filter(pk=item.pk).exists()


def can_in_category(user, category: FaqCategory, need: str = EDIT) -> bool:
    return categories_for(user, need).filter(pk=category.pk).exists()


def get_or_404(user, pk, need: str = READ) -> FaqItem:
    """The item ``pk`` if ``user`` may act on it with ``need``; else ``Http404``, for
    missing and forbidden alike."""
    if not (isinstance(pk, int) and 0 < pk <= _MAX_ID):
        raise Http404("No such FAQ item.")
    found = (
        visible_to(user, need)
        .select_related("category", "live_revision", "latest_revision")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such FAQ item.")
    return found


def is_customer_visible(item: FaqItem) -> bool:
    """Whether a customer could ever read ``item`` (for the warning when an agent inserts
    an internal item into a customer-visible answer)."""
    return item.state in (ItemState.EXTERNAL, ItemState.PUBLIC)

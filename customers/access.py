"""Who may see and who may manage customer users and companies, from the agent portal.

The rules (the same for lists, detail pages and the edit screens):

* **Viewing.** Every active agent may list and open customer users and companies and their
  Customer Information Center: an agent answering a call must be able to look the caller
  up. The tickets shown there are still only those :func:`tickets.access.visible_to` lets
  the agent see, so the customer pages never show a ticket that is hidden elsewhere.
* **Managing** (adding, editing, setting a password, setting valid or invalid) needs ``rw``
  on the permission group named by the setting ``CUSTOMER_MANAGER_GROUP`` (``"users"`` when
  unset: OTRS offers its customer administration screens to agents with ``rw`` on
  ``users``), granted directly or through a role, like every other grant; superusers may
  always. A group grant rather than ``is_staff``, because ``is_staff`` opens the Django admin,
  which is far more than editing a customer's address; and a group, because that is how
  administrators already hand out rights, in the admin, without a deployment.

* **Customers** see their own customer user and their companies (their portal's
  preferences), and manage nothing here (their own password has its portal action).
* **The system user** may see and manage everything.

The entry is :func:`visible_to` (a queryset), :func:`can` (one object) and
:func:`get_or_404` (one id; missing and forbidden alike answer 404), for customer users or,
with ``model=CustomerCompany``, companies; ``need`` is ``ro`` (view) or ``rw`` (manage).
:func:`customer_profile` is the one rule for whether a customer login counts at all.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.http import Http404

from otrs.accounts.models import Group
from otrs.permissions import PermissionKey, grants_for

from .models import CustomerCompany, CustomerUser

_MANAGE_CACHE_ATTR = "_otrs_may_manage_customers"
_MAX_ID = 2**63 - 1

Model = type[CustomerUser] | type[CustomerCompany]


def customer_profile(user) -> CustomerUser | None:
    """The customer user behind ``user`` if that login counts as a customer at all: an
    active login of kind customer whose customer user is valid; ``None`` for anyone else.
    Every customer right (the portal, their tickets) starts from here."""
    if not (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "is_customer", False)
    ):
        return None
    try:
        profile = user.customer_profile
    except ObjectDoesNotExist:
        return None
    return profile if profile.is_valid else None


def manager_group_name() -> str:
    """The group whose ``rw`` grant lets an agent manage customers; read at call time."""
    return settings.CUSTOMER_MANAGER_GROUP


def can_view_customers(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_agent)


def can_manage_customers(user) -> bool:
    """``rw`` on the manager group (direct or by role), or a superuser; asked once per user
    object (one query for the group, the grants are cached by :func:`grants_for`)."""
    if not can_view_customers(user):
        return False
    cached = getattr(user, _MANAGE_CACHE_ATTR, None)
    if cached is None:
        cached = user.is_superuser or _holds_manager_grant(user)
        setattr(user, _MANAGE_CACHE_ATTR, cached)
    return cached


def _holds_manager_grant(user) -> bool:
    group_id = (
        Group.objects.filter(name=manager_group_name(), is_valid=True)
        .values_list("pk", flat=True)
        .first()
    )
    return group_id is not None and grants_for(user).allows(group_id, PermissionKey.RW)


def _is_system(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_system", False))


def visible_to(user, need: str = PermissionKey.RO, model: Model = CustomerUser) -> QuerySet:
    """The customer users (or companies) ``user`` may act on with ``need``: the start of
    every list."""
    found = model.objects.all()
    if _is_system(user):
        return found
    profile = customer_profile(user)
    if profile is not None:
        if need != PermissionKey.RO:
            return found.none()
        if model is CustomerUser:
            return found.filter(pk=profile.pk)
        return found.filter(
            Q(pk=profile.company_id) | Q(pk__in=profile.other_companies.values("pk"))
        )
    allowed = can_manage_customers(user) if need == PermissionKey.RW else can_view_customers(user)
    return found if allowed else found.none()


def can(user, obj: CustomerUser | CustomerCompany, need: str = PermissionKey.RO) -> bool:
    """Whether ``user`` may act on ``obj`` with ``need``; the same rules as above."""
    return visible_to(user, need, type(obj)).filter(pk=obj.pk).exists()


def get_or_404(user, pk, need: str = PermissionKey.RO, model: Model = CustomerUser):
    """The customer user (or company) ``pk`` if ``user`` may act on it with ``need``; else
    ``Http404``, for missing and forbidden alike."""
    if not (isinstance(pk, int) and 0 < pk <= _MAX_ID):
        raise Http404("No such customer.")
    found = visible_to(user, need, model)
    if model is CustomerUser:
        found = found.select_related("user", "company")
    obj = found.filter(pk=pk).first()
    if obj is None:
        raise Http404("No such customer.")
    return obj

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

Customers and the system user get nothing here (``agent_required`` refuses them before).
Missing objects answer 404; an agent who may view but not manage gets a 403 on the edit
screens (the object is no secret to them, only the change is).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from otrs.accounts.models import Group
from otrs.permissions import PermissionKey, grants_for

from .models import CustomerCompany, CustomerUser

_MANAGE_CACHE_ATTR = "_otrs_may_manage_customers"


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


def customer_users_visible_to(user) -> QuerySet[CustomerUser]:
    """The customer users ``user`` may see: the start of every customer user list."""
    users = CustomerUser.objects.all()
    return users if can_view_customers(user) else users.none()


def companies_visible_to(user) -> QuerySet[CustomerCompany]:
    """The companies ``user`` may see: the start of every company list."""
    companies = CustomerCompany.objects.all()
    return companies if can_view_customers(user) else companies.none()


def access_customer_user(user, pk: int) -> CustomerUser:
    """The customer user ``pk`` with their login and company, or ``Http404``."""
    found = customer_users_visible_to(user).select_related("user", "company").filter(pk=pk).first()
    if found is None:
        raise Http404("No such customer user.")
    return found


def access_company(user, pk: int) -> CustomerCompany:
    found = companies_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such company.")
    return found

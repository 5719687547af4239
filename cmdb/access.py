"""Who may see and change configuration items: the one access entry of the CMDB.

The rule (spec 13, Permissions): each class names a permission group; ``ro`` on it lets an
agent see the class's CIs (lists, search, export, the CI page, history, print, the graph and
as a link target), ``rw`` lets them add, edit, copy, change states and link. Grants come
directly or through roles (:func:`otrs.permissions.grants_for`). The system user may do
everything. Customers see CIs only in the customer portal, read-only and only their own
(by the company or owner attribute), when ``CMDB_CUSTOMER_PORTAL`` is on.

:func:`visible_to` (a queryset), :func:`can` (one CI), :func:`get_or_404` (one id; missing and
forbidden alike answer 404) and :func:`classes_for` (the classes themselves).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from otrs.permissions import PermissionKey, grants_for

from .choices import Catalog
from .models import AttributeValue, CatalogItem, ConfigItem

_MAX_ID = 2**63 - 1


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _is_system(user) -> bool:
    return _signed_in(user) and getattr(user, "is_system", False)


def _is_agent(user) -> bool:
    return _signed_in(user) and getattr(user, "is_agent", False)


def classes_for(user, need: str = PermissionKey.RO) -> QuerySet:
    """The valid classes whose CIs ``user`` may act on with ``need``."""
    classes = CatalogItem.objects.filter(catalog=Catalog.CLASS, valid=True)
    if _is_system(user):
        return classes
    if not _is_agent(user):
        return classes.none()
    return classes.filter(group_id__in=sorted(grants_for(user).group_ids(need)))


def visible_to(user, need: str = PermissionKey.RO) -> QuerySet:
    """The CIs ``user`` may act on with ``need``: the start of every list, search, export,
    graph and link target."""
    found = ConfigItem.objects.all()
    if _is_system(user):
        return found
    if _is_agent(user):
        return found.filter(ci_class__in=classes_for(user, need).values("pk"))
    if _signed_in(user) and getattr(user, "is_customer", False) and need == PermissionKey.RO:
        return _customer_cis(user, found)
    return found.none()


def ci_conditions(user, *fields: str, need: str = PermissionKey.RO) -> tuple[Q, ...]:
    """One condition per name in ``fields``, on rows that name a CI there (a link's
    ``source`` or ``target``): the CI is one ``user`` may act on with ``need``, as
    :func:`visible_to` decides.

    For agents the readable classes are read first (one small query for all the fields) and
    each condition joins the CI and tests its class against that list. The subquery form
    (``field IN (CIs whose class is IN (classes of the agent's groups))``) let PostgreSQL
    misjudge how many CIs the classes hold and walk all of them: the links of a CI with
    1,000 dependents took 1.5 s among 200,000 CIs; the join takes milliseconds."""
    if _is_system(user):
        return tuple(Q() for _ in fields)
    if _is_agent(user):
        class_ids = list(classes_for(user, need).values_list("pk", flat=True))
        return tuple(Q(**{f"{field}__ci_class_id__in": class_ids}) for field in fields)
    visible = visible_to(user, need).values("pk")
    return tuple(Q(**{f"{field}__in": visible}) for field in fields)


def _customer_cis(user, found: QuerySet) -> QuerySet:
    """A customer's own CIs: their company in a company attribute, or themselves in a
    customer attribute, of the current version; only with the portal setting on."""
    # Imported here: customers is a domain app the CMDB may use, but only this path needs it.
    from customers.access import customer_profile

    profile = customer_profile(user)
    if profile is None or not settings.CMDB_CUSTOMER_PORTAL:
        return found.none()
    company_ids = [profile.company_id, *profile.other_companies.values_list("pk", flat=True)]
    return owned_by(found, company_ids=[c for c in company_ids if c], customer_pk=profile.pk)


def owned_by(found: QuerySet, *, company_ids, customer_pk: int | None) -> QuerySet:
    """The CIs of ``found`` whose current version names one of the companies in a company
    attribute, or the customer user ``customer_pk`` in a customer attribute."""
    owned = AttributeValue.objects.filter(
        attribute__field_type="company", value_ref__in=company_ids
    )
    own = AttributeValue.objects.filter(attribute__field_type="customer", value_ref=customer_pk)
    if customer_pk is None:  # not "value_ref IS NULL": no customer, no owned CIs
        own = own.none()
    # Two subqueries, not a UNION: SQLite refuses a compound subquery with ordering.
    return found.filter(
        Q(last_version_id__in=owned.order_by().values("version_id"))
        | Q(last_version_id__in=own.order_by().values("version_id"))
    )


def of_requester(user, customer_user: str, customer_id: str) -> QuerySet:
    """The CIs of a new ticket's customer (by company or owner attribute) that ``user`` may
    see: what the agent's new-ticket screens offer. An unknown customer has none."""
    # Imported here: customers is a domain app the CMDB may use, but only this path needs it.
    from customers.models import CustomerCompany, CustomerUser

    profile = CustomerUser.objects.filter(user__username__iexact=customer_user).first()
    company_ids = list(
        CustomerCompany.objects.filter(customer_id=customer_id).values_list("pk", flat=True)
    )
    if profile is None and not company_ids:
        return ConfigItem.objects.none()
    return owned_by(
        visible_to(user), company_ids=company_ids, customer_pk=profile.pk if profile else None
    )


def can(user, configitem: ConfigItem, need: str = PermissionKey.RO) -> bool:
    """Whether ``user`` may act on ``configitem`` with ``need``; the same rules as above."""
    if _is_system(user):
        return True
    if _is_agent(user):
        group_id = (
            CatalogItem.objects.filter(pk=configitem.ci_class_id, valid=True)
            .values_list("group_id", flat=True)
            .first()
        )
        return group_id is not None and grants_for(user).allows(group_id, need)
    return visible_to(user, need).filter(pk=configitem.pk).exists()


def can_class(user, ci_class: CatalogItem, need: str = PermissionKey.RW) -> bool:
    return classes_for(user, need).filter(pk=ci_class.pk).exists()


def get_or_404(user, pk, need: str = PermissionKey.RO) -> ConfigItem:
    """The CI ``pk`` if ``user`` may act on it with ``need``; ``Http404`` otherwise."""
    if not (isinstance(pk, int) and 0 < pk <= _MAX_ID):
        raise Http404("No such configuration item.")
    found = (
        visible_to(user, need)
        .select_related("ci_class", "deployment_state", "incident_state", "current_incident_state")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such configuration item.")
    return found


def class_or_404(user, pk, need: str = PermissionKey.RO) -> CatalogItem:
    if not (isinstance(pk, int) and 0 < pk <= _MAX_ID):
        raise Http404("No such class.")
    found = classes_for(user, need).filter(pk=pk).first()
    if found is None:
        raise Http404("No such class.")
    return found

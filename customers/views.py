"""The agent's customer screens: lists of customer users and companies, their editors, and
the Customer Information Center (CIC), which is the detail page of each.

Who may do what is :mod:`customers.access`: every agent views, managers edit. The tickets a
CIC lists start from :func:`tickets.access.visible_to` (through :mod:`tickets.selectors`),
narrowed to the customer, so an agent sees there exactly the tickets they could open
anywhere else. Every page runs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from otrs.accounts.decorators import agent_required
from otrs.action_flow import form_screen
from otrs.fields.selectors import definitions, rendered
from otrs.permissions import PermissionKey
from otrs.search.highlight import for_page
from otrs.web.pagination import paginate
from otrs.web.params import text_param
from tickets import selectors
from tickets.forms.overviews import ORDER_CHOICES, SORT_CHOICES, ViewParams

from . import access, actions
from . import history as customer_history
from .fields import CUSTOMER_COMPANY, CUSTOMER_USER
from .forms import (
    CompanyFilter,
    CompanyForm,
    CustomerUserFilter,
    CustomerUserForm,
    ValidityForm,
    contact_of,
)
from .models import CustomerCompany, CustomerUser

TEMPLATES = "customers/"
# The contacts a company's CIC shows; the customer user list shows them all.
CONTACTS_SHOWN = 20


def _per_page(user) -> int:
    return min(max(user.rows_per_page or 25, 1), selectors.MAX_PER_PAGE)


def _render(request, template: str, context: dict, *, status: int = 200):
    shared = {"nav": "customers", "may_manage": access.can_manage_customers(request.user)}
    return render(request, TEMPLATES + template, shared | context, status=status)


def manager_required(view):
    """For the editing screens: agents who may only view get a refusal page (403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access.can_manage_customers(request.user):
            return _render(request, "not_allowed.html", {}, status=403)
        return view(request, *args, **kwargs)

    return agent_required(wrapper)


# --- the lists ---------------------------------------------------------------------------------


@agent_required
@require_safe
def customer_users(request):
    params = CustomerUserFilter(request.GET)
    rows = params.apply(access.visible_to(request.user))
    page = paginate(
        rows.select_related("user", "company"),
        number=params.get("page"),
        per_page=_per_page(request.user),
    )
    company = None
    if params.get("company"):
        company = (
            access.visible_to(request.user, model=CustomerCompany)
            .filter(pk=params.get("company"))
            .first()
        )
    context = {
        "params": params,
        "chosen": params.current(),
        "page": page,
        "company": company,
        "highlighted": _highlighted(
            "customer_user", params, page, lambda c: f"{c.user.get_full_name()} ({c.login})"
        ),
    }
    return _render(request, "customer_users.html", context)


def _highlighted(kind: str, params, page, label) -> list:
    """Where the searched words occur in the page's customer users or companies."""
    url_name = "agent:customer_user" if kind == "customer_user" else "agent:company"
    return for_page(
        kind,
        params.get("q") or "",
        page.rows,
        url=lambda obj: reverse(url_name, args=[obj.pk]),
        label=label,
    )


def _contact_count():
    """Per company, its customer users: those whose company it is plus those who have it
    among their further companies (two correlated counts, no GROUP BY over the list)."""
    main = (
        CustomerUser.objects.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("pk"))
        .values("n")
    )
    through = CustomerUser.other_companies.through
    further = (
        through.objects.filter(customercompany=OuterRef("pk"))
        .order_by()
        .values("customercompany")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(main), 0) + Coalesce(Subquery(further), 0)


@agent_required
@require_safe
def companies(request):
    params = CompanyFilter(request.GET)
    rows = params.apply(access.visible_to(request.user, model=CustomerCompany))
    rows = rows.annotate(contacts=_contact_count())
    page = paginate(rows, number=params.get("page"), per_page=_per_page(request.user))
    context = {
        "params": params,
        "chosen": params.current(),
        "page": page,
        "highlighted": _highlighted(
            "customer_company", params, page, lambda c: f"{c.name} ({c.customer_id})"
        ),
    }
    return _render(request, "companies.html", context)


# --- the Customer Information Center -----------------------------------------------------------

# The CIC's ticket tabs (``?view=``): key, label, and (for ViewParams) the key again.
TICKET_VIEWS = [
    ("open", gettext_lazy("Open tickets"), "open"),
    ("closed", gettext_lazy("Closed tickets"), "closed"),
]


def _tickets(request, customer: Q) -> dict:
    """The context of a CIC's ticket tabs: the open and closed tickets of ``customer`` that
    the agent may see, counted, and one page of the chosen tab."""
    user, params = request.user, ViewParams(request.GET, views=TICKET_VIEWS)
    chosen = params.get("view")
    found = {
        "open": selectors.open_tickets(user).filter(customer),
        "closed": selectors.closed_tickets(user).filter(customer),
    }
    counts = {key: tickets.count() for key, tickets in found.items()}
    page = selectors.ticket_page(
        found[chosen],
        sort=params.get("sort"),
        order=params.get("order"),
        page=params.get("page"),
        per_page=_per_page(user),
    )
    return {
        "ticket_views": [(key, label, counts[key]) for key, label, _key in TICKET_VIEWS],
        "view": chosen,
        "sort": params.get("sort"),
        "order": params.get("order"),
        "sort_choices": SORT_CHOICES,
        "order_choices": ORDER_CHOICES,
        "keep": [("view", chosen)],
        "sortable": True,
        "page": page,
        "tickets": page.rows,
        "unseen_ids": selectors.unseen_ids(user, page.rows),
    }


def _field_values(object_type: str, obj) -> list:
    """The set custom fields of a customer user or company (those its form edits), rendered."""
    return rendered(object_type, [obj], definitions(object_type))[obj.pk]


@agent_required
@require_safe
def customer_user(request, pk: int):
    customer = access.get_or_404(request.user, pk)
    further = list(customer.other_companies.order_by("name"))
    context = {
        "customer": customer,
        "further": further,
        "validity": ValidityForm(),
        "custom_fields": _field_values(CUSTOMER_USER, customer),
        "history": customer_history.entries(customer.history.all()),
    }
    context |= _tickets(request, Q(customer_user=customer.login))
    return _render(request, "customer_user.html", context)


@agent_required
@require_safe
def company(request, pk: int):
    company = access.get_or_404(request.user, pk, model=CustomerCompany)
    contacts = (
        access.visible_to(request.user)
        .filter(contact_of(company.pk))
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username", "pk")
    )
    context = {
        "company": company,
        "contacts": list(contacts[:CONTACTS_SHOWN]),
        "contact_count": contacts.count(),
        "validity": ValidityForm(),
        "custom_fields": _field_values(CUSTOMER_COMPANY, company),
        "history": customer_history.entries(company.history.all()),
    }
    context |= _tickets(request, Q(customer_id=company.customer_id))
    return _render(request, "company.html", context)


@agent_required
@require_safe
def customer_info(request):
    """The CIC by the strings a ticket carries (the zoom links here): ``?customer_user=``
    or ``?customer_id=``. A registered customer user or company goes to their page; anything
    else (a sender who is no customer user) gets the tickets that carry the string. Without
    either (the bare address, OTRS's CustomerInformationCenter entry) it is the customer search.
    """
    login = text_param(request.GET, "customer_user")
    customer_id = text_param(request.GET, "customer_id")
    if login:
        found = access.visible_to(request.user).filter(user__username__iexact=login)
        if found := found.first():
            return redirect("agent:customer_user", found.pk)
        tickets = Q(customer_user=login)
    elif customer_id:
        found = access.visible_to(request.user, model=CustomerCompany).filter(
            customer_id__iexact=customer_id
        )
        if found := found.first():
            return redirect("agent:company", found.pk)
        tickets = Q(customer_id=customer_id)
    else:
        return redirect(reverse("agent:customer_users") + _search_query(request))
    context = {"login": login, "customer_id": customer_id} | _tickets(request, tickets)
    return _render(request, "unregistered.html", context)


def _search_query(request) -> str:
    """The text typed into a search for a customer (``?q=``), carried over to the list."""
    text = text_param(request.GET, "q")
    return f"?{urlencode({'q': text})}" if text else ""


# --- the editors -------------------------------------------------------------------------------


def _form_page(request, template: str, **context):
    def page(form, *, status: int = 200, error=None):
        return _render(request, template, {"form": form, **context}, status=status)

    return page


@manager_required
def customer_user_add(request):
    """``?company=<pk>`` (the link on a company's CIC) preselects the company."""
    form = CustomerUserForm(request.POST or None, initial={"company": request.GET.get("company")})
    return form_screen(
        request,
        form,
        lambda data: actions.create_customer_user(
            form.to_input(),
            password=form.password(),
            actor=request.user,
            field_values=form.field_values(),
        ),
        done=lambda created: (
            _("Customer user %(login)s added.") % {"login": created.login},
            reverse("agent:customer_user", args=[created.pk]),
        ),
        render=_form_page(request, "customer_user_form.html"),
    )


@manager_required
def customer_user_edit(request, pk: int):
    customer = access.get_or_404(request.user, pk, PermissionKey.RW)
    form = CustomerUserForm(request.POST or None, customer=customer)
    page = _form_page(request, "customer_user_form.html", customer=customer)

    def refreshed_page(form, *, status: int = 200, error=None):
        if error is not None:
            customer.refresh_from_db()  # what was rolled back may still be on the object
        return page(form, status=status)

    return form_screen(
        request,
        form,
        lambda data: actions.edit_customer_user(
            customer,
            form.to_input(),
            password=form.password() or "",
            actor=request.user,
            field_values=form.field_values(),
        ),
        done=lambda saved: (
            _("Customer user %(login)s saved.") % {"login": saved.login},
            reverse("agent:customer_user", args=[saved.pk]),
        ),
        render=refreshed_page,
    )


@manager_required
def company_add(request):
    form = CompanyForm(request.POST or None)
    return form_screen(
        request,
        form,
        lambda data: actions.create_company(
            form.to_input(), actor=request.user, field_values=form.field_values()
        ),
        done=lambda created: (
            _("Company %(name)s added.") % {"name": created.name},
            reverse("agent:company", args=[created.pk]),
        ),
        render=_form_page(request, "company_form.html"),
    )


@manager_required
def company_edit(request, pk: int):
    company = access.get_or_404(request.user, pk, PermissionKey.RW, model=CustomerCompany)
    form = CompanyForm(request.POST or None, company=company)
    return form_screen(
        request,
        form,
        lambda data: actions.update_company(
            company, form.to_input(), actor=request.user, field_values=form.field_values()
        ),
        done=lambda saved: (
            _("Company %(name)s saved.") % {"name": saved.name},
            reverse("agent:company", args=[saved.pk]),
        ),
        render=_form_page(request, "company_form.html", company=company),
    )


@manager_required
@require_POST
def customer_user_validity(request, pk: int):
    customer = access.get_or_404(request.user, pk, PermissionKey.RW)
    form = ValidityForm(request.POST)
    if form.is_valid():
        valid = form.cleaned_data["valid"]
        actions.set_customer_user_validity(customer, valid, actor=request.user)
        done = _("%(login)s is valid.") if valid else _("%(login)s is invalid.")
        messages.success(request, done % {"login": customer.login})
    else:
        messages.error(request, _("Choose valid or invalid."))
    return redirect("agent:customer_user", customer.pk)


@manager_required
@require_POST
def company_validity(request, pk: int):
    company = access.get_or_404(request.user, pk, PermissionKey.RW, model=CustomerCompany)
    form = ValidityForm(request.POST)
    if form.is_valid():
        valid = form.cleaned_data["valid"]
        actions.set_company_validity(company, valid, actor=request.user)
        done = _("%(name)s is valid.") if valid else _("%(name)s is invalid.")
        messages.success(request, done % {"name": company.name})
    else:
        messages.error(request, _("Choose valid or invalid."))
    return redirect("agent:company", company.pk)

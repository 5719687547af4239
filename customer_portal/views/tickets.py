"""The customer portal's ticket pages: the list, a ticket, a new ticket, answering and
closing, and attachment downloads.

Every ticket, article and attachment is fetched through :mod:`tickets.access` (the same
entry the agent portal uses; it applies the customer rules to a customer), which answers 404
for what is missing and for what is not the customer's alike; every change is one customer
action of :mod:`tickets.actions`.
The customer sees only what OTRS shows them: articles visible to the customer, no internal
notes, history, owners or queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import getaddresses

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from customer_portal.decorators import customer_required
from customer_portal.forms.tickets import (
    ALL,
    CLOSED,
    COMPANY,
    OPEN,
    SORTS,
    NewTicketForm,
    ReplyForm,
    TicketFilters,
    TicketListForm,
)
from customer_portal.tables import Cell, Row, Table
from customer_portal.views import faq as faq_views
from customer_portal.views import processes as process_views
from otrs.action_flow import button_action, form_screen
from otrs.errors import DomainError
from otrs.mail.models import OutboundKind
from otrs.permissions import PermissionKey
from otrs.web.pagination import paginate
from tickets import access, actions, create_panels
from tickets import fields as ticket_fields
from tickets.actions.customer import customer_close_state, follow_up_refused
from tickets.automation import acl
from tickets.choices import VIEWABLE_STATE_TYPES, Channel, SenderType, StateType
from tickets.downloads import attachment_response
from tickets.models import Article, Ticket
from tickets.views.ticket_screen import acl_action

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 200

# What a customer is told about a state: its kind, not the help desk's internal name.
_STATE_LABELS: dict[str, Promise] = {
    StateType.NEW: gettext_lazy("New"),
    StateType.OPEN: gettext_lazy("Open"),
    StateType.PENDING_REMINDER: gettext_lazy("Pending"),
    StateType.PENDING_AUTO: gettext_lazy("Pending"),
    StateType.CLOSED: gettext_lazy("Closed"),
    StateType.REMOVED: gettext_lazy("Closed"),
}


def state_label(ticket: Ticket) -> str:
    return str(_STATE_LABELS.get(ticket.state.state_type, gettext_lazy("Open")))


def _company_names(profile) -> dict[str, str]:
    """customer id -> name of the customer's own companies (one query)."""
    companies = list(profile.other_companies.all())
    if profile.company_id:
        companies.append(profile.company)
    return {company.customer_id: company.name for company in companies}


def _company(names: dict[str, str], ticket: Ticket) -> str:
    """The company a ticket is filed under: its name for one of the customer's companies,
    else the bare customer id (nothing when that is just the customer user again, as for a
    customer without a company)."""
    if ticket.customer_id in names:
        return names[ticket.customer_id]
    return "" if ticket.customer_id == ticket.customer_user else ticket.customer_id


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    state: str
    company: str


# --- the list ----------------------------------------------------------------------------------


def _listed(user, filters: TicketFilters):
    tickets = access.visible_to(user, own_only=filters.scope != COMPANY)
    if filters.state == OPEN:
        tickets = tickets.filter(state__state_type__in=VIEWABLE_STATE_TYPES)
    elif filters.state == CLOSED:
        tickets = tickets.exclude(state__state_type__in=VIEWABLE_STATE_TYPES)
    if filters.text:
        tickets = tickets.filter(
            Q(title__icontains=filters.text) | Q(number__icontains=filters.text)
        )
    return tickets.select_related("state").order_by(*filters.ordering)


def _per_page(user) -> int:
    return max(1, min(user.rows_per_page or DEFAULT_PER_PAGE, MAX_PER_PAGE))


@customer_required
@require_safe
def ticket_list(request):
    user = request.user
    names = _company_names(request.customer_user)
    form = TicketListForm(request.GET, with_companies=bool(access.customer_ids(user)))
    filters = form.filters()
    page = paginate(
        _listed(user, filters), number=request.GET.get("page"), per_page=_per_page(user)
    )
    rows = [
        TicketRow(
            ticket=ticket,
            state=state_label(ticket),
            company=_company(names, ticket),
        )
        for ticket in page.rows
    ]
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": rows,
        "table": _ticket_table(rows),
        "sorts": [(key, label) for key, (label, _order) in SORTS.items()],
        "states": [(OPEN, _("Open")), (CLOSED, _("Closed")), (ALL, _("All"))],
    }
    return render(request, "customer_portal/tickets/list.html", context)


def _ticket_table(rows: list[TicketRow]) -> Table:
    def url(row: TicketRow) -> str:
        return reverse("customer:ticket", args=[row.ticket.pk])

    return Table(
        caption=_("Tickets"),
        columns=[_("Ticket number"), _("Title"), _("State"), _("Last change"), _("Company")],
        rows=[
            Row(
                [
                    Cell(row.ticket.number, url=url(row)),
                    Cell(row.ticket.shown_title, url=url(row)),
                    Cell(row.state),
                    Cell(time=row.ticket.changed_at),
                    Cell(row.company),
                ],
                key=str(row.ticket.pk),
            )
            for row in rows
        ],
        empty=_("No tickets match."),
    )


# --- one ticket --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleRow:
    article: Article
    sender: str  # "You", "Support", or the customer colleague who wrote
    from_line: str  # the From of a mail, else empty


def _sender(article: Article, user, email: str) -> str:
    if article.sender_type == SenderType.AGENT:
        return _("Support")
    if article.sender_type == SenderType.SYSTEM:
        return _("Support (automatic message)")
    found = getaddresses([article.from_address or ""])
    name, address = found[0] if found else ("", "")
    if article.created_by_id == user.pk or (email and address.lower() == email.lower()):
        return _("You")
    return name or address or _("Customer")


def _article_rows(ticket: Ticket, user, profile) -> list[ArticleRow]:
    # The mails that told the customer about an answer or a state change repeat what this
    # page shows anyway; they stay on the ticket (agents see them) but not in the portal.
    articles = access.visible_articles(user, ticket).exclude(
        deliveries__message__kind=OutboundKind.CUSTOMER_NOTIFICATION
    )
    return [
        ArticleRow(
            article=article,
            sender=_sender(article, user, profile.email),
            from_line=article.from_address if article.channel == Channel.EMAIL else "",
        )
        for article in articles
    ]


def _render_ticket(request, ticket: Ticket, reply_form: ReplyForm, *, status: int = 200):
    profile = request.customer_user
    closed = ticket.state.state_type in (StateType.CLOSED, StateType.REMOVED)
    context = {
        "ticket": ticket,
        "state": state_label(ticket),
        "company": _company(_company_names(profile), ticket),
        "article_rows": _article_rows(ticket, request.user, profile),
        "reply_form": reply_form,
        "can_reply": not follow_up_refused(ticket),
        "closed": closed,
        "can_close": settings.CUSTOMER_CAN_CLOSE
        and not closed
        and _acl_lets_close(request, ticket),
        # A process ticket's dialogs offered to customers now.
        "process_dialogs": process_views.ticket_dialogs(ticket),
        # Only the custom fields configured for the customer's ticket page.
        "custom_fields": ticket_fields.shown_values(
            [ticket], ticket_fields.TicketScreen.CUSTOMER_TICKET
        )[ticket.pk],
    }
    return render(request, "customer_portal/tickets/detail.html", context, status=status)


def _check_close(request, ticket: Ticket) -> None:
    # An ACL may take the action away, or the state the close sets (the customer's one
    # choice here).
    acl.check_action("customer_close", user=request.user, tickets=[ticket])
    acl.check_values(
        {"state": customer_close_state()}, user=request.user, screen="customer_close", ticket=ticket
    )


def _acl_lets_close(request, ticket: Ticket) -> bool:
    try:
        _check_close(request, ticket)
    except DomainError:
        return False
    return True


@customer_required
@require_safe
def ticket_detail(request, pk: int):
    ticket = access.get_or_404(request.user, pk, follow_merges=True)
    if ticket.pk != pk:
        # A merged ticket of the customer's: its messages are on the ticket it went into.
        return redirect("customer:ticket", ticket.pk)
    return _render_ticket(request, ticket, ReplyForm())


@customer_required
@require_POST
def ticket_reply(request, pk: int):
    ticket = access.get_or_404(request.user, pk, PermissionKey.NOTE)
    form = ReplyForm(request.POST, request.FILES or None)
    url = reverse("customer:ticket", args=[ticket.pk])
    return form_screen(
        request,
        form,
        lambda data: actions.add_web_follow_up(ticket, form.article(ticket), actor=request.user),
        done=lambda article: (
            _("Your message was added to the ticket."),
            f"{url}#article-{article.pk}",
        ),
        render=lambda form, *, status=200, error=None: _render_ticket(
            request, ticket, form, status=status
        ),
    )


@customer_required
@require_POST
def ticket_close(request, pk: int):
    ticket = access.get_or_404(request.user, pk, PermissionKey.NOTE)
    url = reverse("customer:ticket", args=[ticket.pk])

    def close():
        _check_close(request, ticket)
        return actions.close_by_customer(ticket, actor=request.user)

    return button_action(
        request,
        close,
        done=lambda _closed: (_("The ticket is closed."), url),
        back=url,
    )


# --- a new ticket ------------------------------------------------------------------------------


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
@acl_action("customer_new_ticket", template="customer_portal/acl_refused.html")
def ticket_create(request):
    """The new-ticket form. Before the ticket is made, the FAQ items that match its subject
    and text are offered once ("did you know?", :mod:`customer_portal.views.faq`); sending
    the form again (it carries ``faq_seen``) makes the ticket."""
    bound = request.method == "POST"
    form = NewTicketForm(request.user, request.POST if bound else None, request.FILES or None)
    acl.restrict_form(form, user=request.user, screen="customer_new_ticket")
    # Other apps' panels (the customer's own configuration items ...), rendered as fields.
    panels = create_panels.attach(form, user=request.user, requester=None)
    if bound and not request.POST.get("faq_seen") and form.is_valid():
        suggestions = faq_views.suggestions_for(request, form.cleaned_data)
        if suggestions:
            return render(
                request,
                "customer_portal/tickets/create.html",
                {"form": form, "suggestions": suggestions},
            )

    def create(data):
        with transaction.atomic():  # the panels' links and the ticket: both or neither
            ticket = actions.create_web_ticket(**form.create_kwargs(), actor=request.user)
            create_panels.apply(panels, ticket, data, actor=request.user)
        faq_views.ticket_submitted(request)
        return ticket

    return form_screen(
        request,
        form,
        create,
        done=lambda ticket: (
            _("Ticket %(number)s was created.") % {"number": ticket.number},
            reverse("customer:ticket", args=[ticket.pk]),
        ),
        render=lambda form, *, status=200, error=None: render(
            request, "customer_portal/tickets/create.html", {"form": form}, status=status
        ),
    )


# --- attachments -------------------------------------------------------------------------------


@customer_required
@require_safe
def attachment(request, pk: int):
    """An attachment of a customer-visible article, served as the agent download is: as a
    download, with a type that cannot render as a page, nosniff and a sandbox CSP."""
    return attachment_response(access.attachment_or_404(request.user, pk))

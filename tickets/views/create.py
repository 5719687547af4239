"""New phone ticket and new email ticket.

Each screen makes the ticket and its first article with one atomic action, so a refusal
leaves nothing behind: :func:`tickets.actions.create_phone_ticket` for the customer's phone
call (with the queue's auto reply, as OTRS does for phone tickets),
:func:`tickets.actions.create_email_ticket` for the agent's mail to the customer, which goes
into the outgoing queue and leaves after the commit (history EmailAgent).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from otrs.accounts.decorators import agent_required
from otrs.action_flow import form_screen
from tickets import actions, create_panels, mailtexts
from tickets.automation import acl
from tickets.choices import TemplateType
from tickets.fields import (
    TicketScreen,
    add_article_form_fields,
    add_form_fields,
    article_values_from,
    ticket_values_from,
)
from tickets.forms.composer import new_ticket_modules_data, new_ticket_text_modules
from tickets.forms.create import EmailTicketForm, PhoneTicketForm, find_customer
from tickets.models import StandardTemplate
from tickets.views.drafts import is_text_module_step, text_module_step
from tickets.views.faq_insert import faq_step, inserted_ids, is_faq_step, record_inserted
from tickets.views.ticket_screen import acl_action


@agent_required
@acl_action("phone_ticket")
def new_phone_ticket(request):
    return _new_ticket(
        request,
        PhoneTicketForm,
        "tickets/create/phone.html",
        _("Ticket %(number)s created."),
        actions.create_phone_ticket,
        TicketScreen.PHONE_TICKET,
    )


@agent_required
@acl_action("email_ticket")
def new_email_ticket(request):
    return _new_ticket(
        request,
        EmailTicketForm,
        "tickets/create/email.html",
        _("Ticket %(number)s created; the email is queued for sending."),
        actions.create_email_ticket,
        TicketScreen.EMAIL_TICKET,
        start_text=True,
    )


# Query parameters that prefill an empty form (the Customer Information Center's "new phone
# ticket" links): parameter -> form field.
PREFILL = {"customer_user": "customer", "customer_id": "customer_id"}


def _new_ticket(
    request,
    form_class,
    template: str,
    done: str,
    create,
    screen: str,
    start_text=False,
    initial: dict | None = None,
    **extra,
):
    bound = request.method == "POST"
    if initial is None:
        initial = {
            field: request.GET[key] for key, field in PREFILL.items() if request.GET.get(key)
        }
    context: dict = {"panel_refresh": create_panels.REFRESH, **extra}

    def build(data=None):
        """The form (from ``data``, the POST, or empty) with its custom fields and the
        other apps' panels (the customer's configuration items ...) for the customer typed."""
        posted = data if data is not None else request.POST if bound else None
        form = form_class(request.user, posted, request.FILES or None, initial=initial)
        add_form_fields(form, screen)
        # The first article's own fields (object type "article"), kept apart from the ticket's.
        add_article_form_fields(form, screen)
        acl.restrict_form(form, user=request.user, screen=screen)
        panels = create_panels.attach(form, user=request.user, requester=_requester(form))
        context.update({"form": form, "panels": panels})
        if "text_module" in form.fields and "text_modules_data" not in context:
            modules = form.fields["text_module"].queryset
            context["text_modules_data"] = new_ticket_modules_data(modules)
        if start_text:
            context.update(_start_text(request, form))
        return form

    if is_text_module_step(request):  # "Insert" of a text module: nothing is created
        return text_module_step(
            request,
            None,
            build,
            lambda form: render(request, template, context),
            modules=new_ticket_text_modules(request.user),
        )
    if is_faq_step(request):  # an FAQ search or insert under the text: nothing is created
        return faq_step(
            request,
            None,
            build,
            lambda form, **extra: render(request, template, {**context, **extra}),
        )
    form = build()
    panels = context["panels"]
    if bound:  # the FAQ items inserted so far (recorded when the ticket is made)
        context["faq_inserted"] = " ".join(map(str, inserted_ids(request.POST)))
    if create_panels.is_refresh(request):
        form.errors.clear()  # not submitted yet: no "required" errors for what is still empty
        return render(request, template, context)

    def act(data):
        with transaction.atomic():  # the panels' links and the ticket: both or neither
            ticket = create(
                **form.create_kwargs(),
                field_values=ticket_values_from(form, data),
                article_field_values=article_values_from(form, data),
                actor=request.user,
            )
            create_panels.apply(panels, ticket, data, actor=request.user)
            record_inserted(ticket, request.POST, actor=request.user)
        return ticket

    return form_screen(
        request,
        form,
        act,
        done=lambda ticket: (
            done % {"number": ticket.number},
            reverse("agent:zoom", args=[ticket.pk]),
        ),
        render=lambda form, *, status=200, error=None: render(
            request, template, context, status=status
        ),
    )


def _requester(form) -> create_panels.Requester | None:
    """The customer the form names so far (typed and sent, or prefilled), if it is one."""
    address_only = "to" in form.fields
    source = form.data if form.is_bound else form.initial
    raw = str(source.get("to" if address_only else "customer") or "")[:500]
    if not raw.strip() or "\x00" in raw:
        return None
    try:
        found = find_customer(raw, address_only=address_only)
    except ValidationError:
        return None
    customer_id = str(source.get("customer_id") or "")[:150].replace("\x00", "").strip()
    return create_panels.Requester(found.customer_user, customer_id or found.customer_id)


def _start_text(request, form) -> dict:
    """OTRS's queue and template chooser of a new email ticket, as a GET form (it works
    without JavaScript): ``?queue=<id>&template=<id>`` starts the text with that queue's
    salutation, the template (of the queue, type "new email ticket" or "create") and the
    queue's signature; their tags are filled in when the ticket is made."""
    queues = form.fields["queue"].queryset
    queue = _chosen(queues, request.GET.get("queue"))
    templates = (
        StandardTemplate.objects.valid()
        .filter(queues=queue, template_type__in=[TemplateType.EMAIL, TemplateType.CREATE])
        .order_by("name")
        if queue is not None
        else StandardTemplate.objects.none()
    )
    chosen = _chosen(templates, request.GET.get("template"))
    if queue is not None and not form.is_bound:
        form.initial |= {"queue": queue.pk, "body": mailtexts.new_ticket_text(queue, chosen)}
    return {"queues": queues, "queue": queue, "templates": templates, "chosen_template": chosen}


def _chosen(queryset, raw):
    raw = str(raw or "")
    return queryset.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None


urlpatterns = [
    path("tickets/new/phone/", new_phone_ticket, name="new_phone_ticket"),
    path("tickets/new/email/", new_email_ticket, name="new_email_ticket"),
]

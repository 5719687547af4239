"""The agent's CMDB screens under /agent/cmdb/: overview, list, CI page, add / edit / copy,
links, bulk state change, print view and the class definition editor.

Every view starts from :mod:`cmdb.access` (missing and forbidden: 404) and changes things
only through :mod:`cmdb.actions`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey
from otrs.search.highlight import for_page
from otrs.web.pagination import paginate
from tickets import access as ticket_access

from . import access, actions, graph, selectors
from . import attributes as attrs
from .choices import Catalog, HistoryType
from .forms import (
    BulkForm,
    CIForm,
    CopyForm,
    FaqLinkForm,
    FileForm,
    FilterForm,
    LinkForm,
    ServiceLinkForm,
    TicketLinkForm,
)
from .history import describe
from .models import CatalogItem, ConfigItem, Link, TicketLink, Version

RW = PermissionKey.RW
PER_PAGE_MAX = 200


def _render(request, template: str, context: dict, *, status: int = 200):
    return render(request, f"cmdb/{template}", {"nav": "cmdb", **context}, status=status)


def _ci_url(ci: ConfigItem) -> str:
    return reverse("agent:cmdb_ci", args=[ci.pk])


# --- overview and list ------------------------------------------------------------------------


@agent_required
@require_safe
def overview(request):
    rows, deployment, incident = selectors.overview(request.user)
    return _render(
        request,
        "overview.html",
        {
            "rows": rows,
            "deployment_states": deployment,
            "incident_states": incident,
            "addable": list(access.classes_for(request.user, RW).order_by("order", "name")),
        },
    )


@agent_required
@require_safe
def ci_list(request):
    form = FilterForm(request.GET or None, classes=access.classes_for(request.user))
    params = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = selectors.filtered(request.user, params)
    # Within one class the (class, name) index gives the order; across classes the name index.
    rows = rows.order_by("name", "pk")
    per_page = min(max(request.user.rows_per_page or 25, 1), PER_PAGE_MAX)
    page = paginate(rows, number=params.get("page", 1), per_page=per_page)
    may_bulk = access.classes_for(request.user, RW).exists()
    return _render(
        request,
        "list.html",
        {
            "form": form,
            "page": page,
            "may_bulk": may_bulk,
            "bulk": BulkForm(choices=[]),
            "highlighted": for_page(
                "configitem",
                params.get("q", ""),
                page.rows,
                url=_ci_url,
                label=lambda ci: f"{ci.number} {ci.name}",
            ),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# --- the CI page ------------------------------------------------------------------------------


def _ci_context(request, ci: ConfigItem) -> dict:
    tree = attrs.Definition.of(ci.ci_class)
    version = ci.last_version
    values = attrs.load([version.pk], tree).get(version.pk, {}) if version else {}
    open_tickets, closed_tickets = selectors.tickets(request.user, ci)
    rows = attrs.rows(values, tree)
    links, links_total = selectors.links(request.user, ci)
    return {
        "ci": ci,
        "version": version,
        "rows": rows,
        "files": [row for row in rows if row["file_id"]],
        "links": links,
        "links_total": links_total,
        "graph": graph.build(request.user, ci),
        "open_tickets": open_tickets,
        "closed_tickets": closed_tickets,
        "faq_links": selectors.faq_links(request.user, ci),
        "service_links": selectors.service_links(ci),
        "versions": selectors.versions(ci),
        "history": describe(selectors.history(ci)),
        "may_write": access.can(request.user, ci, RW),
        "state_class": selectors.incident_class(ci.current_incident_state),
    }


@agent_required
@require_safe
def ci_page(request, pk: int):
    ci = access.get_or_404(request.user, pk)
    context = _ci_context(request, ci)
    context["link_form"] = LinkForm()
    context["ticket_link_form"] = TicketLinkForm(prefix="ticket")
    context["faq_link_form"] = FaqLinkForm(prefix="faq")
    context["service_link_form"] = ServiceLinkForm(prefix="service")
    file_form = FileForm(ci_class=ci.ci_class)
    context["file_form"] = file_form if file_form.has_attributes() else None
    return _render(request, "ci.html", context)


@agent_required
@require_safe
def ci_print(request, pk: int):
    ci = access.get_or_404(request.user, pk)
    context = _ci_context(request, ci)
    context["links"] = selectors.all_links(request.user, ci)  # on paper, all of them
    return _render(request, "print.html", context)


@agent_required
@require_safe
def ci_graph(request, pk: int):
    """The impact graph alone, as an SVG document."""
    ci = access.get_or_404(request.user, pk)
    response = render(
        request,
        "cmdb/_graph_svg.html",
        {"graph": graph.build(request.user, ci), "standalone": True},
        content_type="image/svg+xml",
    )
    return response


@agent_required
@require_safe
def version_diff(request, pk: int):
    """The differences between two versions (``?a=1&b=3``; default: the last two)."""
    ci = access.get_or_404(request.user, pk)
    numbers = list(
        Version.objects.filter(configitem=ci).order_by("number").values_list("number", flat=True)
    )

    def pick(name, default):
        text = request.GET.get(name, "")
        return int(text) if text.isdigit() and int(text) in numbers else default

    b = pick("b", numbers[-1])
    a = pick("a", numbers[-2] if len(numbers) > 1 else numbers[-1])
    chosen = {
        v.number: v
        for v in Version.objects.filter(configitem=ci, number__in=[a, b]).select_related(
            "deployment_state", "incident_state", "created_by"
        )
    }
    tree = attrs.Definition(ci.ci_class.attributes.all())  # removed attributes too: old data
    values = attrs.load([chosen[a].pk, chosen[b].pk], tree)
    changes = attrs.diff(values.get(chosen[a].pk, {}), values.get(chosen[b].pk, {}), tree)
    head = []
    for label, field_name in (
        (_("Name"), "name"),
        (_("Deployment state"), "deployment_state"),
        (_("Incident state"), "incident_state"),
    ):
        old, new = str(getattr(chosen[a], field_name)), str(getattr(chosen[b], field_name))
        if old != new:
            head.append((label, _(old), _(new)))
    return _render(
        request,
        "diff.html",
        {
            "ci": ci,
            "a": chosen[a],
            "b": chosen[b],
            "numbers": numbers,
            "changes": head + changes,
        },
    )


# --- add, edit, copy --------------------------------------------------------------------------


def _default_state(catalog: str, name: str) -> int | None:
    items = CatalogItem.objects.filter(catalog=catalog, valid=True)
    found = items.filter(name=name).first() or items.order_by("order", "pk").first()
    return found.pk if found else None


def _save_form(request, ci_class: CatalogItem, ci: ConfigItem | None):
    tree = attrs.Definition.of(ci_class)
    values: dict = {}
    initial: dict = {}
    last = ci.last_version if ci is not None else None
    if ci is not None and last is not None:
        values = attrs.load([last.pk], tree).get(last.pk, {})
        initial = {
            "name": ci.name,
            "deployment_state": ci.deployment_state_id,
            "incident_state": ci.incident_state_id,
            "version": last.number,
        }
    else:
        initial = {
            "deployment_state": _default_state(Catalog.DEPLOYMENT_STATE, "Production"),
            "incident_state": _default_state(Catalog.INCIDENT_STATE, "Operational"),
        }
    data = request.POST if request.method == "POST" else None
    form = CIForm(data, tree=tree, values=values, initial=initial)
    status = 200
    if form.is_bound:
        if form.is_valid():
            values = form.values()
            data_in = actions.CIInput(
                name=form.cleaned_data["name"],
                deployment_state=form.cleaned_data["deployment_state"],
                incident_state=form.cleaned_data["incident_state"],
                values=values,
            )
            try:
                if ci is None:
                    ci = actions.create_configitem(ci_class, data_in, actor=request.user)
                    messages.success(
                        request, _("Configuration item %(number)s created.") % {"number": ci.number}
                    )
                else:
                    saved = actions.update_configitem(
                        ci,
                        data_in,
                        actor=request.user,
                        expected_version=form.cleaned_data.get("version"),
                    )
                    messages.success(
                        request,
                        _("Saved as version %(n)d.") % {"n": saved.number}
                        if saved
                        else _("Nothing changed: no new version."),
                    )
                return redirect(_ci_url(ci))
            except actions.InvalidValues as refusal:
                form.show_refusal(refusal.errors)
            except DomainError as refusal:
                form.add_error(
                    refusal.field if refusal.field in form.fields else None, refusal.message
                )
        status = 400
    return _render(
        request, "form.html", {"form": form, "ci": ci, "ci_class": ci_class}, status=status
    )


@agent_required
def ci_add(request, class_pk: int):
    ci_class = access.class_or_404(request.user, class_pk, RW)
    return _save_form(request, ci_class, None)


@agent_required
def ci_edit(request, pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    return _save_form(request, ci.ci_class, ci)


@agent_required
def ci_copy(request, pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    form = CopyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            copy = actions.copy_configitem(ci, actor=request.user, name=form.cleaned_data["name"])
        except DomainError as refusal:
            form.add_error("name", refusal.message)
        else:
            messages.success(request, _("Copied as %(number)s.") % {"number": copy.number})
            return redirect(_ci_url(copy))
    return _render(
        request, "copy.html", {"form": form, "ci": ci}, status=400 if form.is_bound else 200
    )


# --- links ------------------------------------------------------------------------------------


def _find_ci(user, text: str) -> ConfigItem:
    text = text.strip()
    found = access.visible_to(user).filter(number=text).first() or (
        access.visible_to(user).filter(name__iexact=text).order_by("pk").first()
    )
    if found is None:
        raise DomainError(
            _("No such configuration item: %(value)s.") % {"value": text},
            code=ErrorCode.NOT_ALLOWED,
            field="other",
        )
    return found


@agent_required
@require_POST
def ci_link(request, pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    form = LinkForm(request.POST)
    if form.is_valid():
        link_type = form.cleaned_data["link_type"]
        try:
            other = _find_ci(request.user, form.cleaned_data["other"])
            if link_type.startswith("-"):
                actions.link_configitems(other, ci, link_type[1:], actor=request.user, acting_on=ci)
            else:
                actions.link_configitems(ci, other, link_type, actor=request.user)
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Linked."))
    else:
        messages.error(request, _("Choose a link type and a configuration item."))
    return redirect(_ci_url(ci) + "#links")


@agent_required
@require_POST
def ci_unlink(request, pk: int, link_pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    link = (
        Link.objects.filter(pk=link_pk).filter(source=ci).first()
        or Link.objects.filter(pk=link_pk, target=ci).first()
    )
    if link is None:
        raise Http404("No such link.")
    actions.unlink_configitems(link, actor=request.user, acting_on=ci)
    messages.success(request, _("Link removed."))
    return redirect(_ci_url(ci) + "#links")


@agent_required
@require_safe
def ci_links(request, pk: int):
    """All the CI's links, a page at a time (the CI page shows the first ones)."""
    ci = access.get_or_404(request.user, pk)
    page = selectors.links_page(request.user, ci, request.GET.get("page", 1))
    return _render(
        request,
        "links.html",
        {"ci": ci, "page": page, "may_write": access.can(request.user, ci, RW)},
    )


@agent_required
@require_POST
def ci_link_ticket(request, pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    form = TicketLinkForm(request.POST, prefix="ticket")
    if form.is_valid():
        number = form.cleaned_data["ticket"].strip()
        # Through the ticket domain's access entry: a ticket the agent may not see is as
        # unknown as a missing one.
        ticket_pk = (
            ticket_access.visible_to(request.user)
            .filter(number=number)
            .values_list("pk", flat=True)
            .first()
        )
        try:
            if ticket_pk is None:
                raise DomainError(_("No such ticket."), code=ErrorCode.NOT_ALLOWED)
            actions.link_ticket(ci, ticket_pk, form.cleaned_data["link_type"], actor=request.user)
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Ticket linked."))
    else:
        messages.error(request, _("Enter a ticket number."))
    return redirect(_ci_url(ci) + "#tickets")


@agent_required
@require_POST
def ci_unlink_ticket(request, pk: int, link_pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    link = TicketLink.objects.filter(pk=link_pk, configitem=ci).first()
    if link is None:
        raise Http404("No such link.")
    actions.unlink_ticket(link, actor=request.user)
    messages.success(request, _("Link removed."))
    return redirect(_ci_url(ci) + "#tickets")


# --- bulk -------------------------------------------------------------------------------------


@agent_required
@require_POST
def bulk(request):
    wanted = [int(v) for v in request.POST.getlist("ids") if v.isdigit() and len(v) < 19]
    cis = list(
        access.visible_to(request.user, RW)
        .filter(pk__in=wanted)
        .select_related("ci_class", "deployment_state", "incident_state", "last_version")
    )
    form = BulkForm(request.POST, choices=[(ci.pk, ci.pk) for ci in cis])
    back = request.POST.get("back", "")
    back = back if back.startswith("/agent/cmdb/") else reverse("agent:cmdb_list")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        changed = actions.bulk_set_states(
            cis,
            deployment_state=form.cleaned_data.get("deployment_state"),
            incident_state=form.cleaned_data.get("incident_state"),
            actor=request.user,
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(n)d configuration items changed.") % {"n": changed})
    return redirect(back)


# --- the class definition ---------------------------------------------------------------------


__all__ = ["HistoryType"]

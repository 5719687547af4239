"""Linking a CI with FAQ items and services from the CI page (POST buttons; the page shows
the links and the forms)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError
from otrs.permissions import PermissionKey

from . import access, actions
from .forms import FaqLinkForm, ServiceLinkForm
from .models import FaqLink, ServiceLink

RW = PermissionKey.RW


def _back(ci) -> str:
    return reverse("agent:cmdb_ci", args=[ci.pk]) + "#related"


def _refusals(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _link(request, ci, form, link, success: str):
    """Validate the form, call ``link(cleaned_data)`` and go back to the CI's links."""
    if not form.is_valid():
        _refusals(request, form)
        return redirect(_back(ci))
    try:
        link(form.cleaned_data)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, success)
    return redirect(_back(ci))


def _unlink(request, ci, model, link_pk: int, unlink):
    """Remove one link of this CI (another CI's link id is "not found")."""
    link = model.objects.filter(pk=link_pk, configitem=ci).first()
    if link is None:
        raise Http404("No such link.")
    unlink(link, actor=request.user)
    messages.success(request, _("Link removed."))
    return redirect(_back(ci))


@agent_required
@require_POST
def link_faq(request, pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    form = FaqLinkForm(request.POST, prefix="faq", user=request.user)
    return _link(
        request,
        ci,
        form,
        lambda data: actions.link_faq_item(ci, data["number"], actor=request.user),
        _("FAQ item linked."),
    )


@agent_required
@require_POST
def unlink_faq(request, pk: int, link_pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    return _unlink(request, ci, FaqLink, link_pk, actions.unlink_faq_item)


@agent_required
@require_POST
def link_service(request, pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    form = ServiceLinkForm(request.POST, prefix="service")
    return _link(
        request,
        ci,
        form,
        lambda data: actions.link_service(
            ci, data["service"], data["link_type"], actor=request.user
        ),
        _("Service linked."),
    )


@agent_required
@require_POST
def unlink_service(request, pk: int, link_pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    return _unlink(request, ci, ServiceLink, link_pk, actions.unlink_service)

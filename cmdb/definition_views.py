"""The definition page's attribute forms: add one attribute, edit one, move one up or down.
Each save is a new definition version through the same action as the JSON editor beside it
(:func:`cmdb.actions.update_definition`), so the rules and the migration question are the
same."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError
from otrs.permissions import PermissionKey

from . import access, actions
from . import attributes as attrs
from .forms import AttributeForm
from .models import Attribute

RW = PermissionKey.RW


def _back(ci_class) -> str:
    return reverse("agent:cmdb_definition", args=[ci_class.pk]) + "#attributes"


def _attribute_or_404(ci_class, attribute_pk: int) -> Attribute:
    found = Attribute.objects.filter(pk=attribute_pk, ci_class=ci_class, removed=False).first()
    if found is None:
        raise Http404("No such attribute.")
    return found


def _saved(request, ci_class, created):
    messages.success(request, _("Saved as definition version %(n)d.") % {"n": created.version})
    return redirect(_back(ci_class))


def _screen(request, ci_class, form, attribute=None, migrations=(), status=200):
    context = {
        "nav": "cmdb",
        "ci_class": ci_class,
        "form": form,
        "attribute": attribute,
        "migrations": migrations,
    }
    return render(request, "cmdb/attribute.html", context, status=status)


@agent_required
def add(request, class_pk: int):
    ci_class = access.class_or_404(request.user, class_pk, RW)
    tree = attrs.Definition.of(ci_class)
    form = AttributeForm(request.POST or None, tree=tree, adding=True)
    if request.method != "POST" or not form.is_valid():
        return _screen(request, ci_class, form, status=400 if form.is_bound else 200)
    try:
        created = actions.add_attribute(
            ci_class, form.spec(), parent_id=form.parent_id(), actor=request.user
        )
    except DomainError as refusal:
        form.add_error(None, refusal.message)
        return _screen(request, ci_class, form, status=400)
    return _saved(request, ci_class, created)


@agent_required
def edit(request, class_pk: int, attribute_pk: int):
    ci_class = access.class_or_404(request.user, class_pk, RW)
    attribute = _attribute_or_404(ci_class, attribute_pk)
    tree = attrs.Definition.of(ci_class)
    form = AttributeForm(request.POST or None, tree=tree, attribute=attribute)
    if request.method != "POST" or not form.is_valid():
        return _screen(request, ci_class, form, attribute, status=400 if form.is_bound else 200)
    try:
        created = actions.change_attribute(
            ci_class,
            attribute.pk,
            form.spec(),
            actor=request.user,
            confirm=form.cleaned_data["confirm"],
        )
    except actions.NeedsConfirmation as refusal:
        form.add_error("confirm", refusal.message)
        return _screen(request, ci_class, form, attribute, refusal.migrations, status=400)
    except DomainError as refusal:
        form.add_error(None, refusal.message)
        return _screen(request, ci_class, form, attribute, status=400)
    return _saved(request, ci_class, created)


@agent_required
@require_POST
def move(request, class_pk: int, attribute_pk: int):
    ci_class = access.class_or_404(request.user, class_pk, RW)
    attribute = _attribute_or_404(ci_class, attribute_pk)
    step = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if step is None:
        messages.error(request, _("An attribute moves one place up or down."))
        return redirect(_back(ci_class))
    try:
        created = actions.move_attribute(ci_class, attribute.pk, step, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect(_back(ci_class))
    return _saved(request, ci_class, created)

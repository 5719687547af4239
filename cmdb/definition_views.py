"""The definition page: its attributes, each edited with its own form (add one, change one,
move one up or down), and the whole definition exported and imported as JSON. Every save is
a new definition version through :func:`cmdb.actions.update_definition`, so the rules and the
migration question are the same whichever way the change comes."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError
from otrs.permissions import PermissionKey

from . import access, actions
from . import attributes as attrs
from .attribute_forms import AttributeForm
from .forms import DefinitionForm
from .models import Attribute

RW = PermissionKey.RW


def _back(ci_class) -> str:
    return reverse("agent:cmdb_definition", args=[ci_class.pk]) + "#attributes"


def _attribute_or_404(ci_class, attribute_pk: int) -> Attribute:
    found = Attribute.objects.filter(pk=attribute_pk, ci_class=ci_class, removed=False).first()
    if found is None:
        raise Http404("No such attribute.")
    return found


@agent_required
def definition(request, class_pk: int):
    ci_class = access.class_or_404(request.user, class_pk, RW)
    posted = request.method == "POST"
    form = DefinitionForm(request.POST if posted else None, request.FILES if posted else None)
    migrations = []
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.update_definition(
                ci_class,
                form.cleaned_data["specs"],
                actor=request.user,
                confirm=form.cleaned_data["confirm"],
            )
        except actions.NeedsConfirmation as refusal:
            migrations = refusal.migrations
            form.add_error("confirm", refusal.message)
            _keep_text(form)
        except DomainError as refusal:
            form.add_error(None, refusal.message)
            _keep_text(form)
        else:
            return _saved(request, ci_class, created)
    versions = list(ci_class.definitions.order_by("-version").values_list("version", "created_at"))
    context = {
        "nav": "cmdb",
        "form": form,
        "ci_class": ci_class,
        "migrations": migrations,
        "versions": versions,
        "attribute_rows": _attribute_rows(attrs.Definition.of(ci_class)),
        "type_labels": dict(attrs.type_choices()),
    }
    return render(request, "cmdb/definition.html", context, status=400 if form.is_bound else 200)


def _keep_text(form) -> None:
    """After a refusal the pasted box holds what was imported (an uploaded file too), so that
    confirming does not ask for the file again."""
    form.data = form.data.copy()
    form.data["definition"] = form.cleaned_data["text"]


@agent_required
def export(request, class_pk: int):
    ci_class = access.class_or_404(request.user, class_pk, RW)
    body = json.dumps(actions.definition_specs(ci_class), indent=2, ensure_ascii=False)
    response = HttpResponse(body + "\n", content_type="application/json; charset=utf-8")
    filename = f"cmdb-definition-{ci_class.pk}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _attribute_rows(tree: attrs.Definition) -> list[dict]:
    """The definition's attributes in order, nested ones after their parent with a depth,
    each with whether it can move up or down among its siblings."""
    rows: list[dict] = []

    def walk(parent_id, depth):
        siblings = tree.children[parent_id]
        for index, attribute in enumerate(siblings):
            rows.append(
                {
                    "attribute": attribute,
                    "depth": depth,
                    "first": index == 0,
                    "last": index == len(siblings) - 1,
                }
            )
            walk(attribute.pk, depth + 1)

    walk(None, 0)
    return rows


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

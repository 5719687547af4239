"""The admin dashboard's own screens: the overview, the permission matrices, scheduled jobs.

Each view is wrapped by the admin site's ``admin_view`` (signed-in admins only, see
:mod:`admin_portal.sites`) and checks the Django permission of what it changes; a missing
permission and a missing object both answer 404.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from otrs.accounts import actions, selectors
from otrs.accounts.models import Group, Role, User
from otrs.daemon import selectors as daemon_selectors
from otrs.permissions.keys import PermissionKey
from otrs.web import admin_modules

from . import forms

# A matrix shows at most this many rows; the filter narrows it down.
MATRIX_ROWS = 200


def _context(request: HttpRequest, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def _admin(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # admin_view lets signed-in admins through only
    return user


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise Http404


def dashboard(request: HttpRequest) -> HttpResponse:
    """The overview: every module the admin may use, in OTRS's groups, with a search."""
    search = forms.SearchForm(request.GET)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    panels = [panel(request) for panel in admin_modules.panels_for("dashboard")]
    context = _context(
        request,
        _("Administration"),
        search=search,
        text=text,
        sections=admin_modules.sections_for(request.user, text),
        panels=[html for html in panels if html],
    )
    return TemplateResponse(request, "admin_portal/dashboard.html", context)


def permissions(request: HttpRequest) -> HttpResponse:
    """The start of the matrices: groups (to agents and roles) and roles (to agents)."""
    _require(request, "accounts.view_group")
    search = forms.SearchForm(request.GET)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    context = _context(
        request,
        _("Permissions"),
        search=search,
        groups=selectors.groups(text),
        roles=selectors.roles(text),
        changes=selectors.changes(limit=20),
    )
    return TemplateResponse(request, "admin_portal/permissions.html", context)


def group_agents(request: HttpRequest, pk: int) -> HttpResponse:
    """Group ↔ agents: which keys each agent holds on the group."""
    _require(request, "accounts.change_group")
    group = get_object_or_404(Group, pk=pk)
    return _matrix(
        request,
        title=_("Agents of the group “%(name)s”") % {"name": group.name},
        subject=group,
        rows=selectors.agents,
        held=lambda ids: selectors.agent_keys(group, ids),
        save=lambda grid: actions.set_agent_grants(group, grid, actor=_admin(request)),
        history=selectors.changes(group=group),
        kind="agents",
    )


def group_roles(request: HttpRequest, pk: int) -> HttpResponse:
    """Group ↔ roles: which keys each role holds on the group."""
    _require(request, "accounts.change_group")
    group = get_object_or_404(Group, pk=pk)
    return _matrix(
        request,
        title=_("Roles of the group “%(name)s”") % {"name": group.name},
        subject=group,
        rows=selectors.roles,
        held=lambda ids: selectors.role_keys(group, ids),
        save=lambda grid: actions.set_role_grants(group, grid, actor=_admin(request)),
        history=selectors.changes(group=group),
        kind="roles",
    )


def role_agents(request: HttpRequest, pk: int) -> HttpResponse:
    """Role ↔ agents: who is a member of the role."""
    _require(request, "accounts.change_role")
    role = get_object_or_404(Role, pk=pk)
    member = "member"

    def held(ids):
        members = selectors.member_ids(role)
        return {pk: {member} for pk in ids if pk in members}

    def save(grid):
        return actions.set_role_members(
            role, {pk: member in keys for pk, keys in grid.items()}, actor=_admin(request)
        )

    return _matrix(
        request,
        title=_("Members of the role “%(name)s”") % {"name": role.name},
        subject=role,
        rows=selectors.agents,
        held=held,
        save=save,
        history=selectors.changes(role=role),
        kind="members",
        columns=[(member, _("member"))],
    )


def _matrix(request, *, title, subject, rows, held, save, history, kind, columns=None):
    columns = columns or list(PermissionKey.choices)
    search = forms.SearchForm(request.GET)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    shown = list(rows(text)[:MATRIX_ROWS])
    form = forms.MatrixForm(
        request.POST or None, rows=[row.pk for row in shown], columns=[c for c, _l in columns]
    )
    if request.method == "POST" and form.is_valid():
        try:
            changes = save(form.cleaned_data["grid"])
        except actions.GrantError:
            raise Http404 from None
        messages.success(
            request,
            ngettext("%(count)d change saved.", "%(count)d changes saved.", len(changes))
            % {"count": len(changes)},
        )
        return redirect(request.get_full_path())
    checked = held([row.pk for row in shown])
    grid = [
        (row, [(c, label, c in checked.get(row.pk, ())) for c, label in columns]) for row in shown
    ]
    context = _context(
        request,
        title,
        subject=subject,
        kind=kind,
        form=form,
        search=search,
        columns=columns,
        grid=grid,
        more=len(shown) == MATRIX_ROWS,
        history=history,
    )
    return TemplateResponse(request, "admin_portal/matrix.html", context)


def scheduled_jobs(request: HttpRequest) -> HttpResponse:
    """The daemon's recurring jobs with their schedules in words (Celery beat's tables)."""
    _require(request, "django_celery_beat.view_periodictask")
    context = _context(request, _("Scheduled jobs"), jobs=daemon_selectors.jobs())
    return TemplateResponse(request, "admin_portal/scheduled_jobs.html", context)

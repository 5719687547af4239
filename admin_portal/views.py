"""The admin dashboard's own screens: the overview, the permission matrices, scheduled jobs,
and operations (health, sessions, system log, support bundle).

Each view is wrapped by the admin site's ``admin_view`` (signed-in admins only, see
:mod:`admin_portal.sites`) and checks the Django permission of what it changes; a missing
permission and a missing object both answer 404.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from otrs import policy
from otrs.accounts import actions, selectors
from otrs.accounts import sessions as account_sessions
from otrs.accounts.models import Group, Role, User
from otrs.daemon import selectors as daemon_selectors
from otrs.ops import checks, logfile, support
from otrs.ops import environment as ops_environment
from otrs.ops import selectors as ops_selectors
from otrs.permissions.keys import PermissionKey
from otrs.policy import actions as policy_actions
from otrs.policy import registry as policy_registry
from otrs.policy.models import PolicyChange
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
        trail=[(reverse("admin:permissions"), _("Permissions"))],
    )
    return TemplateResponse(request, "admin_portal/matrix.html", context)


def scheduled_jobs(request: HttpRequest) -> HttpResponse:
    """The daemon's recurring jobs with their schedules in words (Celery beat's tables)."""
    _require(request, "django_celery_beat.view_periodictask")
    context = _context(request, _("Scheduled jobs"), jobs=daemon_selectors.jobs())
    return TemplateResponse(request, "admin_portal/scheduled_jobs.html", context)


# --- operations: health, sessions, system log, support bundle -----------------------------------


def health(request: HttpRequest) -> HttpResponse:
    """The environment checks of ``manage.py checkenvironment``, the heartbeats, the backlogs."""
    _require(request, "ops.view_health")
    results = checks.run()
    beats, beat_sent_at = ops_selectors.heartbeats()
    context = _context(
        request,
        _("System health"),
        results=results,
        worst=checks.worst(results),
        status_labels=checks.STATUS_LABELS,
        beats=beats,
        beat_sent_at=beat_sent_at,
        backlogs=ops_selectors.backlogs(),
    )
    return TemplateResponse(request, "admin_portal/health.html", context)


def sessions(request: HttpRequest) -> HttpResponse:
    """The running sessions of agents and customers, each with "end this session"."""
    _require(request, "ops.end_session")
    if request.method == "POST":
        form = forms.EndSessionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("No session was chosen."))
        elif form.cleaned_data["session"] == account_sessions.key_hash(
            request.session.session_key or ""
        ):
            messages.error(request, _("This is your own session: sign out instead."))
        else:
            ended = account_sessions.end_session(
                form.cleaned_data["session"], actor=_admin(request)
            )
            if ended is None:
                messages.warning(request, _("This session had already ended."))
            else:
                messages.success(
                    request, _("The session of %(user)s was ended.") % {"user": ended.username}
                )
        return redirect(request.get_full_path())
    search = forms.SessionFilterForm(request.GET)
    kind, text = ("", "")
    if search.is_valid():
        kind, text = search.cleaned_data["kind"], search.cleaned_data["q"]
    own = account_sessions.key_hash(request.session.session_key or "")
    context = _context(
        request,
        _("Sessions"),
        search=search,
        rows=account_sessions.running(kind=kind, text=text),
        own=own,
        end_form=forms.EndSessionsForm(),
    )
    return TemplateResponse(request, "admin_portal/sessions.html", context)


def end_sessions(request: HttpRequest) -> HttpResponse:
    """End all agents', all customers' or one user's sessions (never the admin's own): the
    first POST asks for confirmation with the number found, the confirmed one ends them."""
    _require(request, "ops.end_session")
    trail = [(reverse("admin:sessions"), _("Sessions"))]
    form = forms.EndSessionsForm(request.POST)
    own = request.session.session_key
    if not form.is_valid():
        context = _context(request, _("End sessions"), form=form, trail=trail)
        return TemplateResponse(request, "admin_portal/end_sessions.html", context, status=400)
    scope, user = form.cleaned_data["scope"], form.cleaned_data["user"]
    if "confirm" not in request.POST:
        count = account_sessions.count_sessions(scope, user=user, keep=own)
        context = _context(
            request,
            _("End sessions"),
            form=form,
            count=count,
            trail=trail,
            whose=user.username if user else dict(forms.Scope.choices)[scope],
        )
        return TemplateResponse(request, "admin_portal/end_sessions.html", context)
    ended = account_sessions.end_sessions(scope, user=user, actor=_admin(request), keep=own)
    total = sum(ended.values())
    messages.success(
        request,
        ngettext("%(count)d session was ended.", "%(count)d sessions were ended.", total)
        % {"count": total},
    )
    return redirect("admin:sessions")


def system_log(request: HttpRequest) -> HttpResponse:
    """The newest records of the system log, from a level up, with a text filter."""
    _require(request, "ops.view_systemlog")
    data = request.GET.copy()
    if not data.get("level"):
        data["level"] = "WARNING"  # the page opens on warnings and errors
    search = forms.LogFilterForm(data)
    level, text = ("WARNING", "")
    if search.is_valid():
        level, text = search.cleaned_data["level"], search.cleaned_data["q"]
    context = _context(
        request,
        _("System log"),
        search=search,
        entries=logfile.recent(min_level=level, text=text),
        path=logfile.path(),
    )
    return TemplateResponse(request, "admin_portal/system_log.html", context)


def support_bundle(request: HttpRequest) -> HttpResponse:
    """What the bundle holds, and (POST) the bundle itself."""
    _require(request, "ops.download_supportbundle")
    if request.method == "POST":
        name, data = support.build()
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return TemplateResponse(
        request, "admin_portal/support_bundle.html", _context(request, _("Support bundle"))
    )


# --- system configuration (policy settings) -----------------------------------------------------


def configuration(request: HttpRequest) -> HttpResponse:
    """The policy settings by group: the value in force, the default, whether it was changed."""
    _require(request, "policy.view_policyvalue")
    search = forms.SearchForm(request.GET)
    text = (search.cleaned_data["q"] if search.is_valid() else "").casefold()
    stored = policy_registry.stored()
    groups: dict[str, list] = {}
    for entry in policy.definitions():
        haystack = f"{entry.key} {entry.label} {entry.description}".casefold()
        if text and text not in haystack:
            continue
        current = stored.get(entry.key, entry.default())
        groups.setdefault(str(entry.group), []).append(
            {
                "entry": entry,
                "current": entry.display(current),
                "default": entry.display(entry.default()),
                "changed": entry.key in stored,
            }
        )
    context = _context(request, _("System configuration"), search=search, groups=groups)
    return TemplateResponse(request, "admin_portal/configuration.html", context)


def configuration_setting(request: HttpRequest, key: str) -> HttpResponse:
    """One policy setting: change it, reset it to the default, revert to an earlier value."""
    _require(request, "policy.view_policyvalue")
    try:
        entry = policy.definition(key)
    except KeyError:
        raise Http404 from None
    form = forms.PolicyForm(definition=entry, initial={"value": policy.value(key)})
    if request.method == "POST":
        _require(request, "policy.change_policyvalue")
        if "reset" in request.POST:
            change = policy_actions.reset(key, actor=_admin(request))
            _said(request, change, _("The setting is back to its default."))
            return redirect(request.get_full_path())
        form = forms.PolicyForm(request.POST, definition=entry)
        if form.is_valid():
            change = policy_actions.set_value(
                key, form.cleaned_data["value"], actor=_admin(request)
            )
            _said(request, change, _("The setting was saved."))
            return redirect(request.get_full_path())
    history = [
        {
            "change": change,
            "old": _policy_display(entry, change.old),
            "new": _policy_display(entry, change.new),
        }
        for change in PolicyChange.objects.filter(key=key).select_related("changed_by")[:50]
    ]
    context = _context(
        request,
        str(entry.label),
        entry=entry,
        form=form,
        default=entry.display(entry.default()),
        changed=key in policy_registry.stored(),
        history=history,
        trail=[(reverse("admin:configuration"), _("System configuration"))],
    )
    return TemplateResponse(request, "admin_portal/configuration_setting.html", context)


def environment(request: HttpRequest) -> HttpResponse:
    """The environment settings, read-only: each variable's text (secrets masked), where it
    came from (process environment, ``.env`` file, default) and the default."""
    _require(request, "policy.view_policyvalue")
    search = forms.SearchForm(request.GET)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    context = _context(
        request,
        _("Environment settings"),
        search=search,
        rows=ops_environment.read(text),
        trail=[(reverse("admin:configuration"), _("System configuration"))],
    )
    return TemplateResponse(request, "admin_portal/environment.html", context)


def _policy_display(entry, raw) -> str:
    if raw is None:
        return _("default (%(value)s)") % {"value": entry.display(entry.default())}
    return entry.display(raw)


def _said(request: HttpRequest, change, done: str) -> None:
    if change is None:
        messages.info(request, _("Nothing changed."))
    else:
        messages.success(request, done)

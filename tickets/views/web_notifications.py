"""The agent's in-app notifications (OTRS's Web transport): the bell in the top bar, the
list, opening one (which marks it read and goes to its ticket) and marking read. Plain links
and forms; the bell's number also comes with the live counters."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from otrs.accounts.decorators import agent_required
from otrs.web.links import local_path
from otrs.web.pagination import paginate

from .. import actions
from ..forms.web_notifications import MarkReadForm
from ..selectors import web_notifications as selectors

PER_PAGE = 50


def bell(request, obj=None) -> str:
    """The top bar's bell (the shell's ``topbar`` panel): a link to the list with the
    number of unread notifications, rendered with the page (one query)."""
    user = request.user
    if not getattr(user, "is_agent", False):
        return ""
    count = selectors.unread_count(user)
    return render_to_string(
        "tickets/web_notifications/_bell.html", {"count": count}, request=request
    )


@agent_required
@require_safe
def notification_list(request):
    unread_only = request.GET.get("show") != "all"
    page = paginate(
        selectors.listed(request.user, unread_only=unread_only),
        number=request.GET.get("page"),
        per_page=PER_PAGE,
    )
    return render(
        request,
        "tickets/web_notifications/list.html",
        {"page": page, "unread_only": unread_only, "nav": "notifications"},
    )


@agent_required
@require_POST
def notification_open(request, pk: int):
    """Mark the notification read and show its ticket (404 when it is not the agent's, or
    they may no longer read the ticket)."""
    found = selectors.visible(request.user).filter(pk=pk).values_list("ticket_id", flat=True)
    ticket_id = found.first()
    if ticket_id is None:
        raise Http404("No such notification.")
    actions.mark_notifications_read(request.user, [pk])
    return redirect("agent:zoom", ticket_id)


@agent_required
@require_POST
def notifications_read(request):
    form = MarkReadForm(request.POST)
    if form.is_valid():
        marked = actions.mark_notifications_read(request.user, form.chosen())
        text = ngettext(
            "%(count)s notification marked read.", "%(count)s notifications marked read.", marked
        )
        messages.success(request, text % {"count": marked})
    else:
        messages.error(request, " ".join(form.non_field_errors() + form["ids"].errors))
    back = local_path(request, request.POST.get("next", ""), reverse("agent:notifications"))
    return redirect(back)


urlpatterns = [
    path("notifications/", notification_list, name="notifications"),
    path("notifications/read/", notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/open/", notification_open, name="notification_open"),
]

"""The extension's one page. No agents-only decorator here on purpose: the shell puts every
page of an ``agent_urls`` module behind that gate itself."""

from django.http import Http404
from django.shortcuts import render

from otrs.accounts.models import Group
from otrs.permissions import PermissionKey, grants_for

REPORTS_GROUP = "reports"


def may_see_reports(user) -> bool:
    """Agents with ro (or rw) on the group "reports"."""
    readable = grants_for(user).group_ids(PermissionKey.RO)
    return Group.objects.filter(name=REPORTS_GROUP, pk__in=readable).exists()


def report(request):
    # The menu hides the link from other agents; the page refuses them itself, as a missing
    # page (a hidden link is no access control).
    if not may_see_reports(request.user):
        raise Http404
    return render(request, "extension_example/report.html", {"nav": "example_report"})

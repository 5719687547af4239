"""Files of a CI (attachment attributes): upload and remove from the CI page (POST forms),
download for whoever may read the CI (the CMDB's access entry; customers in the portal
through :func:`file_response` too)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError
from otrs.permissions import PermissionKey
from tickets.downloads import download_name, served_content_type

from . import access, actions
from .forms import FileForm
from .models import CIFile

RW = PermissionKey.RW
_MAX_ID = 2**63 - 1


def _back(ci) -> str:
    return reverse("agent:cmdb_ci", args=[ci.pk]) + "#files"


def file_or_404(user, file_pk: int) -> CIFile:
    """A file of a CI ``user`` may read; missing and forbidden alike answer 404."""
    if not 0 < file_pk <= _MAX_ID:
        raise Http404("No such file.")
    found = (
        CIFile.objects.filter(pk=file_pk, configitem__in=access.visible_to(user).values("pk"))
        .select_related("configitem")
        .first()
    )
    if found is None:
        raise Http404("No such file.")
    return found


def file_response(stored: CIFile) -> FileResponse:
    """The file as a download that never renders as a page (as ticket attachments)."""
    content = stored.file.open("rb") if not stored.in_database else None
    response = FileResponse(
        content if content is not None else _bytes(stored),
        as_attachment=True,
        filename=download_name(stored.filename),
        content_type=served_content_type(stored.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


def _bytes(stored: CIFile):
    return io.BytesIO(stored.read())


@agent_required
@require_safe
def download(request, file_pk: int):
    return file_response(file_or_404(request.user, file_pk))


@agent_required
@require_POST
def upload(request, pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    form = FileForm(request.POST, request.FILES, ci_class=ci.ci_class)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(_back(ci))
    try:
        actions.attach_file(
            ci, form.cleaned_data["attribute"].pk, form.cleaned_data["file"], actor=request.user
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("File added."))
    return redirect(_back(ci))


@agent_required
@require_POST
def remove(request, pk: int, file_pk: int):
    ci = access.get_or_404(request.user, pk, RW)
    try:
        actions.remove_file(ci, file_pk, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("File removed."))
    return redirect(_back(ci))

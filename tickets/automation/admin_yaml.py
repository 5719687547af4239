"""YAML export (an admin action) and import (a page of its own) for the ACL and GenericAgent
admins, on the one import page all the admin's YAML imports share
(``templates/admin/yaml_import.html``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext


def yaml_download(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="application/yaml")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def import_view(
    model_admin: Any,
    request,
    *,
    importer: Callable[[str], Iterable[Any]],
    title: str,
    explanation: str,
    done: Callable[[int], str],
):
    """The import page: a file upload; every entry checked first, nothing written if any
    is refused (the problems listed, status 400)."""
    if not model_admin.has_add_permission(request) or not model_admin.has_change_permission(
        request
    ):
        raise PermissionDenied
    problems: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            text = upload.read().decode("utf-8") if upload else ""
        except UnicodeDecodeError:
            problems = [gettext("The file is not UTF-8 text.")]
        else:
            try:
                imported = list(importer(text))
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(request, done(len(imported)))
                opts = model_admin.model._meta
                return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "explanation": explanation,
        "problems": problems,
    }
    return TemplateResponse(
        request, "admin/yaml_import.html", context, status=400 if problems else 200
    )


def imported_acls(count: int) -> str:
    return ngettext("Imported %(count)d ACL.", "Imported %(count)d ACLs.", count) % {"count": count}


def imported_jobs(count: int) -> str:
    return ngettext(
        "Imported %(count)d GenericAgent job.", "Imported %(count)d GenericAgent jobs.", count
    ) % {"count": count}

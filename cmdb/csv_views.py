"""CSV export of a filtered list and CSV import of one class (with a dry run) from the
agent's CMDB screens; the import does what ``manage.py cmdb_import`` does."""

from __future__ import annotations

import csv
import io

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from . import access, actions, selectors
from . import attributes as attrs
from .forms import CatalogChoiceField, FilterForm

MAX_EXPORT = 50_000
MAX_UPLOAD = 5 * 1024 * 1024


@agent_required
@require_safe
def export(request):
    """The list's rows as CSV (one class: its attribute columns; ``columns`` chooses them)."""
    form = FilterForm(request.GET or None, classes=access.classes_for(request.user))
    params = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = selectors.filtered(request.user, params).order_by("ci_class__name", "name", "pk")
    rows = rows.select_related("deployment_state", "incident_state")[:MAX_EXPORT]
    ci_class = params.get("ci_class")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="configuration-items.csv"'
    writer = csv.writer(response)
    if ci_class is not None:
        tree = attrs.Definition.of(ci_class)
        wanted = [c for c in request.GET.getlist("columns") if c in actions._import.columns(tree)]
        header, lines = actions.export_rows(rows, tree, wanted or None)
    else:
        tree = attrs.Definition([])
        header, lines = actions.export_rows(rows, tree, [])
    writer.writerow(header)
    writer.writerows(lines)
    return response


class ImportForm(forms.Form):
    ci_class = CatalogChoiceField(label=_("Class"), queryset=None, empty_label=None)
    file = forms.FileField(label=_("CSV file"))
    key = forms.CharField(
        label=_("Match on"),
        initial="name",
        max_length=200,
        help_text=_("number, name or an attribute column (e.g. SerialNumber)"),
    )
    dry_run = forms.BooleanField(label=_("Dry run: only report"), required=False, initial=True)

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ci_class"].queryset = classes

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            text = upload.read().decode("utf-8-sig")
            return list(csv.DictReader(io.StringIO(text)))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise forms.ValidationError(
                gettext("The file is not a UTF-8 CSV file: %(error)s") % {"error": exc}
            ) from None


@agent_required
def import_csv(request):
    classes = access.classes_for(request.user, PermissionKey.RW)
    form = ImportForm(request.POST or None, request.FILES or None, classes=classes)
    results = None
    dry_run = True
    if request.method == "POST" and form.is_valid():
        dry_run = form.cleaned_data["dry_run"]
        results = actions.import_rows(
            form.cleaned_data["ci_class"],
            form.cleaned_data["file"],
            key=form.cleaned_data["key"].strip(),
            actor=request.user,
            dry_run=dry_run,
        )
    counts: dict[str, int] = {}
    for result in results or []:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return render(
        request,
        "cmdb/import.html",
        {"nav": "cmdb", "form": form, "results": results, "counts": counts, "dry_run": dry_run},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )

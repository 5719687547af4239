"""The reports under /agent/reports/ (issue 14 part 7): a list, and each report as an SVG
chart and a table with filters and a CSV download. Agents without the reports grant
(:func:`tickets.access.can_view_reports`) get 404, as for anything they may not see."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from otrs.accounts.decorators import agent_required

from .. import access, charts, reports
from ..forms.reports import ReportFilterForm


def _require_reports(user) -> None:
    if not access.can_view_reports(user):
        raise Http404


@agent_required
@require_safe
def report_list(request):
    _require_reports(request.user)
    kinds = [(kind, reports.DESCRIPTIONS[kind]) for kind in reports.Kind]
    return render(request, "tickets/reports/index.html", {"kinds": kinds, "nav": "reports"})


@agent_required
@require_safe
def report(request, kind: str):
    _require_reports(request.user)
    if kind not in reports.Kind.values:
        raise Http404
    form = ReportFilterForm(request.GET or None, user=request.user)
    context = {"form": form, "kind": reports.Kind(kind), "nav": "reports"}
    if form.is_bound and not form.is_valid():
        return render(request, "tickets/reports/report.html", context, status=400)
    result = reports.build(request.user, kind, form.filters())
    if request.GET.get("format") == "csv":
        response = HttpResponse(reports.to_csv(result), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{reports.csv_filename(result)}"'
        return response
    context.update(
        report=result,
        chart=_chart(result),
        grouped=kind in reports.GROUPED,
        description=reports.DESCRIPTIONS[reports.Kind(kind)],
    )
    return render(request, "tickets/reports/report.html", context)


def _chart(result: reports.Report):
    if not result.chart:
        return ""
    if result.chart[0] == "bars":
        _k, items, maximum, unit = result.chart
        return charts.bars(items, maximum=maximum, unit=unit, label=result.chart_label)
    _k, labels, series = result.chart
    return charts.columns(labels, series, label=result.chart_label)


urlpatterns = [
    path("reports/", report_list, name="reports"),
    path("reports/<slug:kind>/", report, name="report"),
]

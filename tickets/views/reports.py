"""The reports under /agent/reports/ (issue 14 part 7): a list, and each report as an SVG
chart and a table with filters, and a CSV and a PDF download. Agents without the reports grant
(:func:`tickets.access.can_view_reports`) get 404, as for anything they may not see."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError

from .. import access, charts, reports, reports_pdf
from ..actions.reports import create_report_schedule, delete_report_schedule
from ..forms.reports import ReportFilterForm, ScheduleForm
from ..models import ReportSchedule


def _require_reports(user) -> None:
    if not access.can_view_reports(user):
        raise Http404


@agent_required
@require_safe
def report_list(request):
    _require_reports(request.user)
    kinds = [(kind, reports.DESCRIPTIONS[kind]) for kind in reports.Kind]
    may_schedule = access.can_schedule_reports(request.user)
    schedules = (
        ReportSchedule.objects.select_related("queue").prefetch_related("recipients")
        if may_schedule
        else ReportSchedule.objects.none()
    )
    return render(
        request,
        "tickets/reports/index.html",
        {
            "kinds": kinds,
            "nav": "reports",
            "may_schedule": may_schedule,
            "schedules": list(schedules.order_by("name", "pk")),
            "kind_labels": dict(reports.Kind.choices),
        },
    )


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
    if request.GET.get("format") == "pdf":
        response = HttpResponse(reports_pdf.to_pdf(result), content_type="application/pdf")
        filename = reports_pdf.pdf_filename(result)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if access.can_schedule_reports(request.user):
        filters = result.filters
        context["schedule_form"] = ScheduleForm(
            user=request.user,
            initial={
                "name": reports.Kind(kind).label,
                "frequency": "weekly",
                "dimension": filters.dimension,
                "queue": filters.queue,
            },
        )
    context.update(
        report=result,
        chart=_chart(result),
        grouped=kind in reports.GROUPED,
        description=reports.DESCRIPTIONS[reports.Kind(kind)],
    )
    return render(request, "tickets/reports/report.html", context)


@agent_required
@require_POST
def schedule_report(request, kind: str):
    """Mail this report (the grouping and queue on screen) on a schedule."""
    if not access.can_schedule_reports(request.user) or kind not in reports.Kind.values:
        raise Http404
    form = ScheduleForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            create_report_schedule(
                data["name"],
                kind,
                dimension=data["dimension"],
                queue=data.get("queue"),
                frequency=data["frequency"],
                recipients=data["recipients"],
                actor=request.user,
                formats=data["formats"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The report is scheduled."))
            return redirect("agent:reports")
    context = {"form": form, "kind": reports.Kind(kind), "nav": "reports"}
    return render(request, "tickets/reports/schedule.html", context, status=400)


@agent_required
@require_POST
def unschedule_report(request, pk: int):
    if not access.can_schedule_reports(request.user):
        raise Http404
    delete_report_schedule(get_object_or_404(ReportSchedule, pk=pk), actor=request.user)
    messages.success(request, _("The scheduled report is deleted."))
    return redirect("agent:reports")


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
    path("reports/<slug:kind>/schedule/", schedule_report, name="report_schedule"),
    path("reports/schedules/<int:pk>/delete/", unschedule_report, name="report_unschedule"),
]

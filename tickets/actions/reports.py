"""Scheduled reports (issue 14 part 7): defining one, and the daemon's run that mails the
due ones as CSV, PDF or both (``tickets.tasks.send_scheduled_reports``, every 15 minutes).

A schedule is due at 06:00 in the server's time zone: daily (covering the day before),
weekly on Mondays (the seven days before), monthly on the 1st (the month before). A run
claims a due schedule by moving ``next_run_at`` on with a conditional update, so two
workers never mail it twice; each recipient who may still read reports gets a mail with
the figures of the tickets they may see (their own access, not the author's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode

from .. import access, reports, reports_pdf
from ..models import Queue, ReportFormat, ReportFrequency, ReportSchedule

SEND_HOUR = 6


def next_run(frequency: str, after: dt.datetime) -> dt.datetime:
    """The next 06:00 (local) after ``after`` that suits the frequency."""
    zone = timezone.get_default_timezone()
    day = timezone.localtime(after, zone).date()
    while True:
        candidate = dt.datetime.combine(day, dt.time(SEND_HOUR), tzinfo=zone)
        fits = (
            frequency == ReportFrequency.DAILY
            or (frequency == ReportFrequency.WEEKLY and day.weekday() == 0)
            or (frequency == ReportFrequency.MONTHLY and day.day == 1)
        )
        if fits and candidate > after:
            return candidate
        day += dt.timedelta(days=1)


def period(frequency: str, run_at: dt.datetime) -> tuple[dt.date, dt.date]:
    """The days a run at ``run_at`` covers (up to the day before)."""
    end = timezone.localtime(run_at, timezone.get_default_timezone()).date() - dt.timedelta(1)
    if frequency == ReportFrequency.DAILY:
        return end, end
    if frequency == ReportFrequency.WEEKLY:
        return end - dt.timedelta(days=6), end
    return end.replace(day=1), end


def create_report_schedule(
    name: str,
    kind: str,
    *,
    dimension: str,
    queue: Queue | None,
    frequency: str,
    recipients: Iterable[User],
    actor: User,
    formats: str = ReportFormat.CSV,
) -> ReportSchedule:
    """A new schedule; needs rw on the reports group."""
    if not access.can_schedule_reports(actor):
        raise DomainError(_("You may not schedule reports."), code=ErrorCode.PERMISSION_DENIED)
    if kind not in reports.Kind.values or dimension not in reports.Dimension.values:
        raise DomainError(_("Unknown report."), code=ErrorCode.NOT_ALLOWED)
    if formats not in ReportFormat.values:
        raise DomainError(
            _("Choose CSV, PDF or both."), code=ErrorCode.NOT_ALLOWED, field="formats"
        )
    chosen = list(recipients)
    if not chosen:
        raise DomainError(
            _("Choose at least one recipient."), code=ErrorCode.NOT_ALLOWED, field="recipients"
        )
    with transaction.atomic():
        schedule = ReportSchedule.objects.create(
            name=name.strip()[:200] or str(reports.Kind(kind).label),
            kind=kind,
            dimension=dimension,
            queue=queue,
            frequency=frequency,
            formats=formats,
            created_by=actor,
            next_run_at=next_run(frequency, timezone.now()),
        )
        schedule.recipients.set(chosen)
    return schedule


def delete_report_schedule(schedule: ReportSchedule, *, actor: User) -> None:
    if not access.can_schedule_reports(actor):
        raise DomainError(_("You may not schedule reports."), code=ErrorCode.PERMISSION_DENIED)
    schedule.delete()


def send_due_reports(now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Mail every due schedule; ``(schedule id, address)`` of each mail queued."""
    now = now or timezone.now()
    sent: list[tuple[int, str]] = []
    due = ReportSchedule.objects.filter(next_run_at__lte=now).order_by("next_run_at", "pk")
    for schedule in due.select_related("queue"):
        following = next_run(schedule.frequency, now)
        claimed = ReportSchedule.objects.filter(
            pk=schedule.pk, next_run_at=schedule.next_run_at
        ).update(next_run_at=following, last_sent_at=now)
        if not claimed:
            continue  # another worker has it
        start, end = period(schedule.frequency, schedule.next_run_at)
        filters = reports.Filters(
            start=start, end=end, dimension=schedule.dimension, queue=schedule.queue
        )
        for user in schedule.recipients.filter(is_active=True).exclude(email="").order_by("pk"):
            if not access.can_view_reports(user):
                continue
            with transaction.atomic():
                _mail(schedule, user, filters)
            sent.append((schedule.pk, user.email))
    return sent


def _mail(schedule: ReportSchedule, user: User, filters: reports.Filters) -> None:
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(timezone.get_default_timezone()):
        report = reports.build(user, schedule.kind, filters)
        subject = _("Report “%(name)s”: %(start)s to %(end)s") % {
            "name": schedule.name,
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
        }
        body = _(
            "Attached: %(report)s for %(start)s to %(end)s, over the tickets you may see.\n"
            "This report is sent %(frequency)s; to stop it, ask a report manager."
        ) % {
            "report": report.title,
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
            "frequency": ReportFrequency(schedule.frequency).label,
        }
        message = EmailMessage(subject, body, to=[user.email])
        if schedule.formats in (ReportFormat.CSV, ReportFormat.BOTH):
            message.attach(reports.csv_filename(report), reports.to_csv(report), "text/csv")
        if schedule.formats in (ReportFormat.PDF, ReportFormat.BOTH):
            message.attach(
                reports_pdf.pdf_filename(report), reports_pdf.to_pdf(report), "application/pdf"
            )
        message.send()

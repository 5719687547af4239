"""The reports under /agent/reports/ (issue 14 part 7), computed from the metrics rows.

Every report starts from the tickets the agent may see (:func:`tickets.access.visible_to`),
reads :class:`~tickets.models.TicketMetrics` (or :class:`~tickets.models.TimeAccounting`) and
answers a :class:`Report`: columns, rows (raw numbers; the template and the CSV format
them) and what the chart draws. The period is whole days in the current time zone,
``start`` to ``end`` inclusive.

* compliance: per group, the targets met and breached of the tickets created in the period
  (first response, update and solution each count once when decided), and met ÷ decided;
* times: first-response and solution working time (the ticket's calendar, pauses left out),
  median (p50) and p90, nearest rank, of the tickets created in the period;
* volume: tickets created per day, and closed per day (the day of the latest close of the
  tickets closed now);
* backlog: the tickets not closed now by age (now minus created), per group;
* reopens: of the tickets first closed in the period, those reopened since, and the rate;
* time: time units accounted in the period (by the agent who accounted them for "agent").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, TextChoices
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import Group, User
from otrs.permissions import PermissionKey

from . import access
from .choices import StateType
from .escalation import format_duration
from .models import SLA, Queue, Service, TicketMetrics, TimeAccounting

_OPEN_TYPES_EXCLUDED = (StateType.CLOSED, StateType.MERGED, StateType.REMOVED)
# Backlog age buckets: (upper bound in days, label); the last has no bound.
AGE_BUCKETS: tuple[tuple[float, object], ...] = (
    (1, _("under 1 day")),
    (3, _("1 to 3 days")),
    (7, _("3 to 7 days")),
    (30, _("7 to 30 days")),
    (math.inf, _("over 30 days")),
)


class Kind(TextChoices):
    COMPLIANCE = "compliance", _("SLA compliance")
    TIMES = "times", _("Response and solution times")
    VOLUME = "volume", _("Created and closed per day")
    BACKLOG = "backlog", _("Backlog and its age")
    REOPENS = "reopens", _("Reopen rate")
    TIME = "time", _("Time accounted")


class Dimension(TextChoices):
    QUEUE = "queue", _("Queue")
    SERVICE = "service", _("Service")
    SLA = "sla", _("SLA")
    AGENT = "agent", _("Agent")
    TEAM = "team", _("Team (group)")


DESCRIPTIONS = {
    Kind.COMPLIANCE: _(
        "Targets met of all decided targets (first response, update, solution) of the "
        "tickets created in the period."
    ),
    Kind.TIMES: _(
        "Working time until the first response and until the first close, of the tickets "
        "created in the period: median (p50) and 90th percentile."
    ),
    Kind.VOLUME: _("Tickets created per day, and tickets closed per day (latest close)."),
    Kind.BACKLOG: _("Tickets not closed now, by how long ago they were created."),
    Kind.REOPENS: _("Of the tickets first closed in the period, those that were reopened."),
    Kind.TIME: _("Time units agents accounted in the period."),
}
# Reports that group by a dimension (volume is per day).
GROUPED = frozenset({Kind.COMPLIANCE, Kind.TIMES, Kind.BACKLOG, Kind.REOPENS, Kind.TIME})


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    dimension: str = Dimension.QUEUE
    queue: Queue | None = None

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time(0), tzinfo=zone)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return start, end


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    # "text", "int", "percent", "seconds" (working time), "units"
    kind: str = "int"


@dataclass
class Report:
    kind: str
    filters: Filters
    columns: list[Column]
    rows: list[dict]
    total: dict | None = None
    # What the chart draws: ("bars", [(label, value)], max, unit) or ("columns", labels,
    # [(series label, css class, values)]).
    chart: tuple = ()
    chart_label: object = ""
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def title(self):
        return Kind(self.kind).label


def default_filters(today: dt.date | None = None) -> Filters:
    today = today or timezone.localdate()
    return Filters(start=today - dt.timedelta(days=29), end=today)


def _metrics(user: User, filters: Filters) -> QuerySet[TicketMetrics]:
    visible = access.visible_to(user, PermissionKey.RO).values("pk")
    rows = TicketMetrics.objects.filter(ticket_id__in=visible)
    if filters.queue is not None:
        rows = rows.filter(queue_id=filters.queue.pk)
    return rows


def _group_key(dimension: str) -> str:
    return {
        Dimension.QUEUE: "queue_id",
        Dimension.SERVICE: "service_id",
        Dimension.SLA: "sla_id",
        Dimension.AGENT: "owner_id",
        Dimension.TEAM: "queue_id",  # mapped to the queue's group below
    }[Dimension(dimension)]


def _names(dimension: str, ids: Iterable[int | None]) -> dict[int | None, str]:
    """Display names of a dimension's ids (None: "none")."""
    wanted = {i for i in ids if i is not None}
    found: dict[int | None, str] = {None: str(_("(none)"))}
    if dimension == Dimension.AGENT:
        for user in User.objects.filter(pk__in=wanted):
            found[user.pk] = user.get_full_name() or user.get_username()
        return found
    if dimension == Dimension.TEAM:
        found.update(Group.objects.filter(pk__in=wanted).values_list("pk", "name"))
        return found
    rows: QuerySet = {
        Dimension.QUEUE: Queue.objects.values_list("pk", "full_name"),
        Dimension.SERVICE: Service.objects.values_list("pk", "full_name"),
        Dimension.SLA: SLA.objects.values_list("pk", "name"),
    }[Dimension(dimension)]
    found.update(rows.filter(pk__in=wanted))
    return found


def _teams(queue_ids: Iterable[int]) -> dict[int, int]:
    return dict(Queue.objects.filter(pk__in=set(queue_ids)).values_list("pk", "group_id"))


def _grouped(
    dimension: str, rows: list[tuple]
) -> tuple[dict[int | None, list[tuple]], dict[int | None, str]]:
    """Rows ``(group id, ...)`` gathered per group (queue ids become teams for "team")."""
    if dimension == Dimension.TEAM:
        teams = _teams(r[0] for r in rows)
        rows = [(teams.get(r[0]), *r[1:]) for r in rows]
    groups: dict[int | None, list[tuple]] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row[1:])
    return groups, _names(dimension, groups)


def _sorted(groups: dict, names: dict) -> list:
    return sorted(groups, key=lambda key: (key is None, str(names.get(key, key)).lower()))


def percentile(values: list[int], share: int) -> int | None:
    """The nearest-rank percentile (p50: the median value that was reached)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def build(user: User, kind: str, filters: Filters, *, now: dt.datetime | None = None) -> Report:
    now = now or timezone.now()
    builder = {
        Kind.COMPLIANCE: _compliance,
        Kind.TIMES: _times,
        Kind.VOLUME: _volume,
        Kind.BACKLOG: _backlog,
        Kind.REOPENS: _reopens,
        Kind.TIME: _time,
    }[Kind(kind)]
    return builder(user, filters, now)


def _label(dimension: str) -> Column:
    return Column("name", Dimension(dimension).label, "text")


def _compliance(user: User, filters: Filters, now: dt.datetime) -> Report:
    start, end = filters.bounds()
    rows = list(
        _metrics(user, filters)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list(
            _group_key(filters.dimension), "response_result", "update_result", "solution_result"
        )
    )
    groups, names = _grouped(filters.dimension, rows)

    def figures(items: list[tuple]) -> dict:
        results = [r for item in items for r in item]
        met, breached = results.count("met"), results.count("breached")
        return {
            "tickets": len(items),
            "met": met,
            "breached": breached,
            "compliance": _rate(met, met + breached),
        }

    table = [{"name": names[key], **figures(groups[key])} for key in _sorted(groups, names)]
    total = {"name": str(_("Total")), **figures([r[1:] for r in rows])}
    return Report(
        Kind.COMPLIANCE,
        filters,
        [
            _label(filters.dimension),
            Column("tickets", _("Tickets")),
            Column("met", _("Targets met")),
            Column("breached", _("Targets breached")),
            Column("compliance", _("Compliance"), "percent"),
        ],
        table,
        total,
        chart=("bars", [(r["name"], r["compliance"]) for r in table], 100, "%"),
        chart_label=_("Compliance in % per group"),
    )


def _times(user: User, filters: Filters, now: dt.datetime) -> Report:
    start, end = filters.bounds()
    rows = list(
        _metrics(user, filters)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list(
            _group_key(filters.dimension),
            "first_response_business_seconds",
            "solution_business_seconds",
        )
    )
    groups, names = _grouped(filters.dimension, rows)

    def figures(items: list[tuple]) -> dict:
        response = [r for r, _s in items if r is not None]
        solution = [s for _r, s in items if s is not None]
        return {
            "tickets": len(items),
            "response_p50": percentile(response, 50),
            "response_p90": percentile(response, 90),
            "solution_p50": percentile(solution, 50),
            "solution_p90": percentile(solution, 90),
        }

    table = [{"name": names[key], **figures(groups[key])} for key in _sorted(groups, names)]
    total = {"name": str(_("Total")), **figures([r[1:] for r in rows])}
    labels = [r["name"] for r in table]
    return Report(
        Kind.TIMES,
        filters,
        [
            _label(filters.dimension),
            Column("tickets", _("Tickets")),
            Column("response_p50", _("First response p50"), "seconds"),
            Column("response_p90", _("First response p90"), "seconds"),
            Column("solution_p50", _("Solution p50"), "seconds"),
            Column("solution_p90", _("Solution p90"), "seconds"),
        ],
        table,
        total,
        chart=(
            "columns",
            labels,
            [
                (_("First response p50"), "s1", [_hours(r["response_p50"]) for r in table]),
                (_("Solution p50"), "s2", [_hours(r["solution_p50"]) for r in table]),
            ],
        ),
        chart_label=_("Median working hours per group"),
    )


def _hours(seconds: int | None) -> float:
    return round(seconds / 3600, 2) if seconds else 0.0


def _volume(user: User, filters: Filters, now: dt.datetime) -> Report:
    start, end = filters.bounds()
    metrics = _metrics(user, filters)
    zone = timezone.get_current_timezone()
    created: dict[dt.date, int] = defaultdict(int)
    closed: dict[dt.date, int] = defaultdict(int)
    for made in metrics.filter(created_at__gte=start, created_at__lt=end).values_list(
        "created_at", flat=True
    ):
        created[made.astimezone(zone).date()] += 1
    for done in metrics.filter(closed_at__gte=start, closed_at__lt=end).values_list(
        "closed_at", flat=True
    ):
        if done is not None:
            closed[done.astimezone(zone).date()] += 1
    days = [
        filters.start + dt.timedelta(days=n) for n in range((filters.end - filters.start).days + 1)
    ]
    table = [{"day": day, "created": created[day], "closed": closed[day]} for day in days]
    total = {
        "day": str(_("Total")),
        "created": sum(created.values()),
        "closed": sum(closed.values()),
    }
    return Report(
        Kind.VOLUME,
        filters,
        [
            Column("day", _("Day"), "date"),
            Column("created", _("Created")),
            Column("closed", _("Closed")),
        ],
        table,
        total,
        chart=(
            "columns",
            list(days),
            [
                (_("Created"), "s1", [r["created"] for r in table]),
                (_("Closed"), "s2", [r["closed"] for r in table]),
            ],
        ),
        chart_label=_("Tickets created and closed per day"),
    )


def _backlog(user: User, filters: Filters, now: dt.datetime) -> Report:
    rows = list(
        _metrics(user, filters)
        .exclude(state_type__in=_OPEN_TYPES_EXCLUDED)
        .values_list(_group_key(filters.dimension), "created_at")
    )
    groups, names = _grouped(filters.dimension, rows)

    def figures(items: list[tuple]) -> dict:
        counts = [0] * len(AGE_BUCKETS)
        for (created_at,) in items:
            age = (now - created_at).total_seconds() / 86400
            index = next(i for i, (bound, _l) in enumerate(AGE_BUCKETS) if age < bound)
            counts[index] += 1
        return {"tickets": len(items), **{f"age{i}": n for i, n in enumerate(counts)}}

    table = [{"name": names[key], **figures(groups[key])} for key in _sorted(groups, names)]
    total = {"name": str(_("Total")), **figures([r[1:] for r in rows])}
    return Report(
        Kind.BACKLOG,
        filters,
        [
            _label(filters.dimension),
            Column("tickets", _("Open tickets")),
            *(Column(f"age{i}", label) for i, (_b, label) in enumerate(AGE_BUCKETS)),
        ],
        table,
        total,
        chart=(
            "bars",
            [(label, total[f"age{i}"]) for i, (_b, label) in enumerate(AGE_BUCKETS)],
            None,
            "",
        ),
        chart_label=_("Open tickets by age"),
    )


def _reopens(user: User, filters: Filters, now: dt.datetime) -> Report:
    start, end = filters.bounds()
    rows = list(
        _metrics(user, filters)
        .filter(first_closed_at__gte=start, first_closed_at__lt=end)
        .values_list(_group_key(filters.dimension), "reopen_count")
    )
    groups, names = _grouped(filters.dimension, rows)

    def figures(items: list[tuple]) -> dict:
        reopened = sum(1 for (count,) in items if count)
        return {
            "closed": len(items),
            "reopened": reopened,
            "rate": _rate(reopened, len(items)),
        }

    table = [{"name": names[key], **figures(groups[key])} for key in _sorted(groups, names)]
    total = {"name": str(_("Total")), **figures([r[1:] for r in rows])}
    return Report(
        Kind.REOPENS,
        filters,
        [
            _label(filters.dimension),
            Column("closed", _("Closed")),
            Column("reopened", _("Reopened")),
            Column("rate", _("Reopen rate"), "percent"),
        ],
        table,
        total,
        chart=("bars", [(r["name"], r["rate"]) for r in table], 100, "%"),
        chart_label=_("Reopen rate in % per group"),
    )


def _time(user: User, filters: Filters, now: dt.datetime) -> Report:
    start, end = filters.bounds()
    visible = access.visible_to(user, PermissionKey.RO).values("pk")
    entries = TimeAccounting.objects.filter(
        ticket_id__in=visible, created_at__gte=start, created_at__lt=end
    )
    if filters.queue is not None:
        entries = entries.filter(ticket__queue_id=filters.queue.pk)
    key = {
        Dimension.QUEUE: "ticket__queue_id",
        Dimension.SERVICE: "ticket__service_id",
        Dimension.SLA: "ticket__sla_id",
        Dimension.AGENT: "created_by_id",
        Dimension.TEAM: "ticket__queue_id",
    }[Dimension(filters.dimension)]
    rows = list(entries.values_list(key, "ticket_id", "time_units"))
    groups, names = _grouped(filters.dimension, rows)

    def figures(items: list[tuple]) -> dict:
        return {
            "tickets": len({ticket for ticket, _u in items}),
            "units": sum((units for _t, units in items), Decimal(0)),
        }

    table = [{"name": names[k], **figures(groups[k])} for k in _sorted(groups, names)]
    total = {"name": str(_("Total")), **figures([r[1:] for r in rows])}
    return Report(
        Kind.TIME,
        filters,
        [
            _label(filters.dimension),
            Column("tickets", _("Tickets")),
            Column("units", _("Time units"), "units"),
        ],
        table,
        total,
        chart=("bars", [(r["name"], float(r["units"])) for r in table], None, ""),
        chart_label=_("Time units per group"),
    )


# --- output ----------------------------------------------------------------------------------


def cell(row: dict, column: Column) -> str:
    """A value as the page shows it, in the active language."""
    value = row.get(column.key)
    if value is None:
        return "" if column.kind == "text" else str(_("n/a"))
    if column.kind == "percent":
        return f"{number_format(value, decimal_pos=1)} %"
    if column.kind == "seconds":
        return format_duration(value)
    if column.kind == "date" and isinstance(value, dt.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if column.kind == "units":
        return number_format(value, decimal_pos=2)
    if column.kind == "int":
        return number_format(value, force_grouping=True)
    return str(value)


def _raw(value, kind: str) -> str:
    """A value for CSV: plain numbers (working time in minutes), ISO dates."""
    if value is None:
        return ""
    if kind == "seconds":
        return f"{value / 60:.1f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_csv(report: Report) -> str:
    """The report's table as CSV (a header row, the rows, the total row)."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = []
    for column in report.columns:
        suffix = f" ({_('minutes')})" if column.kind == "seconds" else ""
        header.append(f"{column.label}{suffix}")
    writer.writerow(header)
    for row in [*report.rows, *([report.total] if report.total else [])]:
        writer.writerow([_safe_csv(_raw(row.get(c.key), c.kind)) for c in report.columns])
    return out.getvalue()


def _safe_csv(text: str) -> str:
    """No formula injection in spreadsheets: a leading =, +, - or @ of a name is quoted."""
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_filename(report: Report) -> str:
    return f"{report.kind}-{report.filters.start.isoformat()}-{report.filters.end.isoformat()}.csv"

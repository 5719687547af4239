"""The health box on the admin dashboard: the cheap checks in one line each (the daemon's
heartbeat, mail accounts in error, the outgoing mail queue, failed webhook deliveries, disk
space, the last verified backup), each linking to its details. The slow ones (broker,
search server, versions) stay on the health page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from otrs.webhooks.models import WebhookDelivery, WebhookDeliveryStatus

from . import backup, checks

# Failed webhook deliveries are counted over this long.
WEBHOOK_WINDOW = timedelta(hours=24)
# A verified backup older than this is a warning (weekly backups, and a day's grace).
BACKUP_STALE = timedelta(days=8)


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    status: str
    detail: str
    url: str


def _worst(key: str, label: str, results: list[checks.Result], url: str) -> Line:
    status = checks.worst(results)
    shown = [r for r in results if r.status == status] if status != checks.OK else results[:1]
    detail = "; ".join(f"{r.label}: {r.detail}" if len(results) > 1 else r.detail for r in shown)
    return Line(key, label, status, detail, url)


def _mail_accounts() -> Line:
    results = checks.mail_accounts()
    failing = [r for r in results if r.status == checks.ERROR]
    url = reverse("admin:mail_mailaccount_changelist")
    if failing:
        detail = ngettext(
            "%(count)d account in error: %(names)s",
            "%(count)d accounts in error: %(names)s",
            len(failing),
        ) % {"count": len(failing), "names": ", ".join(r.label for r in failing)}
        return Line("mail_accounts", _("Mail accounts"), checks.ERROR, detail, url)
    return _worst("mail_accounts", _("Mail accounts"), results, url)


def _webhooks() -> Line:
    since = timezone.now() - WEBHOOK_WINDOW
    failed = WebhookDelivery.objects.filter(
        status=WebhookDeliveryStatus.FAILED, finished_at__gte=since
    ).count()
    url = reverse("admin:webhooks_webhookdelivery_changelist") + "?status__exact=failed"
    detail = ngettext(
        "%(count)d delivery failed in the last 24 hours",
        "%(count)d deliveries failed in the last 24 hours",
        failed,
    ) % {"count": failed}
    status = checks.WARNING if failed else checks.OK
    return Line("webhooks", _("Webhooks"), status, detail, url)


def _backup(health_url: str) -> Line:
    last = backup.last_verified()
    label = _("Backup")
    if last is None:
        detail = _("No verified backup recorded on this host (manage.py backup).")
        return Line("backup", label, checks.WARNING, detail, health_url)
    at, path = last
    age = timezone.now() - at
    detail = _("Last verified backup %(age)s ago: %(path)s") % {
        "age": _days_hours(age),
        "path": path,
    }
    status = checks.WARNING if age > BACKUP_STALE else checks.OK
    return Line("backup", label, status, detail, health_url)


def _days_hours(age: timedelta) -> str:
    hours = max(int(age.total_seconds() // 3600), 0)
    if hours < 48:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def lines() -> list[Line]:
    health = reverse("admin:health")
    return [
        _worst("daemon", _("Daemon"), checks.daemon(), health),
        _mail_accounts(),
        _worst("outgoing_mail", _("Outgoing mail"), checks.outgoing_mail(), health),
        _webhooks(),
        _worst("disk", _("Disk space"), checks.disk_space(), health),
        _backup(health),
    ]


def health_box(request) -> str:
    """The dashboard panel (``admin_modules.panels``): only for those who may see health."""
    if not request.user.has_perm("ops.view_health"):
        return ""
    found = lines()
    context = {
        "lines": found,
        "labels": checks.STATUS_LABELS,
        "health_url": reverse("admin:health"),
    }
    return render_to_string("ops/_health_box.html", context, request=request)

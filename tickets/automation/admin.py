"""The GenericAgent admin pages: jobs (with a dry run before saving), runs and their tickets.

The job form is a readable editor of the stored JSON: the selection in the condition text
(:class:`otrs.conditions.forms.ConditionField`), events as a list, the changes as ordinary
fields. Saving goes through :func:`tickets.automation.actions.save_job` (checks by part, beat
schedule); "Dry run" shows which tickets the job would touch now and what would change on
each, without saving anything.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User, UserKind
from otrs.conditions.core import UNIT_LABELS, UNITS
from otrs.conditions.forms import ConditionField

from ..choices import LockState
from ..events import TicketEvent
from ..forms.common import TranslatedChoiceField
from ..models import (
    SLA,
    GenericAgentJob,
    GenericAgentRun,
    GenericAgentRunItem,
    Priority,
    Queue,
    RunTrigger,
    Service,
    State,
    TicketType,
)
from . import actions, admin_yaml, changes, portable
from .attributes import ticket_schema
from .engine import run_job, run_scheduled

# The dry run page lists this many tickets; the counts above it are complete.
PREVIEW_ROWS = 200
TRACE_ROWS = 500


def _agents():
    return User.objects.filter(kind__in=[UserKind.AGENT, UserKind.SYSTEM], is_active=True)


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_username()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class GenericAgentJobForm(forms.ModelForm):
    selection = ConditionField(label=_("Selection"), schema=ticket_schema)
    events = forms.MultipleChoiceField(
        label=_("Run on these ticket events"),
        choices=[(e.value, e.value) for e in TicketEvent],
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("The job then runs for the ticket of each such event."),
    )
    event_filter_text = forms.CharField(
        label=_("Event filter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("One “key = value, value” per line on the event's data, e.g. “new = 4”."),
    )
    new_queue = forms.ModelChoiceField(Queue.objects.all(), required=False, label=_("Queue"))
    new_state = TranslatedChoiceField(State.objects.all(), required=False, label=_("State"))
    pending_amount = forms.IntegerField(
        min_value=0, required=False, label=_("Pending time: from the run on")
    )
    pending_unit = forms.ChoiceField(
        choices=[(u, UNIT_LABELS[u]) for u in UNITS], required=False, label=_("unit")
    )
    new_priority = TranslatedChoiceField(
        Priority.objects.all(), required=False, label=_("Priority")
    )
    new_type = TranslatedChoiceField(TicketType.objects.all(), required=False, label=_("Type"))
    new_service = forms.ModelChoiceField(Service.objects.all(), required=False, label=_("Service"))
    new_sla = forms.ModelChoiceField(SLA.objects.all(), required=False, label=_("SLA"))
    new_owner = _UserChoice(_agents(), required=False, label=_("Owner"))
    new_responsible = _UserChoice(_agents(), required=False, label=_("Responsible"))
    new_lock = forms.ChoiceField(
        choices=[("", "---------"), (LockState.LOCK, _("lock")), (LockState.UNLOCK, _("unlock"))],
        required=False,
        label=_("Lock"),
    )
    new_title = forms.CharField(required=False, max_length=255, label=_("Title"))
    new_customer_user = forms.CharField(required=False, max_length=250, label=_("Customer user"))
    new_customer_id = forms.CharField(required=False, max_length=150, label=_("Customer ID"))
    field_changes = forms.CharField(
        label=_("Custom fields"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("One “Name = value” per line."),
    )
    note_subject = forms.CharField(required=False, max_length=250, label=_("Note: subject"))
    note_body = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Note: text")
    )
    note_visible = forms.BooleanField(required=False, label=_("Note: visible for the customer"))
    notify_to = forms.CharField(
        required=False,
        label=_("Notification: recipients"),
        help_text=_("Separated by commas: owner, responsible, or mail addresses."),
    )
    notify_subject = forms.CharField(
        required=False, max_length=250, label=_("Notification: subject")
    )
    notify_body = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Notification: text")
    )
    delete = forms.BooleanField(required=False, label=_("Delete the tickets"))
    delete_confirm = forms.CharField(
        required=False,
        label=_("Confirm deleting"),
        help_text=_("Deleting cannot be undone: type the job's name to confirm."),
    )

    class Meta:
        model = GenericAgentJob
        fields = ["name", "description", "valid", "schedule", "run_limit", "run_as"]
        help_texts = {
            "schedule": _(
                "Cron: minute hour day-of-month month day-of-week, e.g. “*/10 * * * *” or "
                "“0 6 * * 1-5”; empty: no schedule."
            ),
            "run_limit": _("The run reports how many matched and how many the limit left."),
            "run_as": _("Empty: the system user."),
        }

    _NEW = ("queue", "state", "priority", "type", "service", "sla", "owner", "responsible")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["run_as"].queryset = _agents()  # type: ignore[attr-defined]
        job = self.instance
        stored = job.changes or {}
        initial = self.initial
        initial.setdefault("selection", job.selection or {})
        initial.setdefault("events", job.events or [])
        initial.setdefault(
            "event_filter_text",
            "\n".join(
                f"{k} = {', '.join(map(str, v))}" for k, v in (job.event_filter or {}).items()
            ),
        )
        for name in self._NEW:
            initial.setdefault(f"new_{name}", stored.get(name))
        for name in ("lock", "title", "customer_user", "customer_id"):
            initial.setdefault(f"new_{name}", stored.get(name, ""))
        pending = stored.get("pending_in") or {}
        initial.setdefault("pending_amount", pending.get("amount"))
        initial.setdefault("pending_unit", pending.get("unit", "days"))
        initial.setdefault(
            "field_changes",
            "\n".join(f"{k} = {v}" for k, v in (stored.get("fields") or {}).items()),
        )
        note = stored.get("note") or {}
        initial.setdefault("note_subject", note.get("subject", ""))
        initial.setdefault("note_body", note.get("body", ""))
        initial.setdefault("note_visible", note.get("visible", False))
        notify = stored.get("notify") or {}
        initial.setdefault("notify_to", ", ".join(notify.get("to", [])))
        initial.setdefault("notify_subject", notify.get("subject", ""))
        initial.setdefault("notify_body", notify.get("body", ""))
        initial.setdefault("delete", bool(stored.get("delete")))
        if stored.get("delete"):
            initial.setdefault("delete_confirm", job.name)

    def _pairs(self, name: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for number, line in enumerate(_lines(self.cleaned_data.get(name, "")), 1):
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                self.add_error(
                    name,
                    gettext("Line %(number)s: write “key = value”.") % {"number": number},
                )
                continue
            found[key.strip()] = value.strip()
        return found

    def _changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {}
        for name in self._NEW:
            value = data.get(f"new_{name}")
            if value is not None:
                result[name] = value.pk
        for name in ("lock", "title", "customer_user", "customer_id"):
            if data.get(f"new_{name}"):
                result[name] = data[f"new_{name}"]
        if data.get("pending_amount") is not None:
            result["pending_in"] = {
                "amount": data["pending_amount"],
                "unit": data.get("pending_unit") or "days",
            }
        fields = self._pairs("field_changes")
        if fields:
            result["fields"] = fields
        if data.get("note_body") or data.get("note_subject"):
            result["note"] = {
                "subject": data.get("note_subject", ""),
                "body": data.get("note_body", ""),
                "visible": bool(data.get("note_visible")),
            }
        recipients = [r.strip() for r in (data.get("notify_to") or "").split(",") if r.strip()]
        if recipients or data.get("notify_subject") or data.get("notify_body"):
            result["notify"] = {
                "to": recipients,
                "subject": data.get("notify_subject", ""),
                "body": data.get("notify_body", ""),
            }
        if data.get("delete"):
            if (data.get("delete_confirm") or "").strip() != (data.get("name") or "").strip():
                self.add_error(
                    "delete_confirm",
                    gettext("Type the job's name exactly to confirm deleting tickets."),
                )
            result["delete"] = True
        return result

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        job = self.instance
        data = self.cleaned_data
        if "selection" in data:
            job.selection = data["selection"]
        job.events = list(data.get("events") or [])
        job.event_filter = {
            k: [v.strip() for v in value.split(",") if v.strip()]
            for k, value in self._pairs("event_filter_text").items()
        }
        job.changes = self._changes()
        placed = {"selection": "selection", "schedule": "schedule", "events": "events"}
        for part, found in actions.job_errors(job).items():
            field = placed.get(part)
            if field is not None and field in self.errors:
                continue  # the form said what is wrong there already
            for message in found:
                self.add_error(field, message)


def _planned_rows(items) -> list[dict]:
    return [
        {
            "item": item,
            "changes": changes.describe(item.changes),
            "url": reverse("agent:zoom", args=[item.ticket_id]),
        }
        for item in items
    ]


@admin.register(GenericAgentJob)
class GenericAgentJobAdmin(admin.ModelAdmin):
    form = GenericAgentJobForm
    list_display = ("name", "valid", "schedule", "event_list", "run_limit", "last_run_at")
    list_filter = ("valid",)
    search_fields = ("name", "description")
    actions = ["dry_run_selected", "run_selected", "export_yaml"]
    change_form_template = "admin/tickets/genericagentjob/change_form.html"
    change_list_template = "admin/tickets/genericagentjob/change_list.html"
    fieldsets = (
        (None, {"fields": ("name", "description", "valid", "run_limit", "run_as")}),
        (_("Selection"), {"fields": ("selection",)}),
        (_("When"), {"fields": ("schedule", "events", "event_filter_text")}),
        (
            _("Changes"),
            {
                "fields": (
                    "new_queue",
                    ("new_state", "pending_amount", "pending_unit"),
                    "new_priority",
                    "new_type",
                    ("new_service", "new_sla"),
                    ("new_owner", "new_responsible", "new_lock"),
                    "new_title",
                    ("new_customer_user", "new_customer_id"),
                    "field_changes",
                    "note_subject",
                    "note_body",
                    "note_visible",
                    "notify_to",
                    "notify_subject",
                    "notify_body",
                )
            },
        ),
        (_("Delete"), {"classes": ("collapse",), "fields": ("delete", "delete_confirm")}),
    )

    @admin.display(description=_("events"))
    def event_list(self, job: GenericAgentJob) -> str:
        return ", ".join(job.events)

    @admin.action(description=_("Export as YAML"))
    def export_yaml(self, request, queryset):
        text = portable.export_jobs(queryset.select_related("run_as").order_by("name"))
        return admin_yaml.yaml_download(text, "genericagent-jobs.yaml")

    def get_urls(self):
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="tickets_genericagentjob_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request):
        return admin_yaml.import_view(
            self,
            request,
            importer=portable.import_jobs,
            title=gettext("Import GenericAgent jobs"),
            explanation=gettext(
                "A YAML file as the export writes it. A job of an existing name is replaced; "
                "a job that deletes tickets is imported switched off. Nothing is imported if "
                "any part is refused."
            ),
            done=admin_yaml.imported_jobs,
        )

    def save_model(self, request, obj, form, change) -> None:
        try:
            actions.save_job(obj)
        except ValidationError as error:  # checked by the form already; a race at most
            raise PermissionDenied(str(error)) from error

    def delete_model(self, request, obj) -> None:
        actions.delete_job(obj)

    def delete_queryset(self, request, queryset) -> None:
        for job in queryset:
            actions.delete_job(job)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_dryrun" in request.POST:
            obj = self.get_object(request, unquote(object_id)) if object_id else None
            if object_id and obj is None:
                raise Http404
            allowed = (
                self.has_change_permission(request, obj)
                if obj
                else self.has_add_permission(request)
            )
            if not allowed:
                raise PermissionDenied
            form_class = self.get_form(request, obj, change=obj is not None)
            form = form_class(request.POST, instance=obj or GenericAgentJob())
            if form.is_valid():
                run = run_job(
                    form.instance, trigger=RunTrigger.MANUAL, dry_run=True, keep_dry_run=False
                )
                return self._dry_run_page(request, [run], unsaved=True)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _dry_run_page(self, request, runs, *, unsaved: bool = False):
        shown = []
        for run in runs:
            items = list(run.items_preview)
            shown.append(
                {
                    "run": run,
                    "rows": _planned_rows(items[:PREVIEW_ROWS]),
                    "more": len(items) > PREVIEW_ROWS,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Dry run"),
            "opts": self.model._meta,
            "runs": shown,
            "unsaved": unsaved,
        }
        return TemplateResponse(request, "admin/tickets/genericagentjob/dry_run.html", context)

    @admin.action(description=_("Dry run: which tickets, what would change"))
    def dry_run_selected(self, request, queryset):
        runs = [
            run_job(job, trigger=RunTrigger.MANUAL, dry_run=True, keep_dry_run=False)
            for job in queryset
        ]
        return self._dry_run_page(request, runs)

    @admin.action(description=_("Run now"))
    def run_selected(self, request, queryset):
        for job in queryset:
            run = run_scheduled(job.pk, trigger=RunTrigger.MANUAL)
            if run is None:
                self.message_user(
                    request,
                    gettext("%(job)s is running already.") % {"job": job.name},
                    messages.WARNING,
                )
                continue
            self.message_user(
                request,
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:tickets_genericagentrun_change", args=[run.pk]),
                    gettext(
                        "%(job)s: %(status)s; %(matched)s matched, %(changed)s changed, "
                        "%(skipped)s skipped, %(failed)s failed."
                    )
                    % {
                        "job": job.name,
                        "status": run.get_status_display(),
                        "matched": run.matched,
                        "changed": run.changed,
                        "skipped": run.skipped,
                        "failed": run.failed,
                    },
                ),
            )


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # The trace is a record: it goes with its job, never on its own.
        return False


@admin.register(GenericAgentRun)
class GenericAgentRunAdmin(_ReadOnly):
    list_display = (
        "__str__",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "matched",
        "changed",
        "skipped",
        "failed",
        "over_limit",
        "depth",
    )
    list_filter = ("status", "trigger", "job")
    search_fields = ("job_name", "event_name")
    fields = (
        "job",
        "trigger",
        "event_name",
        "event_id",
        "depth",
        "status",
        "message",
        "started_at",
        "finished_at",
        "matched",
        "limit",
        "over_limit",
        "changed",
        "skipped",
        "failed",
        "tickets",
    )
    readonly_fields = fields

    @admin.display(description=_("tickets"))
    def tickets(self, run: GenericAgentRun) -> str:
        items = list(run.items.all()[:TRACE_ROWS])
        rows = format_html_join(
            "\n",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    item.ticket_number,
                    item.get_outcome_display(),
                    "; ".join(f"{w}: {o} → {n}" for w, o, n in changes.describe(item.changes)),
                    item.reason,
                )
                for item in items
            ),
        )
        link = reverse("admin:tickets_genericagentrunitem_changelist") + f"?run__id__exact={run.pk}"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            gettext("Ticket#"),
            gettext("Outcome"),
            gettext("Changes"),
            gettext("Reason"),
            rows,
            link,
            gettext("All tickets of this run"),
        )


@admin.register(GenericAgentRunItem)
class GenericAgentRunItemAdmin(_ReadOnly):
    list_display = ("ticket_number", "outcome", "change_text", "reason", "run")
    list_filter = ("outcome",)
    search_fields = ("ticket_number",)
    list_select_related = ("run",)

    @admin.display(description=_("changes"))
    def change_text(self, item: GenericAgentRunItem) -> str:
        return "; ".join(f"{w}: {o} → {n}" for w, o, n in changes.describe(item.changes))

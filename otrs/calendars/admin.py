"""The calendar admin: calendars with their working hours and holidays inline, and the two
holiday imports (an iCalendar file, the public holidays of a country) as pages of their own,
linked from the calendar's page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import imports
from .forms import CountryImportForm, IcsImportForm, WorkingSlotFormSet
from .models import Calendar, Holiday, WorkingSlot


class WorkingSlotInline(admin.TabularInline):
    model = WorkingSlot
    formset = WorkingSlotFormSet
    extra = 0
    min_num = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    fields = ["date", "yearly", "name"]


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default", "is_valid"]
    list_filter = ["is_valid"]
    search_fields = ["name", "comment"]
    inlines = [WorkingSlotInline, HolidayInline]
    readonly_fields = ["holiday_imports"]
    fields = ["name", "time_zone", "is_default", "comment", "is_valid", "holiday_imports"]

    @admin.display(description=_("import holidays"))
    def holiday_imports(self, obj: Calendar | None) -> str:
        if obj is None or obj.pk is None:
            return gettext("Save the calendar first.")
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:calendars_calendar_import_ics", args=[obj.pk]),
            gettext("from an iCalendar file"),
            reverse("admin:calendars_calendar_import_country", args=[obj.pk]),
            gettext("public holidays of a country"),
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/import-ics/",
                wrap(self.import_ics_view),
                name="calendars_calendar_import_ics",
            ),
            path(
                "<int:pk>/import-country/",
                wrap(self.import_country_view),
                name="calendars_calendar_import_country",
            ),
            *super().get_urls(),
        ]

    def import_ics_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._import(
            request,
            pk,
            IcsImportForm,
            lambda form: imports.parse_ics(form.cleaned_data["file"].read()),
            _("Import holidays from an iCalendar file"),
        )

    def import_country_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._import(
            request,
            pk,
            CountryImportForm,
            lambda form: imports.country_holidays(
                form.cleaned_data["country"], form.cleaned_data["region"], form.years()
            ),
            _("Import the public holidays of a country"),
        )

    def _import(self, request, pk, form_class, read, title) -> HttpResponse:
        calendar = get_object_or_404(Calendar, pk=pk)
        if not self.has_change_permission(request, calendar):
            raise PermissionDenied
        form: forms.Form = form_class()
        if request.method == "POST":
            form = form_class(request.POST, request.FILES)
            if form.is_valid():
                try:
                    found = read(form)
                except ValidationError as error:
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    added = imports.add_holidays(calendar, found)
                    self.message_user(
                        request,
                        gettext("%(added)d holiday(s) added, %(known)d already there.")
                        % {"added": added, "known": len(found) - added},
                        messages.SUCCESS,
                    )
                    return redirect("admin:calendars_calendar_change", calendar.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "calendar": calendar,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/calendars/import.html", context)

"""The admin's webhook form: events and filters chosen from what the apps registered."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import addresses, registry
from .models import Webhook

FILTER_PREFIX = "filter__"


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the events are sent (http or https)."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The hook receives these events."),
    )

    class Media:
        css = {"all": ["webhooks/admin.css"]}

    class Meta:
        model = Webhook
        fields = ["name", "url", "active", "events", "retry_hours"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = registry.event_choices()
        self.fields["events"].initial = list(self.instance.events or [])
        chosen = self.instance.filters or {}
        for source in registry.sources():
            for flt in source.filters:
                key = source.filter_key(flt)
                self.fields[FILTER_PREFIX + key.replace(".", "__")] = forms.MultipleChoiceField(
                    label=_("%(objects)s: %(filter)s")
                    % {"objects": source.label, "filter": flt.label},
                    choices=[(str(value), label) for value, label in flt.choices()],
                    required=False,
                    initial=[str(v) for v in chosen.get(key, [])],
                    widget=forms.SelectMultiple(attrs={"size": 6}),
                    help_text=_("Only objects with one of these values; none chosen: all."),
                )

    def filter_fields(self):
        return [self[name] for name in self.fields if name.startswith(FILTER_PREFIX)]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the webhook a name."))
        return name

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Only http and https addresses can receive webhooks."))
        try:
            addresses.check(url)
        except addresses.Unresolved:
            # A name that does not resolve yet reaches nothing; every attempt checks again.
            pass
        except addresses.Refused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url

    def save(self, commit: bool = True) -> Webhook:
        hook = super().save(commit=False)
        hook.events = sorted(self.cleaned_data["events"])
        filters = {}
        for source in registry.sources():
            for flt in source.filters:
                key = source.filter_key(flt)
                values = self.cleaned_data.get(FILTER_PREFIX + key.replace(".", "__")) or []
                if values:
                    filters[key] = sorted(values)
        hook.filters = filters
        if hook.active and "active" in self.changed_data:
            # Switched on again by an administrator: the count of failures starts afresh.
            hook.consecutive_failures = 0
            hook.disabled_at = None
            hook.disabled_reason = ""
        if commit:
            hook.save()
        return hook

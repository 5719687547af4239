"""The admin's webhook form: events and filters chosen from what the apps registered."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms
from django.core.validators import URLValidator
from django.utils.regex_helper import _lazy_re_compile
from django.utils.translation import gettext_lazy as _

from . import addresses, registry
from .models import Webhook

FILTER_PREFIX = "filter__"


class ProxiedURLValidator(URLValidator):
    """Django's URL check, but a host name may also be a single label
    (``https://hookrelay/in``): a name only the proxy's resolver may know. Used only when a
    proxy applies to the URL (:func:`otrs.webhooks.addresses.proxy_for`)."""

    host_re = (
        "("
        + URLValidator.hostname_re
        + URLValidator.domain_re
        + "(?:"
        + URLValidator.tld_re
        + ")?)"
    )
    regex = _lazy_re_compile(
        r"^(?:[a-z0-9.+-]*)://"
        r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"
        r"(?:" + URLValidator.ipv4_re + "|" + URLValidator.ipv6_re + "|" + host_re + ")"
        r"(?::[0-9]{1,5})?"
        r"(?:[/?#][^\s]*)?"
        r"\Z",
        re.IGNORECASE,
    )


class HookURLField(forms.URLField):
    """A URL field whose check depends on the URL: :meth:`WebhookForm.clean_url` runs
    Django's check, or with a proxy :class:`ProxiedURLValidator`."""

    default_validators: list = []


class WebhookForm(forms.ModelForm):
    url = HookURLField(
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
        # Deliveries go through the proxy the environment names for this URL (not for a
        # NO_PROXY host), which resolves the name itself: then a name this host does not
        # know, even one of a single label, is the proxy's to reach.
        proxied = addresses.proxy_for(url) is not None
        try:
            (ProxiedURLValidator if proxied else URLValidator)(schemes=["http", "https"])(url)
        except forms.ValidationError:
            host = urlsplit(url).hostname or ""
            if host and ProxiedURLValidator(schemes=["http", "https"]).regex.match(url):
                raise forms.ValidationError(
                    _(
                        "%(host)s is not a full host name (it has no domain). Only a proxy "
                        "could reach it, and no proxy (HTTPS_PROXY, HTTP_PROXY) applies to "
                        "this address."
                    )
                    % {"host": host}
                ) from None
            raise
        try:
            addresses.check(url)
        except addresses.Unresolved:
            # A name that does not resolve (yet, or only at the proxy) is not refused: every
            # attempt checks again, and without a proxy an unresolved name is never sent to.
            pass
        except addresses.Refused as exc:
            # Resolvable here: internal addresses stay refused, proxy or not.
            raise forms.ValidationError(str(exc)) from exc
        return url

    def _get_validation_exclusions(self):
        # The model's URLField would run Django's URL check again and refuse the names of
        # one label that clean_url() accepts with a proxy: clean_url() is the check.
        return {*super()._get_validation_exclusions(), "url"}

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

"""Admin pages of the mail transport: the mail accounts here, the outgoing queue in
:mod:`otrs.mail.admin_outbound`. The ticket e-mail channel adds its parts (the inbound store,
postmaster filters, an account's dispatching, the ticket of a queued mail) in
:mod:`tickets.admin_mail`."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import (
    admin_outbound,  # noqa: F401 - registers the outgoing queue
    health,
    oauth,
)
from .fetching import IMAP_PROTOCOLS, FetchError, check_connection, fetch_account
from .models import AfterFetch, AuthMethod, MailAccount, OAuthProvider, TokenState

# The administrator's session keeps each authorization under way by its ``state``: the
# callback finds the account and the PKCE verifier there (never in the URL).
OAUTH_SESSION_KEY = "mail_oauth_authorizations"

# --- mail accounts -----------------------------------------------------------------------------


class MailAccountForm(forms.ModelForm):
    """The password and the client secret are never shown; left empty on an existing
    account, they stay as they are."""

    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    oauth_client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    oauth_authorize_url = forms.URLField(
        label=_("authorization URL"), required=False, max_length=500, assume_scheme="https"
    )
    oauth_token_url = forms.URLField(
        label=_("token URL"), required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = MailAccount
        fields = (
            "name",
            "is_valid",
            "comment",
            "protocol",
            "host",
            "port",
            "verify_certificate",
            "login",
            "auth_method",
            "password",
            "oauth_provider",
            "oauth_client_id",
            "oauth_client_secret",
            "oauth_authorize_url",
            "oauth_token_url",
            "oauth_scopes",
            "folder",
            "trusted",
            "after_fetch",
            "interval_minutes",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auth_method"].required = False
        if self.instance.pk:
            self.fields["password"].help_text = _("Leave empty to keep the stored password.")
            self.fields["oauth_client_secret"].help_text = _(
                "Leave empty to keep the stored client secret."
            )
        defaults = "; ".join(
            f"{label}: {oauth.default_scopes(value)}"
            for value, label in OAuthProvider.choices
            if oauth.default_scopes(value)
        )
        self.fields["oauth_scopes"].help_text = _(
            "Separated by spaces. Empty: the provider's defaults for mail (%(defaults)s)."
        ) % {"defaults": defaults}

    def clean_auth_method(self) -> str:
        # Not sent (a form of before OAuth2, a script): the password, as it always was.
        return self.cleaned_data.get("auth_method") or AuthMethod.PASSWORD

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if not password and self.instance.pk:
            return self.instance.password
        return password

    def clean_oauth_client_secret(self) -> str:
        secret = self.cleaned_data.get("oauth_client_secret", "")
        if not secret and self.instance.pk:
            return self.instance.oauth_client_secret
        return secret

    def clean_port(self):
        port = self.cleaned_data.get("port")
        if port is not None and not 1 <= port <= 65535:
            raise forms.ValidationError(_("A port is a number from 1 to 65535."))
        return port

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("auth_method") == AuthMethod.OAUTH2:
            self._clean_oauth(cleaned)
        elif not cleaned.get("password"):
            self.add_error("password", _("Enter the password (or choose OAuth2)."))
        protocol = cleaned.get("protocol")
        if (
            cleaned.get("after_fetch") == AfterFetch.MARK_SEEN
            and protocol
            and protocol not in IMAP_PROTOCOLS
        ):
            self.add_error(
                "after_fetch",
                _("POP3 cannot keep messages marked as read; only IMAP can. Choose to delete."),
            )
        return cleaned

    def _clean_oauth(self, cleaned: dict) -> None:
        required = ["oauth_provider", "oauth_client_id"]
        if cleaned.get("oauth_provider") == OAuthProvider.CUSTOM:
            required += ["oauth_authorize_url", "oauth_token_url"]
            if not cleaned.get("oauth_scopes"):
                self.add_error("oauth_scopes", _("Name the scopes: this provider has no defaults."))
        for name in required:
            if not cleaned.get(name):
                self.add_error(name, _("Required for OAuth2."))


@admin.register(MailAccount)
class MailAccountAdmin(admin.ModelAdmin):
    form = MailAccountForm
    list_display = (
        "name",
        "protocol",
        "host",
        "login",
        "trusted",
        "is_valid",
        "last_fetch_at",
        "short_error",
        "token_state",
    )
    list_filter = ("is_valid", "protocol", "trusted")
    search_fields = ("name", "host", "login", "comment")
    readonly_fields = (
        "last_fetch_at",
        "last_error_shown",
        "last_error_at",
        "fetched_total",
        "fetched_last_run",
        "consecutive_failures",
        "oauth_state",
        "oauth_error_shown",
        "oauth_expires_at",
        "oauth_connected_at",
        "redirect_uri",
    )
    change_form_template = "admin/mail/mailaccount/change_form.html"
    change_list_template = "admin/mail/mailaccount/change_list.html"
    actions = ("fetch_now", "test_connection")
    fieldsets = (
        (None, {"fields": ("name", "is_valid", "comment")}),
        (
            _("Server"),
            {
                "fields": (
                    ("protocol", "host", "port"),
                    "verify_certificate",
                    "login",
                    "auth_method",
                    "password",
                    "folder",
                )
            },
        ),
        (
            _("OAuth2"),
            {
                "description": _(
                    "For OAuth2: register the redirect URI below with the provider, enter the "
                    "client ID and secret, save, then click “Connect”."
                ),
                "fields": (
                    "oauth_provider",
                    ("oauth_client_id", "oauth_client_secret"),
                    ("oauth_authorize_url", "oauth_token_url"),
                    "oauth_scopes",
                    "redirect_uri",
                    ("oauth_state", "oauth_expires_at", "oauth_connected_at"),
                    "oauth_error_shown",
                ),
            },
        ),
        (
            _("Intake"),
            {"fields": ("trusted", "after_fetch", "interval_minutes")},
        ),
        (
            _("Last fetch"),
            {
                "fields": (
                    "last_fetch_at",
                    "last_error_shown",
                    "last_error_at",
                    ("fetched_last_run", "fetched_total", "consecutive_failures"),
                )
            },
        ),
    )

    @admin.display(description=_("token"), ordering="oauth_state")
    def token_state(self, obj: MailAccount) -> str:
        if not obj.uses_oauth:
            return "-"
        return str(TokenState(obj.oauth_state).label)

    @admin.display(description=_("token error"))
    def oauth_error_shown(self, obj: MailAccount) -> str:
        return obj.oauth_error_text or "-"

    @admin.display(description=_("redirect URI"))
    def redirect_uri(self, obj: MailAccount | None = None) -> str:
        """The one callback address of every account, under ``SITE_URL``: what is registered
        with the provider must not depend on the host name a request came in with."""
        return settings.SITE_URL + reverse("admin:mail_mailaccount_oauth_callback")

    def get_urls(self):
        own = [
            path(
                "<int:pk>/oauth/connect/",
                self.admin_site.admin_view(require_POST(self.oauth_connect_view)),
                name="mail_mailaccount_oauth_connect",
            ),
            path(
                "oauth/callback/",
                self.admin_site.admin_view(self.oauth_callback_view),
                name="mail_mailaccount_oauth_callback",
            ),
            path(
                "health/",
                self.admin_site.admin_view(self.health_view),
                name="mail_health",
            ),
        ]
        return own + super().get_urls()

    def oauth_connect_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Send the administrator to the provider; the callback finishes."""
        account = get_object_or_404(MailAccount, pk=pk)
        if not self.has_change_permission(request, account):
            return HttpResponse(status=403)
        change_url = reverse("admin:mail_mailaccount_change", args=[pk])
        if not account.uses_oauth:
            self.message_user(request, gettext("The account does not use OAuth2."), messages.ERROR)
            return HttpResponseRedirect(change_url)
        redirect_uri = self.redirect_uri()
        try:
            started = oauth.start_authorization(account, redirect_uri)
        except oauth.TokenError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(change_url)
        pending = dict(request.session.get(OAUTH_SESSION_KEY, {}))
        # At most a few at once: an abandoned attempt must not grow the session for ever.
        for stale in list(pending)[:-4]:
            del pending[stale]
        pending[started.state] = {
            "account": account.pk,
            "verifier": started.code_verifier,
            "redirect_uri": redirect_uri,
        }
        request.session[OAUTH_SESSION_KEY] = pending
        return HttpResponseRedirect(started.url)

    def oauth_callback_view(self, request: HttpRequest) -> HttpResponse:
        """Where the provider sends the administrator back with a code (or an error)."""
        pending = dict(request.session.get(OAUTH_SESSION_KEY, {}))
        started = pending.pop(request.GET.get("state", ""), None)
        request.session[OAUTH_SESSION_KEY] = pending
        if started is None:
            self.message_user(
                request,
                gettext(
                    "This answer of the provider belongs to no connection you started (or it "
                    "was used already); nothing was changed. Click “Connect” again."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:mail_mailaccount_changelist"))
        account = get_object_or_404(MailAccount, pk=started["account"])
        change_url = reverse("admin:mail_mailaccount_change", args=[account.pk])
        if not self.has_change_permission(request, account):
            return HttpResponse(status=403)
        if request.GET.get("error") or not request.GET.get("code"):
            error = request.GET.get("error_description") or request.GET.get("error") or "-"
            self.message_user(
                request,
                gettext("The provider did not authorize the account: %(error)s")
                % {"error": Truncator(error).chars(300)},
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        try:
            oauth.finish_authorization(
                account,
                code=request.GET["code"],
                redirect_uri=started["redirect_uri"],
                code_verifier=started["verifier"],
            )
        except oauth.TokenError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(change_url)
        self.message_user(
            request,
            gettext("%(account)s is connected; mail is fetched with OAuth2 now.")
            % {"account": account.name},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change_url)

    def health_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Mail health"),
            "accounts": health.accounts(),
            "queues": health.outgoing(),
            "spool": health.mail_spool(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mail/health.html", context)

    @admin.display(description=_("last error"), ordering="last_error_at")
    def short_error(self, obj: MailAccount) -> str:
        return Truncator(obj.last_error_text).chars(100)

    @admin.display(description=_("last error"))
    def last_error_shown(self, obj: MailAccount) -> str:
        return obj.last_error_text

    @admin.action(description=_("Fetch now"), permissions=["change"])
    def fetch_now(self, request, queryset):
        """Fetch the selected accounts at once, valid or not, whatever their interval."""
        for account in queryset:
            result = fetch_account(account)
            if result.skipped:
                level = messages.WARNING
            elif result.ok:
                level = messages.SUCCESS
            else:
                level = messages.ERROR
            self.message_user(request, result.summary(), level)

    @admin.action(description=_("Test the connection"), permissions=["change"])
    def test_connection(self, request, queryset):
        """Connect and log in, count the messages; nothing is fetched or changed."""
        for account in queryset:
            try:
                found = check_connection(account)
            except FetchError as exc:
                self.message_user(
                    request,
                    gettext("%(account)s: %(error)s") % {"account": account.name, "error": exc},
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                ngettext(
                    "%(account)s: logged in; %(total)d message in the mailbox, %(to_fetch)d "
                    "to fetch.",
                    "%(account)s: logged in; %(total)d messages in the mailbox, %(to_fetch)d "
                    "to fetch.",
                    found.total,
                )
                % {"account": account.name, "total": found.total, "to_fetch": found.to_fetch},
                messages.SUCCESS,
            )

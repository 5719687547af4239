"""Admin pages of the mail transport: the mail accounts here, the outgoing queue in
:mod:`otrs.mail.admin_outbound`. The ticket e-mail channel adds its parts (the inbound store,
postmaster filters, an account's dispatching, the ticket of a queued mail) in
:mod:`tickets.admin_mail`."""

from django import forms
from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import admin_outbound  # noqa: F401 - registers the outgoing queue
from .fetching import IMAP_PROTOCOLS, FetchError, check_connection, fetch_account
from .models import AfterFetch, MailAccount

# --- mail accounts -----------------------------------------------------------------------------


class MailAccountForm(forms.ModelForm):
    """The password is never shown; left empty on an existing account, it stays as it is."""

    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
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
            "password",
            "folder",
            "trusted",
            "after_fetch",
            "interval_minutes",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        password = self.fields["password"]
        if self.instance.pk:
            password.help_text = _("Leave empty to keep the stored password.")
        else:
            password.required = True

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if not password and self.instance.pk:
            return self.instance.password
        return password

    def clean_port(self):
        port = self.cleaned_data.get("port")
        if port is not None and not 1 <= port <= 65535:
            raise forms.ValidationError(_("A port is a number from 1 to 65535."))
        return port

    def clean(self):
        cleaned = super().clean()
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
    )
    list_filter = ("is_valid", "protocol", "trusted")
    search_fields = ("name", "host", "login", "comment")
    readonly_fields = ("last_fetch_at", "last_error", "last_error_at")
    actions = ("fetch_now", "test_connection")
    fieldsets = (
        (None, {"fields": ("name", "is_valid", "comment")}),
        (
            _("Server"),
            {
                "fields": (
                    ("protocol", "host", "port"),
                    "verify_certificate",
                    ("login", "password"),
                    "folder",
                )
            },
        ),
        (
            _("Intake"),
            {"fields": ("trusted", "after_fetch", "interval_minutes")},
        ),
        (_("Last fetch"), {"fields": ("last_fetch_at", "last_error", "last_error_at")}),
    )

    @admin.display(description=_("last error"), ordering="last_error_at")
    def short_error(self, obj: MailAccount) -> str:
        return Truncator(obj.last_error).chars(100)

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

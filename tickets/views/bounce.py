"""Bounce: a received mail sent on, unchanged, to another address (OTRS AgentTicketBounce),
from the article's actions in the zoom; a plain form, so it works without JavaScript."""

from __future__ import annotations

from email.utils import getaddresses
from types import SimpleNamespace

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from .. import access, actions, mailtexts
from ..choices import PENDING_STATE_TYPES, UNMERGEABLE_STATE_TYPES, Channel, StateType
from ..forms.changes import TicketActionForm
from ..forms.common import TranslatedChoiceField
from ..models import Article, ArticleRaw, State
from ..subjects import build_ticket_subject
from .ticket_screen import acl_action, ticket_screen

# OTRS's default state after a bounce.
DEFAULT_STATE = "closed successful"


class BounceForm(TicketActionForm):
    to = forms.EmailField(label=gettext_lazy("Bounce to"), max_length=254)
    state = TranslatedChoiceField(
        label=gettext_lazy("State after bouncing"),
        queryset=State.objects.none(),
        required=False,
        empty_label=gettext_lazy("unchanged"),
    )
    # OTRS's "inform sender": a mail to whoever sent the bounced one, saying where it went.
    inform_sender = forms.BooleanField(label=gettext_lazy("Inform the sender"), required=False)
    inform_to = forms.CharField(
        label=gettext_lazy("Sender's address"), max_length=500, required=False
    )
    inform_subject = forms.CharField(label=gettext_lazy("Subject"), max_length=250, required=False)
    inform_body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        strip=False,
        help_text=gettext_lazy(
            "<OTRS_TICKET> becomes the ticket number, <OTRS_BOUNCE_TO> the address bounced to."
        ),
    )

    def __init__(self, *args, article: Article, **kwargs):
        self.article = article
        super().__init__(*args, **kwargs)
        states = State.objects.valid().exclude(
            state_type__in=(*UNMERGEABLE_STATE_TYPES, StateType.NEW, *PENDING_STATE_TYPES)
        )
        field = self.fields["state"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = states.order_by("name")
        field.initial = states.filter(name=DEFAULT_STATE).values_list("pk", flat=True).first()
        article = self.article
        self.fields["inform_to"].initial = article.reply_to or article.from_address
        self.fields["inform_subject"].initial = build_ticket_subject(
            pgettext("the subject of a bounce notice", "Bounced"),
            article.subject or self.ticket.title,
            self.ticket.number,
        )
        self.fields["inform_body"].initial = mailtexts.bounce_notice_text(
            self.ticket, article, self.user
        )

    def clean_inform_to(self) -> str:
        value = self.cleaned_data["inform_to"]
        for _name, address in getaddresses([value]):
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("“%(address)s” is not a valid email address."), params={"address": address}
                ) from None
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("inform_sender"):
            for name in ("inform_to", "inform_subject", "inform_body"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("Needed to tell the sender."))
        return cleaned

    def notice(self) -> actions.BounceNotice | None:
        """The notice to the sender, if the agent asked for one."""
        data = self.cleaned_data
        if not data["inform_sender"]:
            return None
        return actions.BounceNotice(data["inform_to"], data["inform_subject"], data["inform_body"])


@agent_required
@acl_action("bounce")
def bounce(request, pk: int, article_pk: int):
    ticket = access.get_or_404(request.user, pk, PermissionKey.RW)
    article = Article.objects.filter(pk=article_pk, ticket=ticket, channel=Channel.EMAIL).first()
    if article is None or not ArticleRaw.objects.filter(article=article).exists():
        raise Http404("No such mail.")
    data = (request.POST,) if request.method == "POST" else ()
    form = BounceForm(*data, ticket=ticket, user=request.user, article=article)
    screen = SimpleNamespace(title=_("Bounce the email"), submit=_("Bounce"))
    return ticket_screen(
        request,
        ticket,
        form,
        "tickets/actions/form.html",
        lambda cleaned: actions.bounce_article(
            ticket,
            article,
            to=cleaned["to"],
            actor=request.user,
            state=cleaned["state"],
            inform=form.notice(),
        ),
        done=lambda _queued: (
            _("The email is queued to be bounced to %(address)s.")
            % {"address": form.cleaned_data["to"]}
        ),
        screen=screen,
    )


urlpatterns = [
    path("tickets/<int:pk>/articles/<int:article_pk>/bounce/", bounce, name="bounce"),
]

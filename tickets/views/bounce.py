"""Bounce: a received mail sent on, unchanged, to another address (OTRS AgentTicketBounce),
from the article's actions in the zoom; a plain form, so it works without JavaScript."""

from __future__ import annotations

from types import SimpleNamespace

from django import forms
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from .. import access, actions
from ..choices import PENDING_STATE_TYPES, UNMERGEABLE_STATE_TYPES, Channel, StateType
from ..forms.changes import TicketActionForm
from ..forms.common import TranslatedChoiceField
from ..models import Article, ArticleRaw, State
from .ticket_screen import ticket_screen

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        states = State.objects.valid().exclude(
            state_type__in=(*UNMERGEABLE_STATE_TYPES, StateType.NEW, *PENDING_STATE_TYPES)
        )
        field = self.fields["state"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = states.order_by("name")
        field.initial = states.filter(name=DEFAULT_STATE).values_list("pk", flat=True).first()


@agent_required
def bounce(request, pk: int, article_pk: int):
    ticket = access.get_or_404(request.user, pk, PermissionKey.RW)
    article = Article.objects.filter(pk=article_pk, ticket=ticket, channel=Channel.EMAIL).first()
    if article is None or not ArticleRaw.objects.filter(article=article).exists():
        raise Http404("No such mail.")
    data = (request.POST,) if request.method == "POST" else ()
    form = BounceForm(*data, ticket=ticket, user=request.user)
    screen = SimpleNamespace(title=_("Bounce the email"), submit=_("Bounce"))
    return ticket_screen(
        request,
        ticket,
        form,
        "tickets/actions/form.html",
        lambda cleaned: actions.bounce_article(
            ticket, article, to=cleaned["to"], actor=request.user, state=cleaned["state"]
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

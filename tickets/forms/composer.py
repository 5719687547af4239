"""What the composer adds to the reply and note forms: a text module to insert, and the
agents a note mentions with ``@login``."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs.accounts.models import User, UserKind
from otrs.permissions import PermissionKey

from .. import access
from ..models import TextModule, Ticket

FIELD = "text_module"

# @login, not inside an address (a word character, dot or @ before it) and without a
# sentence's final full stop.
_MENTION = re.compile(r"(?<![\w.@/])@([\w][\w.+-]*)")


def text_modules(ticket: Ticket) -> QuerySet[TextModule]:
    """The valid text modules offered on ``ticket``: its queue's, and those for every queue."""
    links = TextModule.queues.through.objects.filter(textmodule_id=OuterRef("pk"))
    return (
        TextModule.objects.valid()
        .filter(Q(Exists(links.filter(queue_id=ticket.queue_id))) | ~Q(Exists(links)))
        .order_by("name")
    )


class TextModuleField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TextModule) -> str:
        return f"{obj.name} (::{obj.keyword})"


def add_text_module_field(form: forms.Form, ticket: Ticket) -> None:
    """A select of the ticket's text modules on ``form`` (none offered: no field). The chosen
    one is appended to the text by :func:`apply_text_module` when the form is sent."""
    modules = text_modules(ticket)
    if not modules.exists():
        return
    form.fields[FIELD] = TextModuleField(
        label=gettext_lazy("Text module"),
        queryset=modules,
        required=False,
        empty_label=gettext_lazy("no text module"),
        help_text=gettext_lazy(
            "Added at the end of the text with “Insert” or when you send. With "
            "JavaScript, typing ::keyword and a space in the text inserts it at once."
        ),
    )


def with_module(body: str, module: TextModule | None) -> str:
    """``body`` with ``module``'s text appended (on a line of its own)."""
    if module is None:
        return body
    body = body.rstrip()
    return f"{body}\n\n{module.text}\n" if body else f"{module.text}\n"


def apply_text_module(form: forms.Form, field: str = "body") -> None:
    """In ``form.clean``: append the chosen module to the cleaned text of ``field``."""
    data = form.cleaned_data
    if data.get(FIELD) is not None and field in data:
        data[field] = with_module(data[field], data[FIELD])


def mentioned_logins(text: str) -> list[str]:
    """The logins named with ``@login`` in ``text``, in order, without repeats."""
    found: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        found.setdefault(match.group(1).rstrip(".-").lower(), None)
    return [login for login in found if login]


def mentioned_agents(form: forms.Form, ticket: Ticket, field: str = "body") -> list[User]:
    """In ``form.clean``: the active agents ``@``-named in ``field``. A name that is no
    agent is plain text; an agent who may not read the ticket is an error on the field
    (they could neither follow the link nor be made a watcher)."""
    logins = mentioned_logins(form.cleaned_data.get(field) or "")
    if not logins:
        return []
    agents = list(
        User.objects.filter(kind=UserKind.AGENT, is_active=True)
        .filter(Q(*[Q(username__iexact=login) for login in logins], _connector=Q.OR))
        .order_by("pk")
    )
    refused = [a for a in agents if not access.can(a, ticket, PermissionKey.RO)]
    if refused:
        form.add_error(
            field,
            _("%(logins)s may not read this ticket: remove the mention or ask an admin.")
            % {"logins": ", ".join(f"@{a.get_username()}" for a in refused)},
        )
        return []
    return agents

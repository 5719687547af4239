"""What the composer adds to the reply and note forms: a text module to insert, the files
kept with the agent's draft, and the agents a note mentions with ``@login``."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs.accounts.models import User, UserKind
from otrs.permissions import PermissionKey, grants_for

from .. import access, mailtexts
from ..actions import AttachmentInput
from ..models import Draft, DraftAttachment, TextModule, Ticket
from ..models.article import StoredFile

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


class AttachmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: StoredFile) -> str:
        return f"{obj.filename} ({filesizeformat(obj.size)})"


#: The composer's ticks of the draft's files (tickets.views.drafts lists them again).
DRAFT_FILES = "draft_attachments"


def add_draft_files_field(form: forms.Form, draft: Draft | None) -> None:
    """The files kept with the agent's ``draft`` (tickets.views.drafts), offered ticked:
    sent with the article unless unticked (:func:`draft_files`)."""
    kept = draft.attachments.order_by("pk") if draft is not None else None
    form.fields[DRAFT_FILES] = AttachmentChoiceField(
        label=gettext_lazy("Attachments of your draft"),
        queryset=kept if kept is not None else DraftAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def draft_files(form: forms.Form) -> list[AttachmentInput]:
    """The draft's files left ticked, as attachments of the article sent."""
    return [
        AttachmentInput(filename=item.filename, content=item.read(), content_type=item.content_type)
        for item in form.cleaned_data.get(DRAFT_FILES) or ()
    ]


class TextModuleField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TextModule) -> str:
        return f"{obj.name} (::{obj.keyword})"


def new_ticket_text_modules(user) -> QuerySet[TextModule]:
    """The valid text modules offered on the new-ticket screens: those of the queues where
    ``user`` may create tickets, and those for every queue (the chosen queue is checked
    when the form is sent, :func:`check_module_queue`)."""
    groups = sorted(grants_for(user).group_ids(PermissionKey.CREATE))
    links = TextModule.queues.through.objects.filter(textmodule_id=OuterRef("pk"))
    return (
        TextModule.objects.valid()
        .filter(Q(Exists(links.filter(queue__group_id__in=groups))) | ~Q(Exists(links)))
        .order_by("name")
    )


def new_ticket_modules_data(modules: QuerySet[TextModule]) -> list[dict]:
    """What the new-ticket screens' script inserts (``::keyword``, or picked in the select):
    each module's keyword, name and text as written (its tags are filled in when the ticket
    is made) and the ids of its queues (none: every queue), so the script offers a module
    only in its queues, as the form checks. Two queries."""
    links = TextModule.queues.through.objects.filter(textmodule__in=modules)
    queues: dict[int, list[int]] = {}
    for module_id, queue_id in links.values_list("textmodule_id", "queue_id").order_by("pk"):
        queues.setdefault(module_id, []).append(queue_id)
    return [
        {"keyword": m.keyword, "name": m.name, "text": m.text, "queues": queues.get(m.pk, [])}
        for m in modules
    ]


def add_text_module_field(
    form: forms.Form, ticket: Ticket | None, modules: QuerySet[TextModule] | None = None
) -> None:
    """A select of the ticket's text modules (or of ``modules``) on ``form`` (none offered:
    no field). The chosen one is appended to the text by :func:`apply_text_module` when
    the form is sent."""
    if modules is None:
        assert ticket is not None
        modules = text_modules(ticket)
    if not modules.exists():
        return
    help_text = (
        gettext_lazy(
            "Added at the end of the text with “Insert” or when you send. With "
            "JavaScript, typing ::keyword and a space in the text inserts it at once."
        )
        if ticket is not None
        else gettext_lazy(
            "Added at the end of the text with “Insert” or when you send. With "
            "JavaScript, typing ::keyword and a space in the text inserts it at once. Its "
            "placeholders are filled in when the ticket is made."
        )
    )
    form.fields[FIELD] = TextModuleField(
        label=gettext_lazy("Text module"),
        queryset=modules,
        required=False,
        empty_label=gettext_lazy("no text module"),
        help_text=help_text,
    )


def check_module_queue(form: forms.Form) -> None:
    """In a new-ticket form's ``clean``: the chosen module must be offered in the chosen
    queue (one for every queue always is)."""
    data = form.cleaned_data
    module, queue = data.get(FIELD), data.get("queue")
    if module is None or queue is None:
        return
    queues = set(module.queues.values_list("pk", flat=True))
    if queues and queue.pk not in queues:
        form.add_error(
            FIELD,
            _("The text module “%(name)s” is not offered in queue %(queue)s.")
            % {"name": module.name, "queue": queue.full_name},
        )
        data.pop(FIELD, None)


def module_text(module: TextModule, ticket: Ticket | None, agent, article=None) -> str:
    """``module``'s text with its ``<OTRS_*>`` tags filled in (customer, ticket, the agent
    writing as ``<OTRS_CURRENT_*>``/``<OTRS_AGENT_*>``, ``article``: the message answered),
    as OTRS fills a template's. Without a ticket, the text as it is."""
    if ticket is None:
        return module.text
    return mailtexts.render(module.text, ticket=ticket, article=article, agent=agent)


def with_module(body: str, text: str | None) -> str:
    """``body`` with a module's ``text`` appended (on a line of its own)."""
    if text is None:
        return body
    body = body.rstrip()
    return f"{body}\n\n{text}\n" if body else f"{text}\n"


def apply_text_module(form: forms.Form, field: str = "body") -> None:
    """In ``form.clean``: append the chosen module, filled in, to the text of ``field``."""
    data = form.cleaned_data
    module = data.get(FIELD)
    if module is not None and field in data:
        text = module_text(
            module,
            getattr(form, "ticket", None),
            getattr(form, "user", None),
            getattr(form, "article", None),
        )
        data[field] = with_module(data[field], text)


def mentioned_logins(text: str) -> list[str]:
    """The logins named with ``@login`` in ``text``, in order, without repeats."""
    found: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        found.setdefault(match.group(1).rstrip(".-").lower(), None)
    return [login for login in found if login]


def agents_named(text: str) -> list[User]:
    """The active agents ``@``-named in ``text`` (a name that is no agent is plain text);
    the note screen and the API mention them (:func:`tickets.actions.mention_agents`)."""
    logins = mentioned_logins(text)
    if not logins:
        return []
    return list(
        User.objects.filter(kind=UserKind.AGENT, is_active=True)
        .filter(Q(*[Q(username__iexact=login) for login in logins], _connector=Q.OR))
        .order_by("pk")
    )


def mentioned_agents(form: forms.Form, ticket: Ticket, field: str = "body") -> list[User]:
    """In ``form.clean``: the active agents ``@``-named in ``field``. An agent who may not
    read the ticket is an error on the field (they could neither follow the link nor be
    made a watcher)."""
    agents = agents_named(form.cleaned_data.get(field) or "")
    refused = [a for a in agents if not access.can(a, ticket, PermissionKey.RO)]
    if refused:
        form.add_error(
            field,
            _("%(logins)s may not read this ticket: remove the mention or ask an admin.")
            % {"logins": ", ".join(f"@{a.get_username()}" for a in refused)},
        )
        return []
    return agents

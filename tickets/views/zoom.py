"""The ticket zoom, its print view and attachment downloads.

The zoom reads everything through :mod:`tickets.selectors.zoom` (whose ``ticket_zoom``
checks access first), so its query count does not grow with the number of articles.
Which actions an agent is offered is decided here, in :func:`_ticket_actions`,
from the same access rules the actions themselves apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from .. import access, actions, escalation, history
from .. import fields as ticket_fields
from .. import presence as presence_store
from ..automation import acl
from ..choices import Channel, LockState, SenderType
from ..downloads import attachment_response
from ..models import Article, Draft, Ticket
from ..selectors import zoom as zoom_data
from .drafts import continue_url
from .presence import presence_context
from .processes import zoom_panel as process_panel
from .ticket_screen import acl_action

# Articles shown in full at the end of a long ticket; older ones are listed one line each
# (``?articles=all`` shows every article in full).
EXPANDED_ARTICLES = 10

GET, POST = "get", "post"


@dataclass(frozen=True)
class TicketAction:
    """A link (GET) or a button (POST) in the zoom's action bar."""

    name: str
    label: str
    url: str
    method: str = GET
    shortcut: str = ""
    # The menu it is in (one of MENUS), or "" for a button of the bar.
    menu: str = ""

    @property
    def icon(self) -> str:
        return ICONS.get(self.name, "")


# The zoom's menus, as OTRS clusters its menu modules (Ticket::Frontend::MenuModule
# ClusterName): the everyday actions stay buttons, the rest go into these <details> menus,
# which open without JavaScript.
COMMUNICATION, PEOPLE, MISC = "communication", "people", "misc"
MENUS = {
    COMMUNICATION: _("Communication"),
    PEOPLE: _("People"),
    MISC: _("Miscellaneous"),
}
_MENU_OF = {
    "phone_inbound": COMMUNICATION,
    "phone_outbound": COMMUNICATION,
    "owner": PEOPLE,
    "responsible_change": PEOPLE,
    "customer": PEOPLE,
    "priority": MISC,
    "free_fields": MISC,
    "link": MISC,
    "ticket_faq": MISC,
    "merge": MISC,
    "watch": MISC,
    "unwatch": MISC,
}


# The Heroicons drawn before the label of each action and menu (the text stays).
ICONS = {
    "note": "pencil-square",
    "phone_inbound": "phone-arrow-down-left",
    "phone_outbound": "phone-arrow-up-right",
    "close": "check-circle",
    "pending": "clock",
    "move": "arrows-right-left",
    "owner": "user",
    "responsible_change": "user-plus",
    "priority": "flag",
    "customer": "identification",
    "free_fields": "adjustments-horizontal",
    "link": "link",
    "ticket_faq": "book-open",
    "merge": "document-duplicate",
    "lock": "lock-closed",
    "unlock": "lock-open",
    "watch": "eye",
    "unwatch": "eye-slash",
    "unmerge": "scissors",
    "print": "printer",
    "reply": "arrow-uturn-left",
    "reply_all": "chat-bubble-left-right",
    "forward": "arrow-right",
    "split": "square-2-stack",
    "bounce": "arrow-turn-up-right",
    COMMUNICATION: "chat-bubble-left-ellipsis",
    PEOPLE: "users",
    MISC: "ellipsis-horizontal-circle",
}


@dataclass(frozen=True)
class ActionMenu:
    key: str
    label: str
    actions: list[TicketAction]

    @property
    def icon(self) -> str:
        return ICONS.get(self.key, "")


def action_bar(ticket_actions: list[TicketAction]) -> tuple[list, list[ActionMenu]]:
    """The buttons, then the menus that hold anything (in the order of :data:`MENUS`)."""
    buttons = [action for action in ticket_actions if not action.menu]
    menus = [
        ActionMenu(key, str(label), [a for a in ticket_actions if a.menu == key])
        for key, label in MENUS.items()
    ]
    return buttons, [menu for menu in menus if menu.actions]


@dataclass(frozen=True)
class ArticleRow:
    """An article as the zoom shows it."""

    article: Article
    expanded: bool
    unseen: bool
    replies: list[TicketAction]
    sender: str  # the sender type's label
    channel: str  # the channel's label


# Actions with a form of their own: (URL name, label, permission key, keyboard shortcut).
# Keys missing from System::Permission (close, pending, customer, ...) need rw (spec §5).
_FORM_ACTIONS = (
    ("note", _("Note"), PermissionKey.NOTE, "n"),
    ("phone_inbound", _("Phone call inbound"), PermissionKey.RW, ""),
    ("phone_outbound", _("Phone call outbound"), PermissionKey.RW, ""),
    ("close", _("Close"), PermissionKey.RW, "c"),
    ("pending", _("Pending"), PermissionKey.RW, "p"),
    ("move", _("Move"), PermissionKey.MOVE_INTO, "m"),
    ("owner", _("Owner"), PermissionKey.OWNER, "o"),
    ("responsible_change", _("Responsible"), PermissionKey.RW, ""),
    ("priority", _("Priority"), PermissionKey.PRIORITY, ""),
    ("customer", _("Customer"), PermissionKey.RW, ""),
    ("free_fields", _("Free fields"), PermissionKey.RW, ""),
    ("link", _("Link"), PermissionKey.RW, ""),
    ("ticket_faq", _("FAQ items"), PermissionKey.RW, ""),
    ("merge", _("Merge"), PermissionKey.RW, ""),
)


def _url(name: str, *args) -> str:
    return reverse(f"agent:{name}", args=args)


def _ticket_actions(user, ticket: Ticket, *, watching: bool) -> list[TicketAction]:
    """What ``user`` may do to ``ticket`` now, in the order of the action bar.

    A merged ticket can only be printed, unmerged and unwatched: everything else happens on
    the ticket it was merged into.
    """
    keys = {key for _name, _label, key, _shortcut in _FORM_ACTIONS}
    allowed = {key: access.can(user, ticket, key) for key in keys | {PermissionKey.RW}}
    merged = ticket.state.is_merged
    wanted: list[tuple[str, str, str, str]] = []
    if not merged:
        for name, label, key, shortcut in _FORM_ACTIONS:
            if name == "close" and ticket.state.is_closed:
                continue
            if allowed[key]:
                wanted.append((name, str(label), GET, shortcut))
        if allowed[PermissionKey.RW]:
            if ticket.lock == LockState.UNLOCK:
                wanted.append(("lock", str(_("Lock")), POST, ""))
            else:
                wanted.append(("unlock", str(_("Unlock")), POST, ""))
        if not watching:
            wanted.append(("watch", str(_("Watch")), POST, ""))
    elif allowed[PermissionKey.RW]:
        wanted.append(("unmerge", str(_("Unmerge")), GET, ""))
    if watching:
        wanted.append(("unwatch", str(_("Stop watching")), POST, ""))
    wanted.append(("print", str(_("Print")), GET, ""))
    result = []
    for action, text, method, hotkey in wanted:
        menu = _MENU_OF.get(action, "")
        result.append(TicketAction(action, text, _url(action, ticket.pk), method, hotkey, menu))
    return result


# The ACL action (tickets.automation.acl.ACTIONS) of an entry, where it is not its own name:
# the composer's three are the one screen "compose".
_ACL_ACTION = {"reply": "compose", "reply_all": "compose", "forward": "compose"}


def _permitted(entries: list[TicketAction], allowed: set[str]) -> list[TicketAction]:
    """The entries whose action the ACLs leave (OTRS hides the menu entry of an Action an
    ACL takes away)."""
    return [e for e in entries if _ACL_ACTION.get(e.name, e.name) in allowed]


# The composer's actions, per article: (URL name, label). They need rw (spec §5).
_REPLY_ACTIONS = (
    ("reply", _("Reply")),
    ("reply_all", _("Reply all")),
    ("forward", _("Forward")),
    ("split", _("Split")),
)


def _replies(ticket: Ticket, article: Article, allowed: set[str]) -> list[TicketAction]:
    is_mail = article.channel == Channel.EMAIL
    # A mail splits into an email ticket back to its writer, anything else into a phone
    # ticket (each form links to the other, so the choice stays a plain link).
    views = {"split": "split_email"} if is_mail else {}
    result = [
        TicketAction(name, str(label), _url(views.get(name, name), ticket.pk, article.pk))
        for name, label in _REPLY_ACTIONS
    ]
    if is_mail:
        # A mail can be sent on unchanged (OTRS's bounce).
        result.append(
            TicketAction("bounce", str(_("Bounce")), _url("bounce", ticket.pk, article.pk))
        )
    return _permitted(result, allowed)


def _article_rows(
    ticket: Ticket,
    articles: list[Article],
    *,
    expand_all: bool,
    seen_ids: set[int] | None,
    can_reply: bool,
    allowed: set[str],
) -> tuple[list[ArticleRow], list[ArticleRow]]:
    """The articles in order, split into the older ones (listed one line each, so a long
    ticket renders fast) and the newest few (shown in full); all in full with ``expand_all``."""
    first_open = 0 if expand_all else max(len(articles) - EXPANDED_ARTICLES, 0)
    # Labels translated once per request, not once per article.
    senders = {value: str(label) for value, label in SenderType.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    rows = [
        ArticleRow(
            article=article,
            expanded=index >= first_open,
            unseen=seen_ids is not None and article.pk not in seen_ids,
            replies=(
                _replies(ticket, article, allowed) if can_reply and index >= first_open else []
            ),
            sender=senders.get(article.sender_type, article.sender_type),
            channel=channels.get(article.channel, article.channel),
        )
        for index, article in enumerate(articles)
    ]
    return rows[:first_open], rows[first_open:]


def _context(request, pk: int, *, printing: bool) -> dict:
    """Everything the zoom and the print view show (``Http404`` if not visible)."""
    user = request.user
    expand_all = printing or request.GET.get("articles") == "all"
    data = zoom_data.ticket_zoom(user, pk, bodies_of_last=None if expand_all else EXPANDED_ARTICLES)
    ticket = data.ticket
    watchers = zoom_data.watchers(ticket)
    watching = any(watcher.pk == user.pk for watcher in watchers)
    may_write = (
        not printing and not ticket.state.is_merged and access.can(user, ticket, PermissionKey.RW)
    )
    # The article fields the zoom shows, under each article (one query for all articles).
    ticket_fields.annotate_article_fields(data.articles)
    # What the ACLs leave of the menu (everything, unevaluated, without a rule on actions).
    allowed = set() if printing else acl.allowed_actions(user=user, screen="zoom", tickets=[ticket])
    older, shown = _article_rows(
        ticket,
        data.articles,
        expand_all=expand_all,
        seen_ids=None if printing else zoom_data.seen_article_ids(user, ticket),
        can_reply=may_write,
        allowed=allowed,
    )
    ticket_actions = (
        [] if printing else _permitted(_ticket_actions(user, ticket, watching=watching), allowed)
    )
    buttons, menus = action_bar(ticket_actions)
    return {
        "ticket": ticket,
        "printing": printing,
        # The version the agent saw, sent with the zoom's own buttons (edit conflicts).
        "version": actions.ticket_version(ticket),
        "ticket_actions": ticket_actions,
        "action_buttons": buttons,
        "action_menus": menus,
        "article_count": len(data.articles),
        "time_units_total": data.time_units_total,
        "older_rows": older,
        "article_rows": shown,
        "unlink_url": _url("unlink", ticket.pk) if may_write else None,
        "history": history.describe(data.history),
        "links": zoom_data.linked_tickets(user, ticket),
        "watchers": watchers,
        "merge_chain": zoom_data.merge_chain(user, ticket),
        "merged_from": zoom_data.merged_from(user, ticket),
        # The SLA timeline (computed now, so it is what the escalation run acts on).
        "sla": escalation.compute(ticket),
        # The ticket's process: its activity, the dialogs offered and the last steps.
        # Its dialogs only where an ACL leaves the process dialog (opening one would refuse).
        "process": None
        if printing
        else process_panel(ticket, may_write=may_write and "process_dialog" in allowed),
        # Answers and notes begun on the ticket and not sent yet, the agent's own first.
        "drafts": [] if printing else _drafts(user, ticket),
        "custom_fields": ticket_fields.shown_values([ticket], ticket_fields.TicketScreen.ZOOM)[
            ticket.pk
        ],
    }


def _drafts(user, ticket: Ticket) -> list[tuple[Draft, str]]:
    """The ticket's drafts (one query), each with where its author goes on with it (only
    the agent's own can be continued)."""
    found = Draft.objects.filter(ticket=ticket).select_related("user").order_by("-updated_at")
    mine = [(d, continue_url(d)) for d in found if d.user_id == user.pk]
    return mine + [(d, "") for d in found if d.user_id != user.pk]


@agent_required
@require_safe
def zoom(request, pk: int):
    context = _context(request, pk, printing=False)
    # Reading the ticket is what marks it (and its articles) seen, as in OTRS.
    actions.mark_seen(context["ticket"], user=request.user)
    context.update(presence_context(request, context["ticket"], presence_store.VIEWING))
    context["presence_seen"] = context["version"]
    return render(request, "tickets/zoom/zoom.html", context)


@agent_required
@require_safe
@acl_action("print")
def print_view(request, pk: int):
    """The ticket for paper; ``?article=<id>`` (repeated) prints only those articles and
    ``?history=0`` leaves the history out, chosen in a form on the page itself."""
    context = _context(request, pk, printing=True)
    rows = context["article_rows"]
    chosen = {int(raw) for raw in request.GET.getlist("article") if raw.isdigit()}
    context["all_rows"] = rows
    context["chosen_ids"] = chosen
    if chosen:
        context["article_rows"] = [row for row in rows if row.article.pk in chosen]
    context["with_history"] = request.GET.get("history") != "0"
    return render(request, "tickets/zoom/print.html", context)


# --- attachment download -----------------------------------------------------------------------


@agent_required
@require_safe
def attachment(request, pk: int):
    return attachment_response(access.attachment_or_404(request.user, pk))


urlpatterns = [
    path("tickets/<int:pk>/", zoom, name="zoom"),
    path("tickets/<int:pk>/print/", print_view, name="print"),
    path("attachments/<int:pk>/", attachment, name="attachment"),
]

"""Putting an FAQ item into an answer while it is written, without JavaScript.

The composer form carries an FAQ search box and, for each hit, an "Insert" button. Both are
submit buttons of the composer form itself, so what the agent has typed so far comes back:
a search shows the hits under the text, an insert appends the item's text (quoted text, a
link or both, as the FAQ settings say) to the body and records it in the ticket's history
(:func:`tickets.actions.insert_faq_item`). An internal item is not readable by the customer:
its first insert only warns, and the agent confirms it with a second press.

On the new-ticket screens there is no ticket yet: the inserted items are carried in the
form (:data:`INSERTED`) and recorded once the ticket exists (:func:`record_inserted`), in
the creation's transaction. With JavaScript, ``static/otrs/agent.js`` lists matching items
while the agent types (``faq.suggest_views``); its "Insert" buttons are these same submits.

Enter in a text field presses the form's default button, the first in the form
(``tickets/screens/_default_submit.html``): it sends the form as its main button does, or runs
the FAQ search typed but not yet run (Enter in the search box). With JavaScript, Enter in the
search box only lists the hits at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.utils.translation import gettext as _

from faq import selectors as faq_selectors
from faq.choices import ItemState
from otrs.errors import DomainError
from otrs.permissions import PermissionKey

from .. import actions

#: The composer's submit buttons that are an FAQ step, not the final send.
SEARCH, INSERT, CONFIRM, QUERY = "faq_search", "faq_insert", "faq_confirm", "faq_q"
#: The form's default button (tickets/screens/_default_submit.html): Enter in a text field.
ENTER = "faq_enter"
#: The FAQ search the page shows the hits of (a hidden field).
DONE = "faq_q_done"
#: The new-ticket screens' hidden list of the items inserted so far (ids, space-separated).
INSERTED = "faq_inserted"
#: The most items one new ticket records as inserted.
INSERTED_MAX = 20
#: How many hits the composer lists.
HITS = 8


def is_faq_step(request) -> bool:
    """An FAQ search or insert, not the final send: one of the FAQ box's buttons, or Enter
    (the form's default button) with a search typed that has not run yet, as Enter in the
    search box without JavaScript does. Enter anywhere else sends the form."""
    if request.method != "POST":
        return False
    data = request.POST
    if SEARCH in data or INSERT in data:
        return True
    typed = _query(data)
    return ENTER in data and bool(typed) and typed != _query(data, DONE)


def _query(data, name: str = QUERY) -> str:
    return " ".join(data.get(name, "").replace("\x00", " ").split())[:200]


def inserted_ids(data) -> list[int]:
    """The items a new-ticket form says were inserted (anything else in the list is dropped)."""
    raw = str(data.get(INSERTED, ""))[:500].split()
    return list(dict.fromkeys(int(x) for x in raw if x.isdigit() and len(x) < 12))[:INSERTED_MAX]


def record_inserted(ticket, data, *, actor) -> None:
    """Record on a new ticket the items put into its first article (inside its creation's
    transaction). Items the agent can no longer insert are skipped, not refused: the text
    is in the article already."""
    ids = inserted_ids(data)
    if not ids:
        return
    for item in faq_selectors.insertable(actor).filter(pk__in=ids).order_by("pk"):
        actions.insert_faq_item(ticket, item, actor=actor, need=PermissionKey.CREATE)


def faq_step(
    request,
    ticket,
    build_form: Callable[[Any], Any],
    render_page: Callable[..., HttpResponse],
    *,
    need: str = PermissionKey.RW,
) -> HttpResponse:
    """The composer again after an FAQ search or insert (see the module docstring).
    ``build_form(data)`` makes the composer's form from the (changed) POST data;
    ``render_page(form, **context)`` renders the composer. ``ticket`` is ``None`` on the
    new-ticket screens: the insert is recorded when the ticket is made."""
    data = request.POST.copy()
    query = _query(data)
    insertable = faq_selectors.insertable(request.user)
    context: dict[str, Any] = {"faq_q": query}
    raw = data.get(INSERT, "")
    if INSERT in data and raw.isdigit():
        item = insertable.filter(pk=int(raw)).select_related("live_revision").first()
        if item is None:
            messages.error(request, _("No such FAQ item."))
        elif item.state == ItemState.INTERNAL and data.get(CONFIRM) != raw:
            context["faq_warning"] = item
        else:
            try:
                if ticket is not None:
                    actions.insert_faq_item(ticket, item, actor=request.user, need=need)
                else:
                    data[INSERTED] = " ".join(map(str, [*inserted_ids(data), item.pk]))
            except DomainError as error:
                messages.error(request, error.message)
            else:
                body = data.get("body", "").rstrip()
                text = faq_selectors.answer_text(item)
                data["body"] = f"{body}\n\n{text}\n" if body else f"{text}\n"
                messages.success(
                    request, _("FAQ item %(number)s inserted.") % {"number": item.number}
                )
    if query:
        found = faq_selectors.search(insertable, query, internal=True)
        context["faq_hits"] = list(found.order_by("-changed", "-pk")[:HITS])
    context["faq_inserted"] = " ".join(map(str, inserted_ids(data)))
    form = build_form(data)
    form.errors.clear()  # not submitted yet: no "required" errors for what is still empty
    return render_page(form, **context)

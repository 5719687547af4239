"""History rows read as sentences in the reader's language, with a constant query count."""

from django.utils import translation

from tests import factories
from tickets import actions
from tickets.history import describe


def test_it_describes_changes_with_current_names(support, django_assert_max_num_queries):
    ticket = factories.ticket(support.queue)
    other = factories.queue("Elsewhere", group_=support.group)
    factories.grant(support.rw, support.group, "move_into")
    actions.move_ticket(ticket, other, actor=support.rw)
    actions.set_state(ticket, factories.state("open"), actor=support.rw)
    other_name_later = "Renamed"
    other.name = other_name_later
    other.save()

    entries = list(ticket.history.order_by("id"))
    with django_assert_max_num_queries(4):
        lines = [text for _entry, text in describe(entries)]

    assert lines[0] == f"Ticket {ticket.number} created in queue Support."
    assert "Moved from queue “Support” to “Renamed”." in lines
    assert "State changed from “new” to “open”." in lines


def test_it_renders_in_the_readers_language(support):
    ticket = factories.ticket(support.queue)
    actions.set_state(ticket, factories.state("open"), actor=support.rw)
    entry = ticket.history.order_by("-id").first()
    with translation.override("de"):
        ((_entry, text),) = describe([entry])
    assert text.startswith("Status")

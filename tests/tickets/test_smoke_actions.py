from tests import factories
from tickets import actions
from tickets.choices import HistoryType


def test_it_creates_and_merges(support):
    a = factories.ticket(support.queue)
    b = factories.ticket(support.queue, title="Second")
    factories.note(a, actor=support.rw)
    actions.merge_tickets(a, b, actor=support.rw)
    assert a.state.name == "merged"
    assert actions.resolve_number(a.number) == b
    actions.unmerge_ticket(a, actor=support.rw)
    assert a.state.name == "new"
    assert a.articles.count() == 3
    types = list(a.history.values_list("history_type", flat=True))
    assert HistoryType.UNMERGED in types

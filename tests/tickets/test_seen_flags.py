"""Marking a ticket's articles seen (issue 18, part 8): one correlated NOT EXISTS per article,
which the (article, user, key) unique index answers, whatever other agents' flags exist."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tickets import actions
from tickets.choices import TicketFlagKey
from tickets.models import ArticleFlag


def test_it_flags_only_the_unseen_articles_with_one_exists(support):
    ticket = factories.ticket(support.queue)
    second = factories.note(ticket)
    factories.note(ticket)
    ArticleFlag.objects.create(article=second, user=support.rw, key=TicketFlagKey.SEEN)
    # Another agent's flags are no business of this query.
    for article in ticket.articles.all():
        ArticleFlag.objects.create(article=article, user=support.ro, key=TicketFlagKey.SEEN)

    with CaptureQueriesContext(connection) as queries:
        actions.mark_seen(ticket, user=support.rw)

    flagged = ArticleFlag.objects.filter(user=support.rw, key=TicketFlagKey.SEEN)
    assert set(flagged.values_list("article_id", flat=True)) == set(
        ticket.articles.values_list("pk", flat=True)
    )
    (select,) = [q["sql"] for q in queries if "EXISTS" in q["sql"].upper()]
    assert len(re.findall(r"EXISTS", select)) == 1, select

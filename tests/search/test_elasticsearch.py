"""The Elasticsearch backend over real HTTP (noida-db), the index fed from the events, and
``manage.py search_index``."""

from __future__ import annotations

import io
from io import StringIO

import docx
import pytest
from django.core.management import call_command
from elasticsearch import helpers

from otrs.permissions import PermissionKey
from otrs.search import get_backend, maintenance
from otrs.search.elastic import ElasticsearchBackend, alias_name, index_body
from otrs.search.highlight import safe_marked
from tests import factories
from tickets import actions
from tickets.choices import Channel, SenderType
from tickets.search import Criteria, search_tickets

pytestmark = pytest.mark.django_db


def _refresh(es, kind="ticket"):
    es.indices.refresh(index=alias_name(kind))


def _found(user, text):
    return set(search_tickets(user, Criteria(fulltext=text)).values_list("pk", flat=True))


@pytest.fixture
def people(db):
    queue = factories.queue("Search")
    other = factories.queue("Secret", group_=factories.group("secret"))
    agent = factories.agent("searcher")
    factories.grant(agent, queue.group, PermissionKey.RW)
    return queue, other, agent


def _word_document(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_it_indexes_tickets_from_events_and_the_access_entry_filters(
    es, people, django_capture_on_commit_callbacks
):
    queue, secret, agent = people
    maintenance.rebuild("ticket")
    with django_capture_on_commit_callbacks(execute=True):
        mine = factories.ticket(queue, title="Printer", body="The toner cartridge smokes.")
        hidden = factories.ticket(secret, title="Hidden", body="Another cartridge.")
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_article(
            mine,
            actions.ArticleInput(
                channel=Channel.INTERNAL,
                sender_type=SenderType.AGENT,
                body="See the files.",
                attachments=[
                    actions.AttachmentInput("offer.docx", _word_document("quotation zanzibar")),
                    actions.AttachmentInput(
                        "page.html",
                        b"<p>Visit <b>walrusland</b></p><script>x()</script>",
                        "text/html",
                    ),
                    actions.AttachmentInput("blob.bin", b"\x00\x01", "application/x-thing"),
                ],
            ),
            actor=factories.system(),
        )
    _refresh(es)
    backend = get_backend()
    assert isinstance(backend, ElasticsearchBackend)

    assert _found(agent, "cartridge") == {mine.pk}  # the other one is not the agent's
    assert set(backend.ids("ticket", "cartridge")) == {mine.pk, hidden.pk}
    assert _found(agent, "zanzibar") == {mine.pk}  # Word attachment
    assert _found(agent, "walrusland") == {mine.pk}  # HTML attachment
    assert _found(agent, "x") == set()  # script text is not indexed
    assert _found(agent, mine.number) == {mine.pk}  # keyword
    page = backend.search("ticket", "smokes")
    assert page.hits[0].id == mine.pk
    # The server marks with private-use characters; the page escapes, then makes <mark>.
    marked = [safe_marked(f) for f in page.hits[0].highlights["text"]]
    assert "<mark>smokes</mark>" in " ".join(marked)
    # The attachment without extractable text is reported on the document, not skipped silently.
    source = es.get(index=alias_name("ticket"), id=str(mine.pk))["_source"]
    assert source["skipped_count"] == 1
    assert "blob.bin" in source["skipped"][0]
    status = StringIO()
    call_command("search_index", "--status", "ticket", stdout=status)
    assert "with attachments left out 1" in status.getvalue()


def test_it_stems_in_the_configured_languages(es, people, django_capture_on_commit_callbacks):
    queue, _secret, agent = people
    maintenance.rebuild("ticket")
    with django_capture_on_commit_callbacks(execute=True):
        german = factories.ticket(queue, title="Wasser", body="Die Häuser stehen unter Wasser.")
        english = factories.ticket(queue, title="Printers", body="All printers are jammed.")
    _refresh(es)

    assert _found(agent, "Haus") == {german.pk}
    assert _found(agent, "printer jam") == {english.pk}


def test_a_merge_reindexes_both_tickets_and_a_move_none(
    es, people, django_capture_on_commit_callbacks
):
    queue, secret, _agent = people
    maintenance.rebuild("ticket")
    with django_capture_on_commit_callbacks(execute=True):
        source = factories.ticket(queue, title="One", body="alpha bravo")
        target = factories.ticket(queue, title="Two", body="charlie")
    with django_capture_on_commit_callbacks(execute=True):
        actions.merge_tickets(source, target, actor=factories.system())
    _refresh(es)
    assert set(get_backend().ids("ticket", "bravo")) == {target.pk}

    before = es.get(index=alias_name("ticket"), id=str(target.pk))["_source"]["indexed_at"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.move_ticket(target, secret, actor=factories.system())
    after = es.get(index=alias_name("ticket"), id=str(target.pk))["_source"]["indexed_at"]
    assert after == before  # a move changes no document: the access entry decides


def test_it_pages_past_ten_thousand_hits_with_a_total(es, settings):
    index = f"{alias_name('ticket')}-paging"
    es.indices.create(index=index, **index_body())
    es.indices.put_alias(index=index, name=alias_name("ticket"))
    docs = (
        {"_index": index, "_id": str(pk), "_source": {"object_id": pk, "text": ["common word"]}}
        for pk in range(1, 10_251)
    )
    helpers.bulk(es, docs, chunk_size=5000, refresh=True)
    backend = ElasticsearchBackend()

    first = backend.search("ticket", "common", size=5000)
    assert (first.total, first.relation) == (10_000, "gte")
    exact = backend.search("ticket", "common", size=1, exact_total=True)
    assert (exact.total, exact.relation) == (10_250, "eq")
    seen = [h.id for h in first.hits]
    after = first.after
    while after:
        page = backend.search("ticket", "common", size=5000, after=after, highlight=False)
        seen += [h.id for h in page.hits]
        after = page.after
    assert sorted(seen) == list(range(1, 10_251))
    assert len(backend.ids("ticket", "common")) == 10_250


def test_a_rebuild_resumes_keeps_searching_the_old_index_then_swaps(
    es, people, django_capture_on_commit_callbacks
):
    queue, _secret, agent = people
    tickets = [factories.ticket(queue, title=f"T{i}", body=f"needle{i} hay") for i in range(5)]
    maintenance.rebuild("ticket")
    first = maintenance.aliased("ticket")
    with django_capture_on_commit_callbacks(execute=True):
        late = factories.ticket(queue, title="Late", body="needle9 hay")

    maintenance.rebuild("ticket", chunk=2, stop_after=1)  # interrupted after one chunk
    status = maintenance.status("ticket")
    assert status.indexes == first and len(status.building) == 1
    assert status.checkpoint == tickets[1].pk
    _refresh(es)
    assert _found(agent, "hay") == {t.pk for t in [*tickets, late]}  # the old index answers

    progress = maintenance.rebuild("ticket", chunk=2)  # goes on after the checkpoint
    assert progress.done == 4
    assert maintenance.aliased("ticket") == status.building
    assert not es.indices.exists(index=first[0])
    _refresh(es)
    assert _found(agent, "hay") == {t.pk for t in [*tickets, late]}


def test_check_reindexes_what_differs(es, people):
    queue, _secret, _agent = people
    tickets = [factories.ticket(queue, title=f"C{i}", body="checked") for i in range(4)]
    maintenance.rebuild("ticket")
    es.delete(index=alias_name("ticket"), id=str(tickets[0].pk), refresh=True)
    es.update(
        index=alias_name("ticket"),
        id=str(tickets[1].pk),
        doc={"digest": "old", "text": ["stale"]},
        refresh=True,
    )
    es.index(index=alias_name("ticket"), id="999999", document={"object_id": 999999}, refresh=True)

    result = maintenance.check("ticket", sample=10)

    assert (result.database, result.index) == (4, 4)
    assert (result.missing, result.extra, result.stale) == (1, 1, 1)
    again = maintenance.check("ticket", sample=10)
    assert (again.missing, again.extra, again.stale, again.index) == (0, 0, 0, 4)
    out = StringIO()
    call_command("search_index", "--check", "ticket", stdout=out)
    assert "missing 0, extra 0, stale 0" in out.getvalue()


def test_it_searches_every_registered_kind(es, people):
    # Imported here: the other apps' models are needed by this test only.
    from customers import access as customer_access
    from customers.models import CustomerCompany

    CustomerCompany.objects.create(customer_id="ACME", name="Acme Rockets", city="Duckburg")
    call_command("search_index", "--rebuild", stdout=StringIO())
    backend = get_backend()
    visible = customer_access.visible_to(factories.system(), model=CustomerCompany)

    found = backend.filter("customer_company", visible, "duckburg")

    assert list(found.values_list("customer_id", flat=True)) == ["ACME"]

"""Revisions, not overwrites: the live revision stays while a draft waits; approval,
sending back, revert, the diff, history rows and events."""

from __future__ import annotations

import datetime
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from faq import actions
from faq.choices import HistoryType, ItemState, RevisionStatus
from faq.events import FaqEvent
from faq.models import FaqRevision
from faq.tasks import announce_reviews_due
from otrs.celery import app
from otrs.errors import DomainError
from otrs.events.models import OutboxEvent
from tests import factories
from tests.customers import company, customer_user
from tests.faq import category, item, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    editors, approvers = factories.group("faq-editors"), factories.group("faq-approvers")
    editor, approver = factories.agent("faq_editor"), factories.agent("faq_approver")
    factories.grant(editor, editors, factories.RW)
    factories.grant(approver, editors, factories.RW)
    factories.grant(approver, approvers, factories.RW)
    cat = category(
        "Approved", edit=[editors], approvers=[approvers], approval=True, customers_all=True
    )
    return type("Team", (), {"editor": editor, "approver": approver, "category": cat})


def test_the_published_revision_stays_live_while_a_draft_waits(team):
    found = item(team.category, "Printer jams", state=ItemState.PUBLIC, actor=team.editor)
    first = found.latest_revision
    assert first.status == RevisionStatus.PENDING and found.live_revision is None
    actions.approve_revision(first, actor=team.approver)
    found.refresh_from_db()
    assert found.live_revision == first

    second = actions.update_item(
        found,
        actions.Content(title="Printer jams", solution="Open tray 2."),
        actor=team.editor,
        note="tray",
        expected_revision=1,
    )
    found.refresh_from_db()
    assert second.status == RevisionStatus.PENDING
    assert found.live_revision == first and found.latest_revision == second
    public = signed_in(None).get(reverse("faq_public:item", args=[found.pk])).content.decode()
    assert "The solution." in public and "Open tray 2." not in public

    actions.approve_revision(second, actor=team.approver)
    found.refresh_from_db()
    assert found.live_revision == second
    public = signed_in(None).get(reverse("faq_public:item", args=[found.pk])).content.decode()
    assert "Open tray 2." in public
    kinds = list(found.history.values_list("type", flat=True))
    assert kinds.count(HistoryType.APPROVED) == 2
    assert HistoryType.APPROVAL_REQUESTED in kinds and HistoryType.CREATED in kinds
    names = set(
        OutboxEvent.objects.filter(object_type="faq_item", object_id=found.pk).values_list(
            "name", flat=True
        )
    )
    assert {FaqEvent.ITEM_CREATE, FaqEvent.APPROVAL_REQUEST, FaqEvent.ITEM_PUBLISH} <= names


def test_an_editor_cannot_approve_and_a_sent_back_revision_stays_unpublished(team):
    found = item(team.category, actor=team.editor)
    with pytest.raises(DomainError):
        actions.approve_revision(found.latest_revision, actor=team.editor)
    with pytest.raises(DomainError):
        actions.send_back_revision(found.latest_revision, actor=team.approver, note="")
    actions.send_back_revision(found.latest_revision, actor=team.approver, note="Too short")
    found.refresh_from_db()
    rev = found.latest_revision
    assert rev.status == RevisionStatus.RETURNED and rev.review_note == "Too short"
    assert found.live_revision is None
    # The editor submits again; the approver sees the waiting revision on the dashboard.
    actions.submit_revision(rev, actor=team.editor)
    body = signed_in(team.approver).get(reverse("agent:faq_dashboard")).content.decode()
    assert found.title in body


def test_a_stale_editor_gets_an_edit_conflict(team):
    found = item(team.category, actor=team.editor)
    actions.update_item(found, actions.Content(title="B"), actor=team.editor, expected_revision=1)
    with pytest.raises(DomainError) as refused:
        actions.update_item(
            found, actions.Content(title="C"), actor=team.editor, expected_revision=1
        )
    assert refused.value.code == "edit_conflict"
    assert found.revisions.count() == 2


def test_revert_makes_a_new_revision_with_the_old_content(db):
    cat = category(customers_all=True)
    found = item(cat, "One", solution="first text")
    actions.update_item(
        found, actions.Content(title="Two", solution="second text"), actor=factories.system()
    )
    found.refresh_from_db()
    assert found.title == "Two"
    agent = factories.agent("faq_reverter", is_superuser=True)
    response = signed_in(agent).post(reverse("agent:faq_revert", args=[found.pk, 1]))
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.revisions.count() == 3
    third = found.latest_revision
    assert third.number == 3 and third.reverted_from == 1 and third.solution == "first text"
    assert found.live_revision == third and found.title == "One"
    assert found.history.filter(type=HistoryType.REVERTED).exists()


def test_the_diff_marks_words_side_by_side(db):
    cat = category()
    found = item(cat, "Same", solution="<p>restart the <b>router</b> now</p>")
    actions.update_item(
        found,
        actions.Content(title="Same", solution="<p>restart the modem now</p>"),
        actor=factories.system(),
    )
    agent = factories.agent("faq_differ", is_superuser=True)
    body = (
        signed_in(agent)
        .get(reverse("agent:faq_diff", args=[found.pk]) + "?a=1&b=2")
        .content.decode()
    )
    assert "<del>router</del>" in body and "<ins>modem</ins>" in body
    assert (
        signed_in(agent).get(reverse("agent:faq_diff", args=[found.pk]) + "?a=1&b=9").status_code
        == 404
    )


def test_agent_screens_write_through_the_actions(team):
    client = signed_in(team.editor)
    response = client.post(
        reverse("agent:faq_item_add"),
        {
            "category": team.category.pk,
            "language": "en",
            "state": "external",
            "title": "From the form",
            "keywords": "a, b",
            "solution": "<p>x</p>",
            "note": "n",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rev = FaqRevision.objects.get(title="From the form")
    assert rev.status == RevisionStatus.PENDING and rev.item.keywords == "a b"
    # Invalid input: a precise message, nothing written.
    response = client.post(
        reverse("agent:faq_item_add"),
        {"category": team.category.pk, "language": "xx", "state": "public", "title": ""},
    )
    assert response.status_code == 400
    assert FaqRevision.objects.count() == 1
    approver = signed_in(team.approver)
    response = approver.post(reverse("agent:faq_approve", args=[rev.item_id, rev.number]))
    assert response.status_code == 302
    rev.refresh_from_db()
    assert rev.status == RevisionStatus.PUBLISHED


def test_language_fallback_with_a_visible_note(db, settings):
    cat = category(customers_all=True)
    english = item(cat, "Reset password", language="en")
    german = item(cat, "Passwort zurücksetzen", language="de", translation_of=english)
    only_en = item(cat, "Only English", language="en")
    client = signed_in(None)
    index = client.get(reverse("faq_public:index"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Passwort zurücksetzen" in index and "Reset password" not in index
    assert "Only English" in index
    page = client.get(reverse("faq_public:item", args=[only_en.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert "faq-fallback" in page.content.decode()
    page = client.get(reverse("faq_public:item", args=[german.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert "faq-fallback" not in page.content.decode()
    # From the English one, a German reader is pointed at the German translation.
    page = client.get(reverse("faq_public:item", args=[english.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert reverse("faq_public:item", args=[german.pk]) in page.content.decode()
    # No dead links: an internal translation is never offered to the public.
    internal = item(
        cat, "Nur intern", language="de", state=ItemState.INTERNAL, translation_of=only_en
    )
    page = client.get(reverse("faq_public:item", args=[only_en.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert reverse("faq_public:item", args=[internal.pk]) not in page.content.decode()
    assert "faq-fallback" in page.content.decode()


XSS = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def test_an_item_keeps_no_remote_image(db):
    # Images come as the item's attachments; a remote source would let a third party see
    # every reader (the issue: "images as attachments, never remote").
    found = item(
        category(customers_all=True),
        "Images",
        state=ItemState.PUBLIC,
        solution=(
            '<p>a<img src="https://tracker.example/p.png" alt="remote">'
            '<img src="//tracker.example/q.png" alt="protocol-relative">'
            '<img src="/agent/faq/1/attachments/2/" alt="own"></p>'
        ),
    )
    solution = found.live_revision.solution
    assert "tracker.example" not in solution
    assert 'src="/agent/faq/1/attachments/2/"' in solution


def test_script_is_never_executed_anywhere(db):
    cat = category(customers_all=True)
    found = item(
        cat,
        f"T {XSS}",
        state=ItemState.PUBLIC,
        symptom=XSS,
        keywords=XSS,
        solution=f"<p>ok</p>{XSS}",
    )
    actions.add_attachment(
        found,
        actor=factories.system(),
        filename=f"{XSS}.html",
        content_type="text/html",
        data=b"<script>alert(1)</script>",
        inline=True,
    )
    rev = found.live_revision
    assert "<script" not in rev.symptom and "onerror" not in rev.solution
    agent = factories.agent("faq_xss", is_superuser=True)
    cust = customer_user("faq_xss_cust", company=company("XSS")).user
    pages = [
        signed_in(agent).get(reverse("agent:faq_item", args=[found.pk])),
        signed_in(agent).get(reverse("agent:faq") + "?q=ok"),
        signed_in(cust).get(reverse("customer:faq_item", args=[found.pk])),
        signed_in(None).get(reverse("faq_public:item", args=[found.pk])),
        signed_in(None).get(reverse("faq_public:index")),
    ]
    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200
        assert "<script>alert" not in body and 'onerror="' not in body, page.request["PATH_INFO"]
    # The feed: titles are Atom text (escaped by the XML), summaries sanitised HTML.
    feed = ElementTree.fromstring(  # noqa: S314 - our own feed
        signed_in(None).get(reverse("faq_public:feed")).content
    )
    atom = "{http://www.w3.org/2005/Atom}"
    summaries = [e.text or "" for e in feed.iter(f"{atom}summary")]
    assert summaries and all("<script" not in s and "onerror" not in s for s in summaries)
    assert not list(feed.iter("script"))
    att = found.attachments.get()
    download = signed_in(None).get(reverse("faq_public:attachment", args=[found.pk, att.pk]))
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_votes_count_once_per_reader(db):
    cat = category(customers_all=True)
    found = item(cat)
    client = signed_in(None)
    url = reverse("faq_public:vote", args=[found.pk])
    assert client.post(url, {"rating": 5}).status_code == 302
    assert client.post(url, {"rating": 3}).status_code == 302
    assert client.post(url, {"rating": 99}).status_code == 302
    assert list(found.votes.values_list("rating", flat=True)) == [3]
    cust = customer_user("faq_voter", company=company("VOTE")).user
    signed_in(cust).post(reverse("customer:faq_vote", args=[found.pk]), {"rating": 4})
    assert found.votes.count() == 2
    assert signed_in(None).get(url).status_code == 405


def test_review_due_is_announced_once(db):

    cat = category()
    found = item(cat)
    found.review_after = datetime.date(2020, 1, 1)
    found.save(update_fields=["review_after"])
    assert actions.record_review_due(datetime.date(2021, 1, 1)) == [found.pk]
    assert actions.record_review_due(datetime.date(2021, 1, 1)) == []
    assert OutboxEvent.objects.filter(name=FaqEvent.REVIEW_DUE, object_id=found.pk).count() == 1


def test_the_daemon_announces_reviews_due_daily(db):
    # The schedule the migration installs names a task the worker knows, and that task
    # announces a passed review date once.
    scheduled = PeriodicTask.objects.get(name="FAQ reviews due")
    assert scheduled.task in app.tasks and scheduled.crontab is not None
    found = item(category())
    found.review_after = datetime.date(2020, 1, 1)
    found.save(update_fields=["review_after"])
    assert announce_reviews_due() == 1
    assert announce_reviews_due() == 0

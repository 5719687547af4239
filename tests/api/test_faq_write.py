"""FAQ items written through the API: the FAQ's actions with their rules (a new revision per
change, approval where the category asks for it), 404 for items the caller cannot read, 403
for what they read but may not change, 400 naming the field for bad input, 412 for a stale
If-Match."""

from __future__ import annotations

import pytest

from faq.choices import HistoryType, ItemState, RevisionStatus
from faq.models import FaqHistory, FaqItem
from tests import factories
from tests.customers import customer_user
from tests.faq import category, item

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/faq-items/"


@pytest.fixture
def team():
    editors, approvers, readers = (
        factories.group(f"apiw-faq-{n}") for n in ("editors", "approvers", "readers")
    )
    editor, approver, reader, outsider = (
        factories.agent(f"apiw-faq-{n}") for n in ("editor", "approver", "reader", "outsider")
    )
    for agent in (editor, approver):
        factories.grant(agent, editors, factories.RW)
        factories.grant(agent, readers, factories.RO)
    factories.grant(approver, approvers, factories.RW)
    factories.grant(reader, readers, factories.RO)
    open_cat = category("Apiw open", read=[readers], edit=[editors])
    reviewed = category(
        "Apiw reviewed", read=[readers], edit=[editors], approvers=[approvers], approval=True
    )
    return type(
        "Team",
        (),
        {
            "editor": editor,
            "approver": approver,
            "reader": reader,
            "outsider": outsider,
            "open": open_cat,
            "reviewed": reviewed,
        },
    )


def new(cat, title="Apiw toner smears", **extra) -> dict:
    return {
        "category": cat.pk,
        "language": "en",
        "state": "external",
        "title": title,
        "keywords": "toner",
        "solution": "<p>Shake it.<script>alert(1)</script></p>",
        **extra,
    }


def test_an_editor_creates_and_revises_an_item(team):
    api = ApiClient(token_for(team.editor))
    made = api.post(URL, new(team.open))
    assert made.status_code == 201, made.content
    body = made.json()
    assert made["ETag"] == '"1"'
    assert body["published"]["number"] == 1 and "<script" not in body["published"]["solution"]
    assert body["latest_revision"] == {"number": 1, "status": RevisionStatus.PUBLISHED}
    url = f"{URL}{body['id']}/"

    changed = api.patch(url, {"solution": "<p>Replace it.</p>", "note": "better"})
    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    assert changed.json()["published"]["solution"] == "<p>Replace it.</p>"
    assert changed.json()["published"]["title"] == "Apiw toner smears"  # kept
    item_ = FaqItem.objects.get(pk=body["id"])
    assert list(item_.revisions.values_list("number", "note")) == [(2, "better"), (1, "")]

    stale = api.patch(url, {"title": "Apiw stale"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["code"] == "edit_conflict"
    assert api.patch(url, {"title": "Apiw fresh"}, headers={"If-Match": '"2"'}).status_code == 200

    moved = api.patch(url, {"state": "public"})
    assert moved.status_code == 200 and moved.json()["state"] == ItemState.PUBLIC
    assert FaqHistory.objects.filter(item=item_, type=HistoryType.STATE_CHANGED).exists()
    assert item_.revisions.count() == 3  # a state change is no new revision


def test_approval_keeps_the_published_revision_until_an_approver_publishes(team):
    editor = ApiClient(token_for(team.editor))
    approver = ApiClient(token_for(team.approver))
    made = editor.post(URL, new(team.reviewed))
    assert made.status_code == 201
    url = f"{URL}{made.json()['id']}/"
    assert made.json()["published"] is None
    assert made.json()["latest_revision"]["status"] == RevisionStatus.PENDING

    refused = editor.post(f"{url}approve/", {"revision": 1})
    assert refused.status_code == 403
    no_note = approver.post(f"{url}send-back/", {"revision": 1})
    assert no_note.status_code == 400 and no_note.json()["errors"][0]["field"] == "note"
    published = approver.post(f"{url}approve/", {"revision": 1, "note": "fine"})
    assert published.status_code == 200 and published.json()["published"]["number"] == 1

    draft = editor.patch(url, {"title": "Apiw toner smears badly"})
    assert draft.json()["published"]["title"] == "Apiw toner smears"
    assert draft.json()["latest_revision"] == {"number": 2, "status": RevisionStatus.PENDING}
    back = approver.post(f"{url}send-back/", {"revision": 2, "note": "Say which toner."})
    assert back.json()["latest_revision"]["status"] == RevisionStatus.RETURNED
    again = approver.post(f"{url}approve/", {"revision": 2})
    assert again.status_code == 400 and again.json()["errors"][0]["field"] == "revision"


def test_who_may_not_write_gets_404_403_or_400(team, settings):
    settings.API_CUSTOMER_ACCESS = True
    hidden_cat = category("Apiw hidden", read=[factories.group("apiw-faq-nobody")])
    readable = item(team.open, "Apiw readable")
    hidden = item(hidden_cat, "Apiw hidden item")

    reader = ApiClient(token_for(team.reader))
    assert reader.patch(f"{URL}{readable.pk}/", {"title": "x"}).status_code == 403
    assert reader.post(URL, new(team.open)).status_code == 403
    assert reader.post(f"{URL}{readable.pk}/approve/", {"revision": 1}).status_code == 403

    outsider = ApiClient(token_for(team.outsider))
    for path, body in (
        (f"{URL}{hidden.pk}/", {"title": "x"}),
        (f"{URL}999999999/", {"title": "x"}),
    ):
        assert outsider.patch(path, body).status_code == 404
    assert outsider.post(f"{URL}{hidden.pk}/approve/", {"revision": 1}).status_code == 404
    unseen = outsider.post(URL, new(hidden_cat))
    assert unseen.status_code == 400 and unseen.json()["errors"][0]["field"] == "category"

    read_token = ApiClient(token_for(team.editor, scope="read"))
    assert read_token.post(URL, new(team.open)).status_code == 403
    customer = ApiClient(token_for(customer_user("apiw-faq-customer").user))
    assert customer.post(URL, new(team.open)).status_code == 403
    assert FaqItem.objects.filter(category=team.open).count() == 1


def test_bad_input_names_the_field(team):
    api = ApiClient(token_for(team.editor))
    for body, field in (
        ({**new(team.open), "title": "  "}, "title"),
        ({**new(team.open), "language": "xx"}, "language"),
        ({**new(team.open), "state": "secret"}, "state"),
        ({**new(team.open), "category": "nine"}, "category"),
    ):
        answer = api.post(URL, body)
        assert answer.status_code == 400, body
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    made = api.post(URL, new(team.open)).json()
    assert api.patch(f"{URL}{made['id']}/", {}).status_code == 400
    assert api.patch(f"{URL}{made['id']}/", {"state": "nope"}).json()["errors"][0]["field"] == (
        "state"
    )


def test_the_schema_describes_the_writes(team):
    api = ApiClient(token_for(team.editor))
    paths = api.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/faq-items/"])
    assert "patch" in paths["/api/v1/faq-items/{id}/"]
    assert "post" in paths["/api/v1/faq-items/{id}/approve/"]
    assert "post" in paths["/api/v1/faq-items/{id}/send-back/"]

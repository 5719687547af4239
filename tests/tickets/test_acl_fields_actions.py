"""ACLs on custom-field values and on actions (issue 15, part 2; spec section 10).

A rule's ``field:<Name>`` restricts the keys of a dropdown or multiselect custom field in
every form that offers it (a removed key posted anyway is refused naming it, nothing
written), in the API too; its ``action`` takes actions away: the zoom hides their entries,
their screens answer a refusal, the API's matching operations are refused. The debugger
shows both; the editor and the YAML import name what is wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from otrs.fields.actions import save_definition
from otrs.fields.models import FieldDefinition, FieldValue
from otrs.permissions import PermissionKey
from tests import factories
from tests.api.conftest import ApiClient, token_for
from tests.customer_portal import ticket_data as data
from tickets.automation import acl, portable
from tickets.fields import TICKET
from tickets.management.commands import _process_demo
from tickets.models import AclRule, Process, State, Ticket
from tickets.processes import engine
from tickets.processes.dialogs import DialogForm

pytestmark = pytest.mark.django_db

SCREENS = ("close", "free_fields", "bulk", "phone_ticket", "customer_new_ticket", "zoom")
REFUSED = "Product “Widget” is not possible here: an ACL takes it away."


def product(field_type: str = "dropdown", name: str = "AclProduct") -> FieldDefinition:
    definition = FieldDefinition(
        name=name,
        label="Product",
        object_type=TICKET,
        field_type=field_type,
        screens=dict.fromkeys(SCREENS, "shown"),
    )
    options = [
        {"key": "gadget", "label": "Gadget"},
        {"key": "widget", "label": "Widget"},
        {"key": "gizmo", "label": "Gizmo"},
    ]
    return save_definition(definition, options if field_type != "text" else None)


def no_widget(name: str = "AclProduct", properties: dict | None = None, **change) -> AclRule:
    return AclRule.objects.create(
        name="aclfa no widget",
        properties=properties or {},
        changes={f"field:{name}": change or {"possible_not": ["widget"]}},
    )


def no_actions(*actions: str, properties: dict | None = None) -> AclRule:
    return AclRule.objects.create(
        name="aclfa no actions",
        properties=properties or {},
        changes={"action": {"possible_not": list(actions)}},
    )


def keys(response, name: str = "AclProduct") -> set[str]:
    choices = response.context["form"].fields[f"field_{name}"].choices
    return {key for key, _label in choices if key}


def errors(response, name: str = "AclProduct") -> list[str]:
    return [str(e) for e in response.context["form"].errors.get(f"field_{name}", [])]


def signed_in(client, user):
    client.force_login(user)
    return client


def stored(ticket, name: str = "AclProduct") -> list[str]:
    rows = FieldValue.objects.filter(field__name=name, object_id=ticket.pk)
    return sorted(rows.values_list("value_text", flat=True))


# --- custom-field values in the forms ------------------------------------------------------------


def test_the_close_screen_neither_offers_nor_takes_a_removed_field_value(client, support):
    product()
    ticket = factories.ticket(support.queue)
    url = reverse("agent:close", args=[ticket.pk])
    agent = signed_in(client, support.rw)
    assert keys(agent.get(url)) == {"gadget", "widget", "gizmo"}
    no_widget()

    page = agent.get(url)
    closed = State.objects.get(name="closed successful")
    seen = page.context["form"]["seen"].value()
    posted = agent.post(url, {"state": closed.pk, "seen": seen, "field_AclProduct": "widget"})
    taken = agent.post(url, {"state": closed.pk, "seen": seen, "field_AclProduct": "gizmo"})

    assert keys(page) == {"gadget", "gizmo"}
    assert posted.status_code == 400
    assert errors(posted) == [REFUSED]
    assert taken.status_code == 302
    assert stored(ticket) == ["gizmo"]
    assert Ticket.objects.get(pk=ticket.pk).state == closed


def test_a_rule_on_the_value_chosen_in_the_form_narrows_another_field(client, support):
    product()
    ticket = factories.ticket(support.queue)
    closed = State.objects.get(name="closed successful")
    AclRule.objects.create(
        name="aclfa widgets stay open",
        properties={"all": [{"attr": "field:AclProduct", "op": "equals", "value": "widget"}]},
        changes={"state": {"possible_not": [closed.pk]}},
    )
    url = reverse("agent:close", args=[ticket.pk])
    agent = signed_in(client, support.rw)
    seen = agent.get(url).context["form"]["seen"].value()

    posted = agent.post(url, {"state": closed.pk, "seen": seen, "field_AclProduct": "widget"})

    assert posted.status_code == 400
    assert posted.context["form"].errors["state"] == [
        "State “closed successful” is not possible here: an ACL takes it away."
    ]
    assert stored(ticket) == []


def test_the_free_fields_screen_restricts_a_multiselect(client, support):
    product("multiselect")
    ticket = factories.ticket(support.queue)
    no_widget(possible=["gadget", "widget"], possible_not=["widget"])
    url = reverse("agent:free_fields", args=[ticket.pk])
    agent = signed_in(client, support.rw)
    page = agent.get(url)
    form = {
        "title": ticket.title,
        "type": ticket.type_id,
        "seen": page.context["form"]["seen"].value(),
    }

    posted = agent.post(url, {**form, "field_AclProduct": ["gadget", "widget"]})

    assert keys(page) == {"gadget"}
    assert posted.status_code == 400
    assert errors(posted) == [REFUSED]
    assert stored(ticket) == []


def test_bulk_and_the_new_phone_ticket_offer_only_what_the_rules_leave(client, support):
    product()
    factories.grant(support.rw, support.group, PermissionKey.CREATE)
    first = factories.ticket(support.queue)
    no_widget()
    agent = signed_in(client, support.rw)

    bulk = agent.post(
        reverse("agent:bulk"),
        {"step": "apply", "next": "/agent/", "ticket": [first.pk], "field_AclProduct": "widget"},
    )
    phone = agent.get(reverse("agent:new_phone_ticket"))

    assert bulk.status_code == 400 and errors(bulk) == [REFUSED]
    assert stored(first) == []
    assert keys(phone) == {"gadget", "gizmo"}


def test_the_customer_portal_and_a_process_dialog_restrict_field_values(support):
    product()
    queue = data.portal_queue("aclfa portal")
    wile = data.customer("aclfa_wile")
    no_widget()
    client = data.client_for(wile)
    url = reverse("customer:ticket_create")

    page = client.get(url)
    posted = client.post(
        url,
        {
            "title": "Help",
            "body": "Please.",
            "queue": queue.pk,
            "field_AclProduct": "widget",
            "faq_seen": "1",
        },
    )
    ticket = factories.ticket(support.queue)
    dialog = type("Dialog", (), {"fields": [{"name": "field:AclProduct"}]})()
    shown = DialogForm(dialog=dialog, user=support.rw, ticket=ticket)
    refused = DialogForm(
        {"field_AclProduct": "widget"}, dialog=dialog, user=support.rw, ticket=ticket
    )

    assert keys(page) == {"gadget", "gizmo"}
    assert posted.status_code == 400 and errors(posted) == [REFUSED]
    assert not Ticket.objects.filter(title="Help").exists()
    assert {k for k, _l in shown.fields["field_AclProduct"].choices if k} == {"gadget", "gizmo"}
    assert not refused.is_valid()
    assert refused.errors["field_AclProduct"] == [REFUSED]


def test_the_api_refuses_a_removed_field_value_on_create_and_update(support):
    product("multiselect")
    ticket = factories.ticket(support.queue)
    api = ApiClient(token_for(support.rw))
    no_widget(properties={"all": [{"attr": "screen", "op": "equals", "value": "api"}]})
    before = factories.snapshot()

    updated = api.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"AclProduct": ["gadget", "widget"]}}
    )
    created = api.post(
        "/api/v1/tickets/",
        {
            "title": "From API",
            "queue": support.queue.pk,
            "article": {"body": "Text"},
            "custom_fields": {"AclProduct": ["widget"]},
        },
    )

    for answer in (updated, created):
        assert answer.status_code == 409, answer.json()
        assert answer.json()["errors"] == [
            {"field": "field:AclProduct", "code": "acl_refused", "detail": REFUSED}
        ]
    assert factories.snapshot() == before
    assert stored(ticket) == []
    fine = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"AclProduct": ["gizmo"]}})
    assert fine.status_code == 200
    assert stored(ticket) == ["gizmo"]


# --- actions -------------------------------------------------------------------------------------


def test_the_zoom_hides_the_entries_of_removed_actions(client, support):
    ticket = factories.ticket(support.queue)
    url = reverse("agent:zoom", args=[ticket.pk])
    agent = signed_in(client, support.rw)
    names = {a.name for a in agent.get(url).context["ticket_actions"]}
    assert {"close", "merge", "note"} <= names
    no_actions(
        "close",
        "merge",
        "compose",
        properties={"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]},
    )

    page = agent.get(url)

    shown = {a.name for a in page.context["ticket_actions"]}
    assert shown == names - {"close", "merge"}
    replies = {a.name for row in page.context["article_rows"] for a in row.replies}
    assert "reply" not in replies and "forward" not in replies and "split" in replies
    html = page.content.decode()
    assert reverse("agent:close", args=[ticket.pk]) not in html
    assert reverse("agent:note", args=[ticket.pk]) in html


def test_the_zoom_offers_no_process_dialog_where_an_acl_takes_it_away(client, support):
    _process_demo.load(stdout=type("Out", (), {"write": lambda self, text: None})())
    process = Process.objects.get(name=_process_demo.NAME)
    form = DialogForm(
        {"title": "A change", "body": "Details."}, dialog=process.start_dialog, user=support.rw
    )
    assert form.is_valid(), form.errors
    ticket = engine.start_process(process, form, actor=support.rw)
    url = reverse("agent:zoom", args=[ticket.pk])
    agent = signed_in(client, support.rw)
    assert agent.get(url).context["process"]["dialogs"]

    no_actions("process_dialog")
    page = agent.get(url)

    assert page.context["process"]["place"].ticket_id == ticket.pk
    assert page.context["process"]["dialogs"] == []


def test_a_removed_screen_answers_a_refusal_and_writes_nothing(client, support):
    ticket = factories.ticket(support.queue)
    no_actions(
        "close", "lock", properties={"all": [{"attr": "screen", "op": "equals", "value": "close"}]}
    )
    agent = signed_in(client, support.rw)
    before = factories.snapshot()

    page = agent.get(reverse("agent:close", args=[ticket.pk]))
    posted = agent.post(reverse("agent:close", args=[ticket.pk]), {"state": 1})

    assert page.status_code == 403 and posted.status_code == 403
    assert "“Close” is not possible here: an ACL takes this action away." in page.content.decode()
    assert factories.snapshot() == before
    zoom = agent.get(reverse("agent:zoom", args=[ticket.pk]))
    # The rule tests the screen: the lock screen is "lock", so it is not refused.
    locked = agent.post(reverse("agent:lock", args=[ticket.pk]), {"seen": zoom.context["version"]})
    assert locked.status_code == 302
    # On the zoom the screen is "zoom": the rule does not match, the entry stays.
    assert "close" in {a.name for a in zoom.context["ticket_actions"]}


def test_an_outsider_still_gets_the_404_of_a_ticket_they_cannot_see(client, support):
    ticket = factories.ticket(support.queue)
    no_actions("close")

    answer = signed_in(client, support.outsider).get(reverse("agent:close", args=[ticket.pk]))

    assert answer.status_code == 404


def test_new_tickets_bulk_and_the_customer_portal_are_refused_when_taken_away(client, support):
    factories.grant(support.rw, support.group, PermissionKey.CREATE)
    ticket = factories.ticket(support.queue)
    no_actions("phone_ticket", "bulk", "customer_new_ticket")
    agent = signed_in(client, support.rw)
    wile = data.customer("aclfa_blocked")

    phone = agent.get(reverse("agent:new_phone_ticket"))
    email = agent.get(reverse("agent:new_email_ticket"))
    bulk = agent.post(
        reverse("agent:bulk"), {"next": "/agent/", "ticket": [ticket.pk]}, follow=True
    )
    portal = data.client_for(wile).get(reverse("customer:ticket_create"))

    assert phone.status_code == 403 and email.status_code == 200
    assert "“Bulk action” is not possible here" in str(next(iter(bulk.context["messages"])))
    assert portal.status_code == 403
    assert "“Customer portal: new ticket” is not possible here" in portal.content.decode()


def test_the_api_refuses_the_operations_of_removed_actions(support):
    ticket = factories.ticket(support.queue)
    other = factories.ticket(support.queue)
    api = ApiClient(token_for(support.rw))
    no_actions("close", "merge", "note")
    closed = State.objects.get(name="closed successful")
    before = factories.snapshot()

    closing = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"state": closed.pk, "title": "x"})
    merging = api.post(f"/api/v1/tickets/{ticket.pk}/merge/", {"target": other.pk})
    noting = api.post(f"/api/v1/tickets/{ticket.pk}/articles/", {"body": "Hi"})
    titled = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"title": "Renamed"})

    for answer in (closing, merging, noting):
        assert answer.status_code == 409, answer.json()
        assert answer.json()["errors"][0]["code"] == "acl_refused"
    assert closing.json()["errors"][0]["detail"] == (
        "“Close” is not possible here: an ACL takes this action away."
    )
    assert factories.snapshot()["Article"] == before["Article"]
    assert factories.snapshot()["MergeRecord"] == before["MergeRecord"]
    assert titled.status_code == 200


# --- the debugger, the editor and YAML ---------------------------------------------------------


@pytest.fixture
def root(client):
    user = User.objects.create_superuser("aclfaroot", "r@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


def test_the_debugger_shows_field_values_and_actions_each_rule_changed(root, support):
    product()
    ticket = factories.ticket(support.queue)
    no_widget()
    no_actions("merge", properties={"all": [{"attr": "screen", "op": "equals", "value": "zoom"}]})

    page = root.get(
        reverse("admin:tickets_aclrule_debug"),
        {"ticket": ticket.number, "agent": support.rw.pk, "screen": "zoom"},
    )

    report = page.context["report"]
    assert [(s["rule"].name, s["changes"]) for s in report["steps"]] == [
        ("aclfa no actions", [("Action", ["Merge"], [])]),
        ("aclfa no widget", [("Product", ["Widget"], [])]),
    ]
    products = next(row for row in report["lists"] if row["label"] == "Product")
    assert products["kept"] == ["Gadget", "Gizmo"] and products["removed"] == ["Widget"]
    assert report["actions"]["removed"] == ["Merge"]
    assert "Close" in report["actions"]["kept"]
    # The zoom shows what the debugger says.
    root.force_login(support.rw)
    zoom = root.get(reverse("agent:zoom", args=[ticket.pk]))
    labels = {a.label for a in zoom.context["ticket_actions"]}
    assert "Merge" not in labels and "Close" in labels
    html = page.content.decode()
    assert 'id="acl-actions"' in html and "Widget" in html


def test_field_values_and_actions_go_out_and_back_in_as_yaml(support):
    product()
    no_widget(possible=["gadget", "widget"], possible_not=["widget"])
    no_actions("close", "compose")
    before = {r.name: r.changes for r in AclRule.objects.all()}
    text = portable.export_acls(AclRule.objects.order_by("name"))
    assert "field:AclProduct:" in text and "- compose" in text
    AclRule.objects.all().delete()

    portable.import_acls(text)

    assert {r.name: r.changes for r in AclRule.objects.all()} == before


def test_bad_field_names_values_and_actions_are_refused_naming_them(root, support):
    product()
    product("text", name="AclNotes")
    text = """format: 1
acls:
- name: aclfa bad
  properties: ''
  changes:
    field:AclNoSuch: {possible: [x]}
    field:AclNotes: {possible: [x]}
    field:AclProduct: {possible_not: [sprocket], possible: gadget}
    action: {possible_not: [close, fly]}
"""
    with pytest.raises(ValidationError) as refused:
        portable.import_acls(text)
    add = reverse("admin:tickets_aclrule_add")
    editor = root.post(
        add,
        {
            "name": "aclfa editor",
            "description": "",
            "valid": "on",
            "properties": "",
            "changes_text": "field:AclProduct: {possible: [sprocket]}\naction: {possible: [fly]}\n",
        },
    )
    upload = root.post(
        reverse("admin:tickets_aclrule_import"),
        {"file": SimpleUploadedFile("acls.yaml", text.encode())},
    )

    assert refused.value.messages == [
        "ACL aclfa bad: changes: field:AclNoSuch: there is no valid ticket custom field of "
        "this name.",
        "ACL aclfa bad: changes: field:AclNotes: an ACL restricts the values of dropdown and "
        "multiselect fields only.",
        "ACL aclfa bad: changes: field:AclProduct.possible_not: “sprocket” is not among the "
        "possible values.",
        "ACL aclfa bad: changes: field:AclProduct.possible: enter a list of names.",
        "ACL aclfa bad: changes: action.possible_not: “fly” is not among the possible values.",
    ]
    assert editor.status_code == 200
    assert editor.context["adminform"].form.errors["changes_text"] == [
        "field:AclProduct.possible: “sprocket” is not among the possible values.",
        "action.possible: “fly” is not among the possible values.",
    ]
    assert upload.status_code == 400
    assert upload.context["problems"] == refused.value.messages
    assert not AclRule.objects.exists()


def test_without_rules_on_actions_nothing_is_evaluated(support, django_assert_num_queries):
    ticket = factories.ticket(support.queue)
    AclRule.objects.create(name="aclfa values only", changes={"state": {"possible": []}})
    acl.active_rules()  # cached

    with django_assert_num_queries(0):
        assert acl.allowed_actions(user=support.rw, screen="zoom", tickets=[ticket]) == set(
            acl.ACTION_NAMES
        )

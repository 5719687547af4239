"""The ACL debugger page (its answer is the screens' answer) and the YAML export and import of
ACLs and GenericAgent jobs (admin pages and commands; all or nothing, errors naming the
entry and part), on the one import template every admin import uses."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.translation import gettext

from otrs.accounts.models import User, UserKind
from otrs.permissions import PermissionKey
from tests import factories
from tests.customer_portal import ticket_data as data
from tickets.automation import acl, acl_admin, portable
from tickets.automation.actions import save_job
from tickets.forms.changes import CloseForm
from tickets.models import AclRule, GenericAgentJob, State
from tickets.views.changes import SCREENS

pytestmark = pytest.mark.django_db

DEBUG = reverse("admin:tickets_aclrule_debug")


@pytest.fixture
def root(client):
    user = User.objects.create_superuser(
        "aclroot", "aclroot@example.test", "pw", kind=UserKind.AGENT
    )
    client.force_login(user)
    return client


def state_ids(*names: str) -> list[int]:
    return [State.objects.get(name=n).pk for n in names]


def rules(support) -> None:
    AclRule.objects.create(
        name="acladmin 1 no closing in support",
        properties={"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]},
        changes={"state": {"possible_not": state_ids("closed successful")}},
    )
    AclRule.objects.create(
        name="acladmin 2 other screens",
        properties={"all": [{"attr": "screen", "op": "equals", "value": "move"}]},
        changes={"state": {"possible": []}},
    )


def test_the_debugger_shows_matches_and_the_lists_the_screen_offers(root, support):
    ticket = factories.ticket(support.queue)
    rules(support)

    page = root.get(DEBUG, {"ticket": ticket.number, "agent": support.rw.pk, "screen": "close"})

    assert page.status_code == 200
    report = page.context["report"]
    assert [(s["rule"].name, s["matched"], s["changes"]) for s in report["steps"]] == [
        ("acladmin 1 no closing in support", True, [("State", ["closed successful"], [])]),
        ("acladmin 2 other screens", False, []),
    ]
    states = next(row for row in report["lists"] if row["label"] == "State")
    assert states["removed"] == ["closed successful"]
    # What the close screen offers is the debugger's list, cut to the closed states.
    form = CloseForm(ticket=ticket, user=support.rw)
    acl.restrict_form(form, user=support.rw, screen="close", tickets=[ticket])
    offered = set(form.fields["state"].queryset.values_list("name", flat=True))
    closed = set(State.objects.filter(state_type="closed").values_list("name", flat=True))
    assert offered == set(states["kept"]) & closed
    text = page.content.decode()
    assert "acladmin 1 no closing in support" in text and "Did not match." in text


def test_the_debugger_takes_a_customer_user_and_a_new_ticket(root, support):
    wile = data.customer("acladmin_wile")
    AclRule.objects.create(
        name="acladmin customers",
        properties={"all": [{"attr": "customer_user", "op": "equals", "value": "acladmin_wile"}]},
        changes={"queue": {"possible": [support.queue.pk]}},
    )

    page = root.get(DEBUG, {"customer": wile.username, "screen": "customer_new_ticket"})

    queues = next(row for row in page.context["report"]["lists"] if row["label"] == "Queue")
    assert queues["kept"] == ["Support"]


def test_the_debugger_names_bad_input_and_is_for_admins_only(root, client, support):
    bad = root.get(DEBUG, {"ticket": "999999", "customer": "nobody", "screen": "close"})
    neither = root.get(DEBUG, {"screen": "close"})

    assert bad.status_code == 400
    assert bad.context["form"].errors == {
        "ticket": ["There is no ticket “999999”."],
        "customer": ["There is no customer user “nobody”."],
    }
    assert neither.status_code == 400
    assert neither.context["form"].non_field_errors() == [
        "Choose an agent or a customer user (one of them)."
    ]
    client.force_login(support.rw)
    assert client.get(DEBUG).status_code == 302  # to the admin's sign-in, like every admin page


def test_acls_go_out_and_back_in_as_yaml_with_names(root, support):
    rules(support)
    exported = root.post(
        reverse("admin:tickets_aclrule_changelist"),
        {
            "action": "export_yaml",
            "_selected_action": list(AclRule.objects.values_list("pk", flat=True)),
        },
    )
    text = exported.content.decode()
    assert exported["Content-Type"] == "application/yaml"
    assert "queue = Support" in text and "- closed successful" in text
    before = {r.name: (r.properties, r.changes) for r in AclRule.objects.all()}
    AclRule.objects.all().delete()

    page = root.post(
        reverse("admin:tickets_aclrule_import"),
        {"file": SimpleUploadedFile("acls.yaml", text.encode())},
    )

    assert page.status_code == 302
    assert {r.name: (r.properties, r.changes) for r in AclRule.objects.all()} == before


def test_a_refused_acl_import_names_each_part_and_writes_nothing(root, support):
    text = """format: 1
acls:
- name: acladmin good
  properties: queue = Support
  changes: {state: {possible_not: [closed successful]}}
- name: acladmin bad
  properties: colour = red
- name: acladmin bad values
  changes: {state: {possible: [no such state]}, planet: {}}
"""
    page = root.post(
        reverse("admin:tickets_aclrule_import"),
        {"file": SimpleUploadedFile("acls.yaml", text.encode())},
    )

    assert page.status_code == 400
    assert page.templates[0].name == "admin/yaml_import.html"
    assert page.context["problems"] == [
        "ACL acladmin bad: properties: Line 1 (colour = red): There is no attribute “colour”.",
        "ACL acladmin bad values: state.possible: “no such state” does not exist.",
        "ACL acladmin bad values: changes: planet: no ACL can restrict this field.",
    ]
    assert not AclRule.objects.exists()


def test_jobs_go_out_and_back_in_and_a_deleting_job_comes_in_off(support):
    save_job(
        GenericAgentJob(
            name="acladmin close old",
            valid=True,
            selection={"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]},
            schedule="0 6 * * *",
            run_as=support.rw,
            changes={"state": State.objects.get(name="closed successful").pk, "delete": True},
        )
    )
    out = StringIO()
    call_command("genericagent_jobs", "export", stdout=out)
    text = out.getvalue()
    assert "selection: queue = Support" in text and "state: closed successful" in text
    assert "run_as: rw_agent" in text
    GenericAgentJob.objects.all().delete()

    imported = portable.import_jobs(text)

    job = GenericAgentJob.objects.get()
    assert [j.pk for j in imported] == [job.pk]
    assert (job.schedule, job.run_as, job.valid) == ("0 6 * * *", support.rw, False)
    assert job.changes == {"state": State.objects.get(name="closed successful").pk, "delete": True}


def test_the_commands_refuse_a_bad_file_naming_the_parts(tmp_path, support):
    bad = tmp_path / "jobs.yaml"
    bad.write_text(
        "generic_agent_jobs:\n- name: acladmin bad\n  schedule: '61 * * * *'\n"
        "  run_as: nobody\n  changes: {queue: Nowhere}\n",
        encoding="utf-8",
    )
    acls = tmp_path / "acls.yaml"
    acls.write_text("acls: {}\n", encoding="utf-8")

    with pytest.raises(CommandError) as job_error:
        call_command("genericagent_jobs", "import", str(bad))
    with pytest.raises(CommandError) as acl_error:
        call_command("acls", "import", str(acls))

    assert "run_as: there is no agent “nobody”" in str(job_error.value)
    assert "queue “Nowhere” does not exist" in str(job_error.value)
    assert "The YAML has no list “acls”." in str(acl_error.value)
    assert not GenericAgentJob.objects.exists()
    out = StringIO()
    call_command("acls", "export", stdout=out)
    assert out.getvalue() == "format: 1\nacls: []\n"


def test_every_yaml_import_page_uses_the_one_template(root):
    for name in (
        "admin:tickets_aclrule_import",
        "admin:tickets_genericagentjob_import",
        "admin:tickets_process_import",
        "admin:fields_fielddefinition_import",
    ):
        page = root.get(reverse(name))
        assert page.status_code == 200, name
        assert page.templates[0].name == "admin/yaml_import.html", name


def _shown(field: str, ids) -> set[str]:
    """Option names as the debugger shows them (state, priority, type names translated)."""
    names = acl.option_names(field, ids).values()
    return {gettext(n) if field in acl_admin.TRANSLATED else n for n in names}


@pytest.mark.parametrize(
    ("screen", "form_field", "acl_field"),
    [
        ("close", "state", "state"),
        ("pending", "state", "state"),
        ("move", "queue", "queue"),
        ("owner", "owner", "owner"),
        ("priority", "priority", "priority"),
        ("responsible_change", "responsible", "responsible"),
    ],
)
def test_the_debugger_and_each_screen_agree(root, support, screen, form_field, acl_field):
    """A matrix: rules on every field (one matching this agent, one for another screen, one
    adding back and taking away on the ticket's queue, one taking the screen's first
    option); what each screen offers is the debugger's list cut to what the screen offers
    at all."""
    factories.grant(support.rw, support.group, PermissionKey.MOVE_INTO, PermissionKey.OWNER)
    other = factories.queue("acladmin matrix", group_=support.group)
    ticket = factories.ticket(other)
    for field, ids in acl.default_options().items():
        AclRule.objects.create(
            name=f"acladmin m1 {field}",
            properties={"all": [{"attr": "agent", "op": "equals", "value": support.rw.pk}]},
            changes={field: {"possible": ids[::2]}},
        )
        AclRule.objects.create(
            name=f"acladmin m2 {field}",
            properties={"all": [{"attr": "screen", "op": "equals", "value": "nowhere"}]},
            changes={field: {"possible": []}},
        )
        AclRule.objects.create(
            name=f"acladmin m3 {field}",
            properties={"all": [{"attr": "queue", "op": "equals", "value": other.pk}]},
            changes={field: {"possible_add": ids[1:2], "possible_not": ids[2:3]}},
        )
    form_class = SCREENS[screen][1].form_class
    base = form_class(ticket=ticket, user=support.rw).fields[form_field].queryset
    AclRule.objects.create(
        name=f"acladmin m4 {acl_field}",
        properties={"all": [{"attr": "screen", "op": "equals", "value": screen}]},
        changes={acl_field: {"possible_not": [base.first().pk]}},
    )
    page = root.get(DEBUG, {"ticket": ticket.number, "agent": support.rw.pk, "screen": screen})
    label = acl.FIELD_LABELS[acl_field]
    kept = next(set(r["kept"]) for r in page.context["report"]["lists"] if r["label"] == label)

    form = form_class(ticket=ticket, user=support.rw)
    acl.restrict_form(form, user=support.rw, screen=screen, tickets=[ticket])
    offered = form.fields[form_field].queryset.values_list("pk", flat=True)

    everything = _shown(acl_field, base.values_list("pk", flat=True))
    assert _shown(acl_field, offered) == kept & everything
    assert kept & everything != everything  # the rules did take something away here


def test_the_editor_takes_changes_as_yaml_with_names_and_names_bad_parts(root, support):
    add = reverse("admin:tickets_aclrule_add")
    form = {
        "name": "acladmin editor",
        "description": "",
        "valid": "on",
        "properties": "queue = Support",
        "changes_text": (
            "state:\n  possible_not: [closed successful]\nowner: {possible: [rw_agent]}\n"
        ),
    }

    saved = root.post(add, form)
    refused = root.post(
        add,
        {
            **form,
            "name": "acladmin editor 2",
            "changes_text": "state: {possible: [no such state]}\nplanet: {}\n",
        },
    )
    not_yaml = root.post(add, {**form, "name": "acladmin editor 3", "changes_text": "a: [b"})

    assert saved.status_code == 302
    rule = AclRule.objects.get()
    assert rule.changes == {
        "state": {"possible_not": state_ids("closed successful")},
        "owner": {"possible": [support.rw.pk]},
    }
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["changes_text"] == [
        "state.possible: “no such state” does not exist."
    ]
    assert (
        not_yaml.context["adminform"].form.errors["changes_text"][0].startswith("This is no YAML:")
    )
    edit = root.get(reverse("admin:tickets_aclrule_change", args=[rule.pk]))
    assert "possible_not:\n  - closed successful" in edit.content.decode()
    assert AclRule.objects.count() == 1

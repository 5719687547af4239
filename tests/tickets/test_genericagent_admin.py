"""The GenericAgent admin pages: the job form (dry run before saving, errors by part, the
delete confirmation), the run trace, and the link from a ticket's history to it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from tests import factories
from tickets.automation.actions import save_job
from tickets.automation.engine import run_job
from tickets.models import GenericAgentJob, GenericAgentRun, Priority, RunTrigger, Ticket

pytestmark = pytest.mark.django_db

ADD = "admin:tickets_genericagentjob_add"


@pytest.fixture
def admin_client_(client):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


def form_data(**overrides):
    data = {
        "name": "Raise priority",
        "description": "",
        "run_limit": "4000",
        "run_as": "",
        "selection": "queue = Support\ntitle contains printer",
        "schedule": "",
        "event_filter_text": "",
        "new_priority": str(Priority.objects.get(level=5).pk),
        "pending_unit": "days",
        "new_lock": "",
    }
    data.update(overrides)
    return data


def test_the_dry_run_shows_tickets_and_changes_and_saves_nothing(admin_client_, support):
    printer = factories.ticket(support.queue, title="Printer on fire")
    factories.ticket(support.queue, title="VPN down")

    response = admin_client_.post(reverse(ADD), form_data(_dryrun="1"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 tickets match now: 1 would change, 0 have nothing to change." in page
    assert printer.number in page and "3 normal" in page and "5 very high" in page
    assert not GenericAgentJob.objects.exists()
    printer.refresh_from_db()
    assert printer.priority.level == 3


def test_saving_stores_the_selection_and_changes_as_data(admin_client_, support):
    response = admin_client_.post(reverse(ADD), form_data(events=["TicketCreate"]))

    assert response.status_code == 302
    job = GenericAgentJob.objects.get()
    assert job.selection == {
        "all": [
            {"attr": "queue", "op": "equals", "value": support.queue.pk},
            {"attr": "title", "op": "contains", "value": "printer"},
        ]
    }
    assert job.changes == {"priority": Priority.objects.get(level=5).pk}
    assert job.events == ["TicketCreate"]
    page = admin_client_.get(reverse("admin:tickets_genericagentjob_change", args=[job.pk]))
    assert "queue = Support\ntitle contains printer" in page.content.decode()


def test_bad_input_is_refused_with_the_part_named(admin_client_, support):
    response = admin_client_.post(
        reverse(ADD),
        form_data(
            selection="queue = Nowhere\nshape = round",
            schedule="0 0 31 2 *",
            pending_amount="2",
            field_changes="Nope = 1",
        ),
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["selection"] == [
        "Line 1 (queue = Nowhere): “Nowhere” does not exist.",
        "Line 2 (shape = round): There is no attribute “shape”.",
    ]
    assert form.errors["schedule"] == ["The schedule “0 0 31 2 *” never fires."]
    assert "field:Nope: there is no such custom field." in form.non_field_errors()
    assert not GenericAgentJob.objects.exists()


def test_deleting_tickets_needs_the_job_name_typed(admin_client_, support):
    response = admin_client_.post(reverse(ADD), form_data(delete="on", delete_confirm="yes"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["delete_confirm"] == [
        "Type the job's name exactly to confirm deleting tickets."
    ]

    response = admin_client_.post(
        reverse(ADD), form_data(delete="on", delete_confirm="Raise priority")
    )
    assert response.status_code == 302
    assert GenericAgentJob.objects.get().changes["delete"] is True


def test_the_trace_is_shown_and_the_ticket_history_links_to_it(admin_client_, support):
    ticket = factories.ticket(support.queue, title="Printer on fire")
    job = save_job(
        GenericAgentJob(
            name="Raise",
            selection={"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]},
            changes={"priority": Priority.objects.get(level=5).pk},
        )
    )
    run = run_job(job, trigger=RunTrigger.MANUAL)
    factories.grant(User.objects.get(username="root"), support.group, factories.RO)
    url = reverse("admin:tickets_genericagentrun_change", args=[run.pk])

    trace = admin_client_.get(url).content.decode()
    assert ticket.number in trace and "Priority: 3 normal → 5 very high" in trace

    zoom = admin_client_.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert f'href="{url}"' in zoom
    assert f"by GenericAgent job “Raise” (run #{run.pk})" in zoom


def test_the_admin_actions_dry_run_and_run_selected_jobs(admin_client_, support):
    ticket = factories.ticket(support.queue)
    job = save_job(
        GenericAgentJob(
            name="Raise",
            selection={"all": [{"attr": "queue", "op": "equals", "value": support.queue.pk}]},
            changes={"priority": Priority.objects.get(level=5).pk},
        )
    )
    listing = reverse("admin:tickets_genericagentjob_changelist")

    dry = admin_client_.post(listing, {"action": "dry_run_selected", "_selected_action": [job.pk]})
    assert dry.status_code == 200 and ticket.number in dry.content.decode()
    assert not GenericAgentRun.objects.exists()

    done = admin_client_.post(
        listing, {"action": "run_selected", "_selected_action": [job.pk]}, follow=True
    )
    assert "Raise: done; 1 matched, 1 changed, 0 skipped, 0 failed." in done.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).priority.level == 5


def test_agents_without_staff_rights_do_not_reach_the_pages(client, support):
    client.force_login(support.rw)
    response = client.get(reverse(ADD))
    assert response.status_code in (302, 404)

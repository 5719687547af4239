"""The GenericAgent admin screens in a real browser with JavaScript off: a job is written,
tried with "Dry run" (nothing saved), saved and run; its trace is opened and linked from the
ticket's history. Screenshots in light and dark, English and German, 375 and 1400 px:
test-artifacts/genericagent-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import pytest

from tests import factories
from tests.missing import import_or_missing
from tickets.models import GenericAgentJob, GenericAgentRun, Priority

from .conftest import new_context, shoot_widths, submit
from .test_agent_portal import sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize(("scheme", "language"), [("light", "en"), ("dark", "de")])
def test_a_job_is_tried_saved_and_run_without_javascript(
    browser, live_server, support, scheme, language
):
    printer = factories.ticket(support.queue, title="Printer on fire")
    factories.ticket(support.queue, title="VPN down")
    agent = support.rw
    agent.language = "" if language == "en" else language
    agent.is_staff = agent.is_superuser = True
    agent.save()
    german = language == "de"

    context = new_context(browser, live_server, js=False, scheme=scheme)
    page = context.new_page()

    def shoot(name: str) -> None:
        shoot_widths(page, f"genericagent-{name}-{scheme}-{language}")

    try:
        sign_in(page, agent.username)
        page.goto("/admin/tickets/genericagentjob/add/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.locator("#id_name").fill("Raise printer tickets")
        page.locator("#id_selection").fill("queue = Support\ntitle contains printer")
        page.locator("#id_new_priority").select_option(
            label="5 sehr hoch" if german else "5 very high"
        )
        page.locator("#id_note_body").fill("Raised by the job.")
        shoot("job-form")

        page.locator("input[name=_dryrun]").click()
        summary = (
            "1 Tickets passen jetzt: 1 würden geändert"
            if german
            else "1 tickets match now: 1 would change"
        )
        expect(page.get_by_text(summary)).to_be_visible()
        expect(page.get_by_role("link", name=printer.number)).to_be_visible()
        assert not GenericAgentJob.objects.exists()
        shoot("dry-run")

        page.go_back()
        submit(page.locator("input[name=_save]"))
        job = GenericAgentJob.objects.get()
        assert job.changes["priority"] == Priority.objects.get(level=5).pk

        page.goto("/admin/tickets/genericagentjob/")
        page.locator(f"input[name=_selected_action][value='{job.pk}']").check()
        page.locator("select[name=action]").select_option("run_selected")
        submit(page.locator("button[name=index]"))
        run = GenericAgentRun.objects.get()
        assert (run.matched, run.changed) == (1, 1)
        shoot("job-list")

        page.goto(f"/admin/tickets/genericagentrun/{run.pk}/change/")
        expect(page.get_by_text(printer.number)).to_be_visible()
        shoot("run-trace")

        page.goto(f"/agent/tickets/{printer.pk}/")
        # In the history (a closed <details> without JavaScript): each row the run wrote (the
        # note and the priority) links to the trace.
        trace = page.locator(f'a[href="/admin/tickets/genericagentrun/{run.pk}/change/"]')
        expect(trace).to_have_count(2)
    finally:
        context.close()

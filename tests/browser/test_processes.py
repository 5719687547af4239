"""A process ticket walked in a real browser with JavaScript off: the agent starts the demo's
change request, fills the start dialog, decides in the "Decide" dialog, and the transition
fires (the zoom shows the new activity and the trace). Screenshots of the start dialog, the
decision dialog and the zoom in light and dark, English and German, 375 and 1400 px:
test-artifacts/process-<screen>-<scheme>-<lang>-<width>.png."""

from __future__ import annotations

import pytest

from tests.missing import import_or_missing
from tickets.management.commands import _process_demo
from tickets.models import Process, TicketProcess

from .conftest import TIMEOUT_MS, WIDTHS, shoot_widths
from .test_agent_portal import sign_in

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_process_ticket_is_started_and_moves_on_without_javascript(browser, live_server, support):
    _process_demo.load(stdout=type("Out", (), {"write": lambda self, text: None})())
    process = Process.objects.get(name=_process_demo.NAME)
    agent = support.rw
    context = browser.new_context(
        viewport={"width": WIDTHS[-1], "height": 900},
        locale="en-US",
        base_url=live_server.url,
        java_script_enabled=False,
    )
    context.set_default_timeout(TIMEOUT_MS)
    # Page loads on a machine shared by several test runs can take longer than a lookup.
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)
    page = context.new_page()
    shots: list[tuple[str, str]] = []

    def shoot(name: str, scheme: str = "light", language: str = "en") -> None:
        page.emulate_media(color_scheme=scheme)
        shoot_widths(page, f"process-{name}-{scheme}-{language}")
        shots.append((name, page.url))

    try:
        sign_in(page, agent.username)
        main = page.get_by_role("navigation", name="Main")
        main.get_by_text("New ticket", exact=True).click()  # a <details>: no JavaScript
        main.get_by_role("link", name="New process ticket").click()
        page.get_by_role("link", name=process.name).click()
        page.get_by_label("Title").fill("Upgrade the mail server")
        page.get_by_label("Text").fill("To version 9, on Friday evening.")
        shoot("start")
        page.get_by_role("button", name="Request approval").click()

        expect(page.locator(".zoom-process .process-activity")).to_have_text("Awaiting approval")
        page.get_by_role("link", name="Decide").click()
        page.get_by_label("Change approval").select_option(label="approved")
        page.get_by_label("Text").fill("Approved by the change board.")
        shoot("decide")
        page.get_by_role("button", name="Record the decision").click()

        expect(page.locator(".zoom-process .process-activity")).to_have_text("Implementation")
        page.locator(".process-trace summary").click()
        expect(page.get_by_text("Transition “Approved” fired (to Implementation)")).to_be_visible()
        assert TicketProcess.objects.get().activity.name == "Implementation"
        shoot("zoom")
        page.get_by_role("link", name="Report implementation").click()
        shoot("report")
        page.goto(page.url.split("/process/")[0] + "/")

        # The same screens in dark and in German.
        agent.language = "de"
        agent.save(update_fields=["language"])
        start_url, zoom_url = dict(shots)["start"], dict(shots)["zoom"]
        page.goto(start_url)
        shoot("start", "dark", "de")
        page.goto(zoom_url)
        page.locator(".process-trace summary").click()
        shoot("zoom", "dark", "de")
        page.get_by_role("link", name="Report implementation").click()
        shoot("report", "dark", "de")
    finally:
        context.close()

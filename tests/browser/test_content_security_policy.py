"""The Content-Security-Policy leaves every page working: the browser reports no refused
script or style (the ``page`` fixture fails on any) on the pages with the most moving parts,
the Django admin's change form (its JavaScript widgets) and the agent's zoom with an HTML
mail in its sandboxed frame."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tickets import actions
from tickets.choices import Channel, SenderType
from tickets.models import Queue

from .conftest import submit

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def sign_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "x")
    submit(page.locator("form [type=submit]").first)


def test_the_admin_works_under_the_policy(page, js_mode, support):
    factories.agent("root", is_staff=True, is_superuser=True)
    sign_in(page, reverse("admin:login"), "root")
    page.goto(reverse("admin:tickets_queue_change", args=[support.queue.pk]))

    assert page.locator("input[name=name]").input_value() == "Support"
    page.fill("input[name=name]", "Support desk")
    submit(page.locator("input[name=_save]"))
    assert Queue.objects.get(pk=support.queue.pk).name == "Support desk"
    if js_mode == "js":
        # The admin's own scripts ran (its select filters and date shortcuts are built by
        # JavaScript from static files).
        page.goto(reverse("admin:accounts_user_add"))
        assert page.evaluate("typeof django !== 'undefined'")
        # django-celery-beat's form, whose inline script we serve as a file.
        page.goto(reverse("admin:django_celery_beat_periodictask_add"))
        translation = page.locator(".field-crontab_translation")
        assert translation.count() == 1 and translation.is_hidden()


def test_the_zoom_and_its_mail_frame_work_under_the_policy(page, support):
    ticket = factories.ticket(support.queue)
    actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            subject="HTML mail",
            body="plain",
            body_html="<p><b>Bold</b> words</p>",
        ),
        actor=factories.system(),
    )
    sign_in(page, reverse("agent:login"), "rw_agent")
    response = page.goto(reverse("agent:zoom", args=[ticket.pk]))

    assert "script-src 'self'" in response.headers["content-security-policy"]
    frame = page.frame_locator("iframe.html-body")
    assert frame.locator("b").inner_text() == "Bold"

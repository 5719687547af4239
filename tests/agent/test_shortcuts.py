"""Keyboard shortcuts: the help page (and "?" overlay source), and keys chosen per agent."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def agent(client, db):
    user = factories.agent("keys")
    client.force_login(user)
    return user


def test_the_menu_and_the_help_show_the_default_keys(client, agent):
    page = client.get("/agent/shortcuts/").content.decode()
    assert 'id="shortcut-help"' in page
    assert '<div data-shortcut-entry="queues"><dt><kbd>g</kbd> <kbd>q</kbd></dt>' in page
    assert "<kbd>?</kbd>" in page and "<kbd>/</kbd>" in page
    assert 'data-nav="queues" data-nav-shortcut="q"' in page
    assert 'href="/agent/shortcuts/" data-shortcut-help aria-keyshortcuts="?"' in page


def test_an_agent_chooses_other_keys_and_switches_one_off(client, agent):
    response = client.post(
        "/agent/preferences/",
        {"rows_per_page": 25, "theme": "auto", "shortcut_queues": "k", "shortcut_locked": ""},
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.shortcuts == {"nav:queues": "k", "nav:locked": ""}
    page = client.get("/agent/shortcuts/").content.decode()
    assert 'data-nav="queues" data-nav-shortcut="k"' in page
    assert '<div data-shortcut-entry="queues"><dt><kbd>g</kbd> <kbd>k</kbd></dt>' in page
    assert 'data-shortcut-entry="locked"' not in page
    assert 'data-nav="locked" aria' not in page  # no data-nav-shortcut on that link
    assert 'data-nav="locked" data-nav-shortcut' not in page
    # Back to the default: nothing stored for it.
    client.post(
        "/agent/preferences/", {"rows_per_page": 25, "theme": "auto", "shortcut_queues": "q"}
    )
    agent.refresh_from_db()
    assert agent.shortcuts == {"nav:locked": ""}


def test_a_key_twice_or_a_reserved_key_is_refused(client, agent):
    response = client.post(
        "/agent/preferences/",
        {"rows_per_page": 25, "theme": "auto", "shortcut_queues": "w", "shortcut_watched": "w"},
    )
    assert response.status_code == 200
    assert "is already the key of" in response.content.decode()
    # The key one already has by default counts too.
    response = client.post(
        "/agent/preferences/", {"rows_per_page": 25, "theme": "auto", "shortcut_queues": "w"}
    )
    assert "is already the key of" in response.content.decode()
    for reserved in ("g", "/", "?", "Q", "ab"):
        response = client.post(
            "/agent/preferences/",
            {"rows_per_page": 25, "theme": "auto", "shortcut_queues": reserved},
        )
        assert response.status_code == 200, reserved
    agent.refresh_from_db()
    assert agent.shortcuts == {}


def test_a_form_without_the_fields_keeps_the_keys(client, agent):
    agent.shortcuts = {"nav:queues": "k"}
    agent.save()
    client.post("/agent/preferences/", {"rows_per_page": 50, "theme": "auto"})
    agent.refresh_from_db()
    assert (agent.rows_per_page, agent.shortcuts) == (50, {"nav:queues": "k"})

"""Why a mail account's last fetch failed is stored as a code with its figures and shown in
the reader's language (issue 10): the fetch stores no sentence, the admin pages render it,
and the migration turns the sentences stored before (English or German) into codes (that one
in tests/test_data_migrations.py)."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse
from django.utils import translation

from otrs.mail.fetching import fetch_account
from otrs.mail.models import FETCH_ERROR_TEXTS, MailAccount, Protocol, fetch_error_text


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends


@pytest.mark.django_db
def test_errors_a_failed_fetch_is_stored_as_a_code_and_shown_in_the_readers_language(
    admin_client,
):
    port = closed_port()
    account = MailAccount.objects.create(
        name="errors closed port",
        protocol=Protocol.IMAP,
        host="127.0.0.1",
        port=port,
        login="nobody",
        password="errors-Secr3t",
    )
    with translation.override("de"):  # the worker's language must not matter
        result = fetch_account(account)
    assert not result.ok and result.error_code == "refused"

    account.refresh_from_db()
    assert account.last_error_code == "refused"
    assert account.last_error_params == {"server": f"127.0.0.1:{port}"}
    assert account.last_error == ""
    with translation.override("en"):
        assert account.last_error_text == (
            f"127.0.0.1:{port} refused the connection (are the host and port right?)."
        )
    with translation.override("de"):
        assert account.last_error_text == (
            f"127.0.0.1:{port} hat die Verbindung abgelehnt (stimmen Host und Port?)."
        )
    page = admin_client.get(reverse("admin:mail_mailaccount_change", args=[account.pk]))
    assert "refused the connection (are the host and port right?)" in page.text
    health = admin_client.get(reverse("admin:mail_health"))
    assert "refused the connection (are the host and port right?)" in health.text
    assert "errors-Secr3t" not in page.text + health.text


def test_errors_every_code_has_a_sentence_in_german_too():
    for code, text in FETCH_ERROR_TEXTS.items():
        english = str(text)
        with translation.override("de"):
            assert str(text) != english, code
    # Figures that do not fit the sentence still give a sentence, never an exception.
    assert fetch_error_text("refused", {}) == "refused"
    assert fetch_error_text("no such code", {}) == ""

"""Mail about a customer's account (password reset, registration), in the reader's language.

Queued as system mail (:func:`otrs.mail.outbound.queue_system_mail`) in the persistent
outgoing queue, which sends after the commit.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from otrs.mail.outbound import queue_system_mail


def reader_language(user=None, default: str = "") -> str:
    """The user's chosen language if they chose one, else ``default``, else the language of
    this request."""
    chosen = getattr(user, "language", "") or ""
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return default or translation.get_language() or settings.LANGUAGE_CODE


def send_account_mail(template: str, context: dict, *, to: str, language: str) -> None:
    """Render ``customer_portal/mail/<template>_subject.txt`` and ``<template>.txt`` in
    ``language`` and send them to ``to``."""
    with translation.override(language):
        context = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"customer_portal/mail/{template}_subject.txt", context)
        body = render_to_string(f"customer_portal/mail/{template}.txt", context)
    queue_system_mail(to=to, subject=subject, body=body)

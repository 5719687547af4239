"""A Django email backend that puts mail into the persistent outgoing queue.

Everything the project sends through Django's mail API (``send_mail``, ``EmailMessage.send``:
password reset and registration mails of the customer portal, for example) takes the same
road as ticket mail: :func:`otrs.mail.outbound.enqueue` stores it in the caller's transaction
and the daemon sends it after the commit, retrying with back-off. So a rolled-back request
sends nothing, and a mail server that is down delays a mail instead of losing it or failing
the request. Enable it with ``EMAIL_BACKEND = "otrs.mail.backend.QueueBackend"``.
"""

from __future__ import annotations

import copy
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP

from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from .models import OutboundKind
from .outbound import LOOP_HEADERS, addresses_of, enqueue, new_message_id


class QueueBackend(BaseEmailBackend):
    """Queues each message as ``OutboundKind.SYSTEM``; "sent" means "safely queued"."""

    def send_messages(self, email_messages) -> int:
        queued = 0
        for message in email_messages or ():
            recipients = message.recipients()
            if not recipients:
                continue
            try:
                with transaction.atomic():
                    enqueue(
                        _as_email_message(message),
                        kind=OutboundKind.SYSTEM,
                        recipients=recipients,
                        envelope_from=(addresses_of(message.from_email) or [""])[0],
                    )
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            queued += 1
        return queued


def _as_email_message(message) -> EmailMessage:
    """The finished MIME message of a Django ``EmailMessage``, as the queue stores it.

    Our own Message-ID (Django's asks the resolver for this host's name, which can be slow
    and is not the mail domain) and the loop headers every automatic mail of ours carries,
    unless the sender set them. The caller's message object is left as it was.
    """
    message = copy.copy(message)
    present = {name.lower() for name in message.extra_headers}
    extra = {"Message-ID": new_message_id(), **LOOP_HEADERS}
    message.extra_headers = {
        **{name: value for name, value in extra.items() if name.lower() not in present},
        **message.extra_headers,
    }
    return message_from_bytes(message.message().as_bytes(), policy=SMTP)

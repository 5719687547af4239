"""loaddemo's webhook: one example hook, switched off (its address is made up), to copy from."""

from __future__ import annotations

from otrs.accounts.models import User

from . import registry
from .models import Webhook

NAME = "Team chat (example)"
WANTED = ("TicketCreate", "TicketStateUpdate", "ArticleCreate")


def load(stdout) -> None:
    if Webhook.objects.filter(name=NAME).exists():
        return
    offered = {name for source in registry.sources() for name in source.event_names}
    hook = Webhook(
        name=NAME,
        url="https://chat.example.com/hooks/helpdesk",
        active=False,
        events=sorted(set(WANTED) & offered),
        created_by=User.objects.filter(username="admin").first(),
        disabled_reason="An example: enter your chat's webhook address, then switch it on.",
    )
    hook.full_clean()
    hook.save()
    stdout.write(f"Webhook (off): {NAME}")

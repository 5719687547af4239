"""The answering part of ``loaddemo``: text modules, an ACL, a kept draft and a mention.

Each piece is created only if missing (an administrator's edits stay), so a second run
changes nothing.
"""

from __future__ import annotations

from django.db.models import Q

from otrs.accounts.models import User
from tickets import access, actions
from tickets.actions import ArticleInput
from tickets.automation import portable
from tickets.choices import StateType
from tickets.models import AclRule, Draft, DraftScreen, Mention, Queue, TextModule, Ticket

# (name, keyword, text, queues: empty = every queue)
TEXT_MODULES = [
    (
        "Thanks for waiting",
        "thanks",
        "Thank you for your patience while we looked into this.",
        [],
    ),
    (
        "Restart first",
        "restart",
        "Please restart the device once and tell us whether the problem is still there. "
        "If it is, a photo of any error message helps us a lot.",
        ["Support::Hardware"],
    ),
    (
        "Licence key resent",
        "licence",
        "We have sent the licence key again to the address on your contract; it can take a "
        "few minutes to arrive. Please check the spam folder too.",
        ["Support::Software", "Sales"],
    ),
]

RAW_ACL = "Raw: sort before closing"
ACL_YAML = f"""format: 1
acls:
- name: "{RAW_ACL}"
  description: >-
    Tickets are closed in the queue that worked on them, so Raw offers no closing
    states: move the ticket first. (An example; try it in the ACL debugger.)
  properties: queue = Raw
  changes: {{state: {{possible_not: [closed successful, closed unsuccessful]}}}}
"""

DRAFT_SUBJECT = "Your question about the invoice"
MENTION_NOTE = "@agent2 could you double-check the contract dates before I answer?"


def load(stdout) -> None:
    _text_modules(stdout)
    if (
        not AclRule.objects.filter(name=RAW_ACL).exists()
        and Queue.objects.filter(full_name="Raw").exists()
    ):
        portable.import_acls(ACL_YAML)
        stdout.write(f"ACL: {RAW_ACL}")
    agent1 = User.objects.filter(username="agent1").first()
    agent2 = User.objects.filter(username="agent2").first()
    if agent1 is None or agent2 is None:
        return
    open_tickets = Ticket.objects.filter(
        state__state_type__in=[StateType.NEW, StateType.OPEN]
    ).order_by("pk")
    both = [
        t for t in open_tickets.filter(access.ticket_filter(agent1))[:50] if access.can(agent2, t)
    ]
    if not Draft.objects.filter(user=agent1).exists() and both:
        actions.save_draft(
            both[0],
            DraftScreen.NOTE,
            actor=agent1,
            subject=DRAFT_SUBJECT,
            body="Hello,\n\nI checked the invoice and",
        )
        stdout.write(f"Draft kept for agent1 on ticket {both[0].number}.")
    if not Mention.objects.filter(Q(user=agent2) & Q(created_by=agent1)).exists() and len(both) > 1:
        ticket = both[1]
        note = actions.add_article(
            ticket, ArticleInput(subject="Contract dates", body=MENTION_NOTE), actor=agent1
        )
        actions.mention_agents(ticket, note, [agent2], actor=agent1)
        stdout.write(f"agent1 mentions agent2 on ticket {ticket.number}.")


def _text_modules(stdout) -> None:
    queues = {q.full_name: q for q in Queue.objects.all()}
    made = 0
    for name, keyword, text, queue_names in TEXT_MODULES:
        if TextModule.objects.filter(Q(name=name) | Q(keyword=keyword)).exists():
            continue
        module = TextModule(name=name, keyword=keyword, text=text)
        module.full_clean()
        module.save()
        module.queues.set([queues[n] for n in queue_names if n in queues])
        made += 1
    if made:
        stdout.write(f"Text modules: {made}.")

"""The SLA part of ``loaddemo``: business calendars, SLAs with targets, queue targets, and
three tickets whose clocks show the cases an agent meets (escalated, about to escalate,
met), whatever the time the demo is loaded.

Idempotent like the rest of the demo: calendars, SLAs and targets are created only where
missing (an administrator's values stay), the tickets only if the first of them is not
there. Afterwards the escalation columns of every open ticket are computed, so the
dashboard's escalation widget and the queue's escalation sort work at once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from otrs.accounts.models import User, system_user
from otrs.calendars import imports
from otrs.calendars.models import Calendar, WorkingSlot
from tickets import actions
from tickets.actions.escalation import recompute_escalations
from tickets.choices import VIEWABLE_STATE_TYPES, Channel, SenderType
from tickets.models import SLA, Queue, Service, Ticket

OFFICE = "Berlin office"
AROUND_THE_CLOCK = "Around the clock"
# name -> (calendar, first response, update, solution minutes, notify %, services)
SLAS = {
    "Gold": (AROUND_THE_CLOCK, 60, 240, 480, 80, ["Email", "Remote access"]),
    "Silver": (OFFICE, 240, 480, 2400, 80, ["Email", "Printing", "Remote access"]),
}
# queue -> (first response, update, solution minutes, notify %); the default calendar.
QUEUE_TARGETS = {"Support": (120, 480, 2880, 80), "IT::Servers": (60, 240, 960, 75)}
TITLE = "SLA demo: "


def load(stdout) -> None:
    with transaction.atomic():
        _calendars()
        _slas()
        _queue_targets()
    if Ticket.objects.filter(title__startswith=TITLE).exists():
        stdout.write("SLA demo tickets are already loaded.")
    else:
        with transaction.atomic():
            _tickets()
        stdout.write("SLA demo: an escalated, an about-to-escalate and a met ticket (SLA Gold).")
    open_ids = Ticket.objects.filter(state__state_type__in=VIEWABLE_STATE_TYPES).values_list(
        "pk", flat=True
    )
    recompute_escalations(list(open_ids))


def _calendars() -> None:
    office, created = Calendar.objects.get_or_create(
        name=OFFICE,
        defaults={"time_zone": "Europe/Berlin", "comment": "Mon-Fri 08-12 and 13-17, Berlin."},
    )
    if created:
        WorkingSlot.objects.bulk_create(
            WorkingSlot(calendar=office, weekday=day, start=dt.time(start), end=dt.time(end))
            for day in range(5)
            for start, end in ((8, 12), (13, 17))
        )
        year = timezone.localdate().year
        imports.add_holidays(office, imports.country_holidays("DE", "BE", [year, year + 1]))
    always, created = Calendar.objects.get_or_create(
        name=AROUND_THE_CLOCK, defaults={"time_zone": "UTC", "comment": "24 x 7."}
    )
    if created:
        WorkingSlot.objects.bulk_create(
            WorkingSlot(calendar=always, weekday=day, start=dt.time(0), end=dt.time(0))
            for day in range(7)
        )


def _slas() -> None:
    for name, (calendar, response, update, solution, notify, services) in SLAS.items():
        sla, created = SLA.objects.get_or_create(
            name=name,
            defaults={
                "calendar": Calendar.objects.filter(name=calendar).first() if calendar else None,
                "first_response_time": response,
                "first_response_notify": notify,
                "update_time": update,
                "update_notify": notify,
                "solution_time": solution,
                "solution_notify": notify,
            },
        )
        if created:
            sla.services.add(*Service.objects.filter(full_name__in=services))


def _queue_targets() -> None:
    for full_name, (response, update, solution, notify) in QUEUE_TARGETS.items():
        queue = Queue.objects.filter(full_name=full_name).first()
        if queue is None or queue.first_response_time or queue.update_time or queue.solution_time:
            continue
        queue.first_response_time, queue.update_time, queue.solution_time = (
            response,
            update,
            solution,
        )
        queue.first_response_notify = queue.update_notify = queue.solution_notify = notify
        queue.save()


def _tickets() -> None:
    queue = Queue.objects.get(full_name="Support")
    sla = SLA.objects.get(name="Gold")
    service = sla.services.order_by("pk").first()
    agent = User.objects.filter(username="agent1").first() or system_user()
    now = timezone.now()
    # Gold: first response within 60 minutes around the clock, warning at 80 %.
    cases = [
        ("Mail server rejects our newsletter", now - dt.timedelta(minutes=150), None),
        ("VPN drops every ten minutes", now - dt.timedelta(minutes=52), None),
        ("New mailbox for the trainee", now - dt.timedelta(minutes=120), 20),
    ]
    for title, created_at, answered_after in cases:
        ticket = actions.create_ticket(
            title=TITLE + title,
            queue=queue,
            actor=system_user(),
            service=service,
            sla=sla,
            customer_id="ACME",
            customer_user="customer1",
            created_at=created_at,
            article=actions.ArticleInput(
                channel=Channel.EMAIL,
                sender_type=SenderType.CUSTOMER,
                subject=title,
                body=f"{title}. Please help.",
                from_address="customer1@acme.example.com",
                is_visible_for_customer=True,
                created_at=created_at,
            ),
        )
        if answered_after is not None:
            actions.add_article(
                ticket,
                actions.ArticleInput(
                    channel=Channel.PHONE,
                    sender_type=SenderType.AGENT,
                    subject="Re: " + title,
                    body="Done, the mailbox is set up.",
                    is_visible_for_customer=True,
                    created_at=created_at + dt.timedelta(minutes=answered_after),
                ),
                actor=agent,
            )

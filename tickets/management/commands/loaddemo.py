"""``manage.py loaddemo``: realistic demo data, loaded once (running it again changes nothing).

It creates groups, a queue tree, roles with grants, the agents ``admin``, ``agent1`` and
``agent2``, two customer companies with the customer users ``customer1`` and ``customer2``,
and a few hundred tickets with articles and history in every state. Every demo password
equals its login, so the command refuses to run unless ``DEBUG`` is on or ``--force`` is
given.

Tickets are made only through :mod:`tickets.actions`, as a real help desk would make them:
mail and web requests come in through the system user, agents answer, add notes, lock,
change owner and responsible, set pending times, close, link, watch and merge. A seeded
random generator makes the data the same on every machine. Creation times (given to the
actions) are spread over the last 90 days; the actions that take no time stamp (state,
lock, owner ...) record the time of loading.

Master data is created with ``get_or_create`` and existing rows are left alone; the tickets
are created in one transaction, marked by the Message-ID of the first demo mail, so they
are either all there or not at all.

For the customer portal, ``customer1`` and ``customer2`` are made able to sign in (an active
login with its usable password, a valid customer user with an address) and each gets a few
hand-written tickets (open, pending, closed) in which a web request or mail of theirs is
answered visibly by an agent, around internal notes they must never see. Those come in a
transaction of their own with a marker of their own, so a database that got the demo before
they existed gets them on the next run. Queues, ticket types and demo services are offered to
customers while none of a kind is (an administrator's later choice stays). No agent or customer
notification goes out for any of it.
"""

from __future__ import annotations

import random
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _

from customers.models import CustomerCompany, CustomerUser
from otrs.accounts.models import Group, GroupGrant, Role, RoleGrant, User, UserKind, system_user
from otrs.fields.actions import save_definition
from otrs.fields.models import FieldDefinition
from otrs.permissions import PermissionKey
from otrs.web.links import absolute_url
from tickets import access, actions, notifications
from tickets.actions.reports import create_report_schedule
from tickets.choices import (
    VIEWABLE_STATE_TYPES,
    AutoResponseType,
    Channel,
    LinkType,
    LockState,
    SenderType,
    TemplateType,
)
from tickets.metrics import missing_ids, refresh_metrics
from tickets.models import (
    Article,
    AutoResponse,
    Priority,
    Queue,
    QueueAutoResponse,
    ReportFormat,
    ReportSchedule,
    Salutation,
    Service,
    Signature,
    StandardTemplate,
    State,
    SystemAddress,
    Ticket,
    TicketHistory,
    TicketLink,
    TicketType,
    TicketWatcher,
    message_id_hash,
)

from . import (
    _acl_demo,
    _composer_demo,
    _genericagent_demo,
    _notification_demo,
    _process_demo,
    _sla_demo,
)

SEED = 20240101
TICKET_COUNT = 220
DAYS = 90
MERGES = 4
LINKS = 8
WATCHED = 12
SUPPORT_ADDRESS = "support@example.com"

GROUPS = [
    ("support", "Service desk: hardware and software support."),
    ("sales", "Sales and billing."),
    ("it", "IT operations: servers and network."),
]
# (full name, group); parents come before their children.
QUEUES = [
    ("Support", "support"),
    ("Support::Hardware", "support"),
    ("Support::Software", "support"),
    ("Sales", "sales"),
    ("IT", "it"),
    ("IT::Servers", "it"),
    ("IT::Network", "it"),
]
# queue -> (system address, its display name): what the queue sends from and receives on.
SYSTEM_ADDRESSES = {
    "Support": (SUPPORT_ADDRESS, "Service desk"),
    "Support::Hardware": ("hardware@example.com", "Service desk (hardware)"),
    "Support::Software": ("software@example.com", "Service desk (software)"),
    "Sales": ("sales@example.com", "Sales"),
    "IT": ("it@example.com", "IT operations"),
    "IT::Servers": ("servers@example.com", "IT operations (servers)"),
    "IT::Network": ("network@example.com", "IT operations (network)"),
}
SALUTATION = ("Demo salutation", "Dear <OTRS_CUSTOMER_REALNAME>,\n")
SIGNATURE = (
    "Demo signature",
    "Kind regards,\n\n<OTRS_CURRENT_UserFirstname> <OTRS_CURRENT_UserLastname>\n"
    "<OTRS_TICKET_Queue>",
)
AUTO_REPLY = (
    "Demo auto reply",
    "RE: <OTRS_CUSTOMER_SUBJECT[24]>",
    "Dear <OTRS_CUSTOMER_REALNAME>,\n\n"
    "thank you for your mail. It is now ticket <OTRS_CONFIG_TICKET_HOOK><OTRS_TICKET_Number> "
    "in queue <OTRS_TICKET_Queue>; we will answer as soon as we can. Please keep the ticket "
    "number in the subject when you write about this matter.\n\n"
    "Your mail:\n<OTRS_CUSTOMER_EMAIL[6]>\n\nYour service desk",
)
ANSWER = (
    "Demo answer: we are on it",
    "thank you for your request about “<OTRS_TICKET_Title>”. We are looking into it and "
    "will get back to you shortly.",
)
# name -> (comment, [(group, key)], members)
ROLES = {
    "Service desk": (
        "First-level support agents.",
        [("support", PermissionKey.RW), ("users", PermissionKey.RW)],
        ["agent1"],
    ),
    "IT operations": (
        "Administrators of servers and network; may read support tickets.",
        [("it", PermissionKey.RW), ("support", PermissionKey.RO)],
        ["agent2"],
    ),
}
# login -> (first name, last name, direct grants)
AGENTS = {
    "agent1": (
        "Alice",
        "Agent",
        # ro on "stats": the reports under /agent/reports/ (REPORTS_GROUP).
        [("sales", PermissionKey.RO), ("it", PermissionKey.NOTE), ("stats", PermissionKey.RO)],
    ),
    "agent2": ("Bob", "Builder", [("sales", PermissionKey.RW)]),
}
COMPANIES = [
    ("ACME", "Acme Corporation", "1 Road Runner Way", "85001", "Phoenix", "USA"),
    ("GLOBEX", "Globex Ltd", "42 Cypress Creek", "10115", "Berlin", "Germany"),
]
# login -> (first name, last name, email, company customer id)
CUSTOMERS = {
    "customer1": ("Carla", "Customer", "carla@acme.example", "ACME"),
    "customer2": ("Dan", "Doe", "dan.doe@globex.example", "GLOBEX"),
}
# What customers may choose in the portal for a new ticket (when nothing is offered yet).
CUSTOMER_QUEUES = ["Support", "Support::Hardware", "Support::Software", "Sales"]
DEMO_TYPES = ["Incident", "Service request"]
CUSTOMER_TYPES = ["Unclassified", *DEMO_TYPES]
CUSTOMER_SERVICES = ["Email", "Printing", "Remote access"]


@dataclass(frozen=True)
class Template:
    """A kind of request: where it goes and what the people involved write."""

    queue: str
    title: str
    body: str
    reply: str
    note: str
    follow_up: str


TEMPLATES = [
    Template(
        "Support::Hardware",
        "Printer on floor {floor} prints blank pages",
        "Hello,\n\nthe printer next to room {room} only prints blank pages since this "
        "morning. We already replaced the toner.\n\nRegards,\n{name}",
        "Hello {name},\n\na technician will look at the printer today. Please do not "
        "switch it off.\n\nYour service desk",
        "Fuser unit probably broken; spare part ordered.",
        "Hi,\n\nit now prints, but every page has a grey stripe.\n\n{name}",
    ),
    Template(
        "IT::Network",
        "VPN disconnects every few minutes",
        "Hello,\n\nworking from home, my VPN connection drops every five minutes and I "
        "have to log in again.\n\n{name}",
        "Hello {name},\n\nplease update the VPN client to the latest version and tell us "
        "whether it still happens.\n\nYour service desk",
        "Gateway log shows idle timeouts for this user; checking the profile.",
        "Hello,\n\nstill the same after the update, unfortunately.\n\n{name}",
    ),
    Template(
        "Sales",
        "Question about invoice {invoice}",
        "Dear sales team,\n\ninvoice {invoice} lists 25 licences, but we only ordered 20. "
        "Could you please check and send a corrected invoice?\n\n{name}",
        "Dear {name},\n\nyou are right, we will send a credit note for five licences this "
        "week.\n\nBest regards, Sales",
        "Credit note requested from accounting.",
        "Thank you! When can we expect the credit note?\n\n{name}",
    ),
    Template(
        "Support::Software",
        "Password reset for the ERP account",
        "Hello,\n\nI locked myself out of the ERP system after too many attempts. Could "
        "you reset my password?\n\n{name}",
        "Hello {name},\n\nyour account is unlocked; you will receive a one-time password "
        "by text message.\n\nYour service desk",
        "Identity confirmed by phone call-back.",
        "Hello,\n\nthe one-time password did not arrive.\n\n{name}",
    ),
    Template(
        "Support::Hardware",
        "New laptop for a new colleague starting on the {day}th",
        "Hello,\n\na new colleague joins the accounting team on the {day}th. Please "
        "prepare a laptop with the standard software and a docking station.\n\n{name}",
        "Hello {name},\n\nthe laptop is being prepared and will be ready the day before."
        "\n\nYour service desk",
        "Imaging started; docking station taken from stock.",
        "Could you also add a second monitor?\n\n{name}",
    ),
    Template(
        "Support::Software",
        "Outlook crashes when opening the shared calendar",
        "Hi,\n\nOutlook closes without an error message as soon as I open the team "
        "calendar.\n\n{name}",
        "Hi {name},\n\nplease start Outlook in safe mode once and try again.\n\nYour service desk",
        "Known issue with the add-in version 2.3; rollout of 2.4 planned.",
        "Safe mode works, normal mode still crashes.\n\n{name}",
    ),
    Template(
        "IT::Servers",
        "Nightly backup of file server {server} failed",
        "Hello,\n\nthe backup report of last night shows an error for {server}. Can you "
        "check whether our data is safe?\n\n{name}",
        "Hello {name},\n\nthe backup was repeated manually and completed.\n\nIT operations",
        "Backup target ran out of space; old snapshots pruned.",
        "It failed again tonight.\n\n{name}",
    ),
    Template(
        "Sales",
        "Quote for {licences} additional licences",
        "Hello,\n\nwe would like a quote for {licences} additional user licences including "
        "support.\n\n{name}",
        "Hello {name},\n\nplease find our quote attached; it is valid for 30 days.\n\nSales",
        "Volume discount of 10 percent approved.",
        "Can you extend the quote validity by two weeks?\n\n{name}",
    ),
    Template(
        "Support",
        "No access to the shared drive",
        "Hello,\n\nsince yesterday I cannot open the folder Projects on the shared drive "
        "(access denied).\n\n{name}",
        "Hello {name},\n\nyour account was missing from the project group; it is added "
        "now. Please log off and on again.\n\nYour service desk",
        "Group membership was removed by the quarterly clean-up script.",
        "Works again, thanks.\n\n{name}",
    ),
    Template(
        "IT::Network",
        "Wi-Fi very slow in meeting room {room}",
        "Hello,\n\nvideo calls in meeting room {room} keep freezing; the Wi-Fi there is "
        "very slow.\n\n{name}",
        "Hello {name},\n\nwe measured the signal and will install an additional access "
        "point.\n\nIT operations",
        "Channel overlap with the neighbouring building; access point ordered.",
        "Any news on the access point?\n\n{name}",
    ),
    Template(
        "Sales",
        "Please update our billing address",
        "Dear sales team,\n\nwe moved. Please send future invoices to our new address: "
        "{room} Market Street.\n\n{name}",
        "Dear {name},\n\nthe billing address is updated.\n\nBest regards, Sales",
        "Address changed in the ERP customer record.",
        "Thanks. Please also update the delivery address.\n\n{name}",
    ),
    Template(
        "Misc",
        "Opening hours of the service desk over the holidays",
        "Hello,\n\nis the service desk reachable between Christmas and New Year?\n\n{name}",
        "Hello {name},\n\nyes, from 9 to 15 o'clock on working days.\n\nYour service desk",
        "Answered with the holiday schedule.",
        "Great, thank you.\n\n{name}",
    ),
]
CHANNELS = [  # how a request comes in, with weights
    ((Channel.EMAIL, SenderType.CUSTOMER), 6),
    ((Channel.PHONE, SenderType.CUSTOMER), 3),
    ((Channel.WEB, SenderType.CUSTOMER), 2),
]


class Command(BaseCommand):
    help = (
        "Load demo data: groups, queues, roles, agents, customers and a few hundred tickets. "
        "Every demo password equals its login, so this runs only with DEBUG on or --force."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help=("Load the demo data even though DEBUG is off."),
        )

    def handle(self, *args, **options) -> None:
        if not (settings.DEBUG or options["force"]):
            raise CommandError(
                _(
                    "Refusing to load demo data: it creates accounts whose password equals "
                    "the login. Turn DEBUG on or pass --force."
                )
            )
        started = time.monotonic()
        with transaction.atomic():
            self._master_data()
            self._mail_texts()
            _demo_fields()
        marker = message_id_hash(_message_id(1, 0))
        if Article.objects.filter(message_id_md5=marker).exists():
            self.stdout.write("Demo tickets are already loaded; nothing to do.")
        else:
            # Demo tickets are made-up history, not news: no agent or customer notifications
            # (the commit happens inside the muted blocks).
            with _muted(), transaction.atomic():
                _DemoTickets(self.stdout).create()
        if Article.objects.filter(message_id_md5=message_id_hash(_portal_message_id(1))).exists():
            self.stdout.write("Customer portal demo tickets are already loaded.")
        else:
            with _muted(), transaction.atomic():
                _PortalTickets(self.stdout).create()
        with _muted():
            _sla_demo.load(self.stdout)
        with transaction.atomic():
            _genericagent_demo.load(self.stdout)
            _process_demo.load(self.stdout)
        with _muted(), transaction.atomic():
            _composer_demo.load(self.stdout)
            _acl_demo.load(self.stdout)
        # News, not history: a few changes the demo agents are told of in the agent portal.
        _notification_demo.load(self.stdout)

        # The metrics the reports read, for every ticket the demo made (the handler writes
        # them as events are delivered; without a running daemon they would be missing).
        written = 0
        while ids := missing_ids(0, 500):
            written += refresh_metrics(ids)
        self.stdout.write(f"Metrics written for {written} ticket(s).")
        _demo_report_schedule()

        with _muted():
            _other_apps_demo(self.stdout)
        self._report(time.monotonic() - started)

    # --- master data ----------------------------------------------------------------------------

    def _master_data(self) -> None:
        for name, comment in GROUPS:
            Group.objects.get_or_create(name=name, defaults={"comment": comment})
        groups = {g.name: g for g in Group.objects.all()}
        queues: dict[str, Queue] = {q.full_name: q for q in Queue.objects.all()}
        for full_name, group_name in QUEUES:
            if full_name in queues:
                continue
            parent_name, _sep, name = full_name.rpartition("::")
            queue = Queue(name=name, parent=queues.get(parent_name), group=groups[group_name])
            queue.full_clean()
            queue.save()
            queues[full_name] = queue

        admin = self._user("admin", "Ada", "Admin", is_staff=True, is_superuser=True)
        for each_group in groups.values():
            GroupGrant.objects.get_or_create(user=admin, group=each_group, key=PermissionKey.RW)
        agents = {"admin": admin}
        for login, (first, last, grants) in AGENTS.items():
            agents[login] = self._user(login, first, last)
            for group, key in grants:
                GroupGrant.objects.get_or_create(user=agents[login], group=groups[group], key=key)
        for name, (comment, grants, members) in ROLES.items():
            role, _created = Role.objects.get_or_create(name=name, defaults={"comment": comment})
            for group, key in grants:
                RoleGrant.objects.get_or_create(role=role, group=groups[group], key=key)
            role.members.add(*(agents[m] for m in members))

        companies = {}
        for customer_id, name, street, zip_code, city, country in COMPANIES:
            companies[customer_id], _created = CustomerCompany.objects.get_or_create(
                customer_id=customer_id,
                defaults={
                    "name": name,
                    "street": street,
                    "zip_code": zip_code,
                    "city": city,
                    "country": country,
                },
            )
        for login, (first, last, email, customer_id) in CUSTOMERS.items():
            user = self._user(login, first, last, kind=UserKind.CUSTOMER, email=email)
            self._portal_login(user, email, companies[customer_id])
        self._offer_to_customers()

    def _portal_login(self, user: User, email: str, company: CustomerCompany) -> None:
        """Make a demo customer able to sign in to the portal with the printed password:
        an active login, a usable password (the login, if it had none) and a valid
        customer user with an address and a company. A changed password is kept."""
        if not user.is_customer:
            self.stderr.write(f"{user.username} exists and is no customer; left as it is.")
            return
        if not user.is_active or not user.has_usable_password():
            user.is_active = True
            if not user.has_usable_password():
                user.set_password(user.username)
            user.save(update_fields=["is_active", "password"])
        profile, _created = CustomerUser.objects.get_or_create(
            user=user, defaults={"email": email, "company": company}
        )
        changed: list[str] = []
        if not profile.is_valid:
            profile.is_valid, changed = True, [*changed, "is_valid"]
        if not profile.email:
            profile.email, changed = email, [*changed, "email"]
        if profile.company_id is None:
            profile.company, changed = company, [*changed, "company"]
        if changed:
            profile.save(update_fields=changed)

    def _offer_to_customers(self) -> None:
        """Queues, ticket types and services customers may choose in the portal, while none
        of a kind is offered (so an administrator's later choice is kept)."""
        for name in DEMO_TYPES:
            TicketType.objects.get_or_create(name=name)
        existing = set(Service.objects.values_list("full_name", flat=True))
        for name in CUSTOMER_SERVICES:
            if name not in existing:
                Service(name=name).save()
        for model, field, names in [
            (Queue, "full_name", CUSTOMER_QUEUES),
            (TicketType, "name", CUSTOMER_TYPES),
            (Service, "full_name", CUSTOMER_SERVICES),
        ]:
            if not model._default_manager.filter(customer_selectable=True).exists():
                model._default_manager.filter(**{f"{field}__in": names}).update(
                    customer_selectable=True
                )

    def _mail_texts(self) -> None:
        """A system address per demo queue, a salutation, a signature, an auto reply and an
        answer template. A queue's mail settings are filled in only where they are empty."""
        queues = {q.full_name: q for q in Queue.objects.filter(full_name__in=SYSTEM_ADDRESSES)}
        salutation, _created = Salutation.objects.get_or_create(
            name=SALUTATION[0], defaults={"text": SALUTATION[1]}
        )
        signature, _created = Signature.objects.get_or_create(
            name=SIGNATURE[0], defaults={"text": SIGNATURE[1]}
        )
        auto_reply, _created = AutoResponse.objects.get_or_create(
            name=AUTO_REPLY[0],
            defaults={
                "response_type": AutoResponseType.AUTO_REPLY,
                "subject": AUTO_REPLY[1],
                "text": AUTO_REPLY[2],
            },
        )
        answer, _created = StandardTemplate.objects.get_or_create(
            name=ANSWER[0], defaults={"template_type": TemplateType.ANSWER, "text": ANSWER[1]}
        )
        answer.queues.add(*queues.values())
        for full_name, queue in queues.items():
            email, display_name = SYSTEM_ADDRESSES[full_name]
            address, _created = SystemAddress.objects.get_or_create(
                email=email, defaults={"display_name": display_name, "queue": queue}
            )
            # update(), not save(): a queue's save rewrites the names of its whole subtree.
            same = Queue.objects.filter(pk=queue.pk)
            same.filter(system_address=None).update(system_address=address)
            same.filter(salutation=None).update(salutation=salutation)
            same.filter(signature=None).update(signature=signature)
            if auto_reply.response_type == AutoResponseType.AUTO_REPLY:
                QueueAutoResponse.objects.get_or_create(
                    queue=queue,
                    response_type=AutoResponseType.AUTO_REPLY,
                    defaults={"auto_response": auto_reply},
                )

    def _user(self, login: str, first: str, last: str, **extra) -> User:
        extra.setdefault("kind", UserKind.AGENT)
        extra.setdefault("email", f"{login}@example.com")
        user = User.objects.filter(username=login).first()
        if user is None:
            # The demo password is the login, on purpose (see the --force check).
            user = User.objects.create_user(
                username=login, password=login, first_name=first, last_name=last, **extra
            )
        return user

    # --- report ---------------------------------------------------------------------------------

    def _report(self, elapsed: float) -> None:
        self.stdout.write("")
        self.stdout.write("Logins (the password equals the login):")
        for login, what in [
            ("admin", "administrator, rw on every group, Django admin"),
            ("agent1", "agent: role 'Service desk' (rw support, users), ro sales, note it"),
            ("agent2", "agent: rw sales, role 'IT operations' (rw it, ro support)"),
            ("customer1", "customer user of Acme Corporation (ACME)"),
            ("customer2", "customer user of Globex Ltd (GLOBEX)"),
        ]:
            self.stdout.write(f"  {login:<10} / {login:<10} {what}")
        self.stdout.write("")
        self.stdout.write(f"Agent portal:    {absolute_url('agent:dashboard')}")
        self.stdout.write(
            f"Customer portal: {absolute_url('customer:home')}"
            "  (customer1 / customer1, customer2 / customer2)"
        )
        by_type = dict(
            Ticket.objects.values_list("state__state_type")
            .annotate(n=Count("id"))
            .values_list("state__state_type", "n")
        )
        self.stdout.write("")
        self.stdout.write(
            f"Queues: {Queue.objects.count()}  tickets: {sum(by_type.values())}  "
            f"articles: {Article.objects.count()}  history rows: {TicketHistory.objects.count()}"
        )
        self.stdout.write(
            "By state type: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items()))
        )
        self.stdout.write(
            f"Locked: {Ticket.objects.exclude(lock=LockState.UNLOCK).count()}  "
            f"links: {TicketLink.objects.count()}  watchers: {TicketWatcher.objects.count()}"
        )
        self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f}s."))


class _DemoTickets:
    """Creates the demo tickets through the actions, reproducibly."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self.system = system_user()
        # Fresh user objects: their grants are cached on first use.
        self.users = {u.username: u for u in User.objects.filter(username__in=[*AGENTS, "admin"])}
        self.customers = {
            p.user.username: p
            for p in CustomerUser.objects.select_related("user", "company").filter(
                user__username__in=list(CUSTOMERS)
            )
        }
        self.queues = {q.full_name: q for q in Queue.objects.select_related("group")}
        self.states = {s.name: s for s in State.objects.all()}
        self.priorities = {p.level: p for p in Priority.objects.all()}
        # Custom field values come from a generator of their own, so that the rest of the
        # demo stays what it was before the fields existed.
        self.field_rng = random.Random(SEED + 11)
        self.article_field_rng = random.Random(SEED + 13)

    def _field_values(self, created_at: datetime) -> dict:
        rng = self.field_rng
        values: dict = {"Product": rng.choice([key for key, _label in DEMO_PRODUCTS])}
        if rng.random() < 0.5:
            values["ContractNumber"] = f"C-{rng.randint(1000, 9999)}"
        if rng.random() < 0.4:
            values["DueDate"] = (created_at + timedelta(days=rng.randint(3, 30))).date()
        return values

    def _priority(self) -> Priority:
        level = self.rng.choices([1, 2, 3, 4, 5], weights=[3, 10, 70, 12, 5])[0]
        return self.priorities.get(level) or self.priorities[3]

    def team_agent(self, queue: Queue) -> User:
        """The agent who works a queue: agent1 for support and the default queues,
        agent2 for sales and IT."""
        if queue.group.name in ("sales", "it"):
            return self.users["agent2"]
        return self.users["agent1"]

    def create(self) -> None:
        created: list[Ticket] = []
        for index in range(1, TICKET_COUNT + 1):
            created.append(self._ticket(index))
        self._relations(created)
        self.stdout.write(f"Created {len(created)} demo tickets.")

    def _moment(self, after: datetime, *, hours: float) -> datetime:
        """A moment up to ``hours`` after ``after``, never in the future."""
        moment = after + timedelta(minutes=self.rng.randint(5, int(hours * 60)))
        return min(moment, self.now - timedelta(minutes=1))

    def _ticket(self, index: int) -> Ticket:
        rng = self.rng
        template = rng.choice(TEMPLATES)
        # The default queue "Misc" may have been renamed or removed by an admin.
        queue = self.queues.get(template.queue) or self.queues["Support"]
        login = rng.choice(list(self.customers))
        profile = self.customers[login]
        person = profile.user.get_full_name()
        words = {
            "name": person,
            "floor": rng.randint(1, 6),
            "room": rng.randint(100, 450),
            "invoice": f"INV-{rng.randint(10000, 99999)}",
            "day": rng.randint(1, 28),
            "server": rng.choice(["fs01", "fs02", "files-berlin"]),
            "licences": rng.choice([5, 10, 25, 50]),
        }
        title = template.title.format(**words)
        # The first ticket is always a mail: its Message-ID marks the demo data as loaded.
        channel, sender = (
            (Channel.EMAIL, SenderType.CUSTOMER)
            if index == 1
            else rng.choices([c for c, _w in CHANNELS], weights=[w for _c, w in CHANNELS])[0]
        )
        age = timedelta(minutes=rng.randint(30, DAYS * 24 * 60))
        created_at = self.now - age
        agent = self.team_agent(queue)
        from_address = f"{person} <{profile.email}>"
        first = actions.ArticleInput(
            channel=channel,
            sender_type=sender,
            is_visible_for_customer=True,
            subject=title,
            body=template.body.format(**words),
            from_address=from_address,
            to_address=SUPPORT_ADDRESS if channel == Channel.EMAIL else "",
            message_id=_message_id(index, 0) if channel == Channel.EMAIL else "",
            created_at=created_at,
        )
        ticket = actions.create_ticket(
            title=title,
            queue=queue,
            # Mail and web requests arrive through the system; phone calls are typed in by
            # the agent who took the call.
            actor=agent if channel == Channel.PHONE else self.system,
            article=first,
            priority=self._priority(),
            customer_id=profile.company.customer_id if profile.company else "",
            customer_user=login,
            created_at=created_at,
            field_values=self._field_values(created_at),
        )
        if channel == Channel.PHONE:
            # The call's reason: an article field, shown under the article in the zoom.
            call = ticket.articles.order_by("id")[0]
            reason = self.article_field_rng.choice([key for key, _label in DEMO_CALL_REASONS])
            actions.set_article_field_values(call, {"CallReason": reason}, actor=agent)

        # What happens next depends on the age: old tickets are mostly done.
        fate = self._fate(age)
        moment = created_at
        if fate != "new":
            moment = self._moment(moment, hours=8)
            actions.add_article(
                ticket,
                actions.ArticleInput(
                    channel=Channel.EMAIL,
                    sender_type=SenderType.AGENT,
                    is_visible_for_customer=True,
                    subject=f"Re: {title}",
                    body=template.reply.format(**words),
                    from_address=SUPPORT_ADDRESS,
                    to_address=from_address,
                    message_id=_message_id(index, 1),
                    in_reply_to=first.message_id,
                    created_at=moment,
                    # Time accounting (TimeUnits): from the index, so the random story stays.
                    time_units=Decimal(5 * (1 + index % 6)),
                ),
                actor=agent,
            )
            if rng.random() < 0.6:
                moment = self._moment(moment, hours=24)
                actions.add_article(
                    ticket,
                    actions.ArticleInput(
                        subject="Note",
                        body=template.note,
                        created_at=moment,
                    ),
                    actor=agent,
                )
            if rng.random() < 0.4:
                moment = self._moment(moment, hours=48)
                actions.add_article(
                    ticket,
                    actions.ArticleInput(
                        channel=Channel.EMAIL,
                        sender_type=SenderType.CUSTOMER,
                        is_visible_for_customer=True,
                        subject=f"Re: {title}",
                        body=template.follow_up.format(**words),
                        from_address=from_address,
                        to_address=SUPPORT_ADDRESS,
                        message_id=_message_id(index, 2),
                        created_at=moment,
                    ),
                    actor=self.system,
                )
        self._apply_fate(ticket, fate, agent)
        return ticket

    def _fate(self, age: timedelta) -> str:
        rng = self.rng
        if age > timedelta(days=21):
            weights = {"closed successful": 70, "closed unsuccessful": 10, "open": 12}
            weights |= {"pending reminder": 4, "pending auto close+": 2, "new": 2}
        else:
            weights = {"closed successful": 20, "closed unsuccessful": 4, "open": 35}
            weights |= {"pending reminder": 12, "pending auto close+": 6}
            weights |= {"pending auto close-": 3, "new": 20}
        return rng.choices(list(weights), weights=list(weights.values()))[0]

    def _apply_fate(self, ticket: Ticket, fate: str, agent: User) -> None:
        rng = self.rng
        admin = self.users["admin"]
        if fate == "new":
            if rng.random() < 0.3:
                actions.set_responsible(ticket, agent, actor=admin)
            return
        if fate in ("closed successful", "closed unsuccessful"):
            actions.set_owner(ticket, agent, actor=agent)
            actions.set_state(ticket, self.states[fate], actor=agent)
            return
        # Open and pending tickets: some are locked by the agent working on them, some have
        # a responsible who is not the owner.
        if rng.random() < 0.45:
            actions.lock_ticket(ticket, actor=agent)
        elif rng.random() < 0.5:
            actions.set_owner(ticket, agent, actor=admin)
        if rng.random() < 0.3:
            others = [u for u in self.users.values() if u.pk != agent.pk]
            responsible = rng.choice(others)
            if access.can_use_queue(responsible, ticket.queue, PermissionKey.RO):
                actions.set_responsible(ticket, responsible, actor=admin)
        if fate == "open":
            actions.set_state(ticket, self.states["open"], actor=agent)
        else:
            # Reminders spread around now (some already due); auto close in the next days.
            hours = rng.randint(-48, 240) if fate == "pending reminder" else rng.randint(6, 168)
            until = (self.now + timedelta(hours=hours)).replace(second=0, microsecond=0)
            actions.set_pending(ticket, self.states[fate], until, actor=agent)

    def _relations(self, tickets: list[Ticket]) -> None:
        """Links, watchers and merges between the tickets just created."""
        rng = self.rng
        admin = self.users["admin"]
        viewable = [t for t in tickets if t.state.state_type in VIEWABLE_STATE_TYPES]
        # Merges: a customer wrote twice about the same thing; the younger ticket goes into
        # the older one.
        merged = set()
        by_key: dict[tuple[str, str], list[Ticket]] = {}
        for ticket in viewable:
            by_key.setdefault((ticket.customer_user, ticket.title), []).append(ticket)
        duplicates = [group for group in by_key.values() if len(group) > 1]
        for group in duplicates[:MERGES]:
            target, source = group[0], group[1]
            actions.merge_tickets(source, target, actor=admin)
            merged.update({source.pk, target.pk})
        linkable = [t for t in tickets if t.pk not in merged]
        linked: set[frozenset[int]] = set()
        while len(linked) < LINKS:
            a, b = rng.sample(linkable, 2)
            if frozenset((a.pk, b.pk)) in linked:
                continue
            linked.add(frozenset((a.pk, b.pk)))
            link_type = LinkType.PARENT_CHILD if rng.random() < 0.4 else LinkType.NORMAL
            actions.link_tickets(a, b, link_type, actor=admin)
        for ticket in rng.sample([t for t in viewable if t.pk not in merged], WATCHED):
            for login in rng.sample(["agent1", "agent2"], 2):
                watcher = self.users[login]
                if access.can(watcher, ticket, PermissionKey.RO):
                    actions.watch_ticket(ticket, actor=watcher)
                    break


def _message_id(index: int, position: int) -> str:
    """The Message-ID of a demo mail; that of the first one marks the demo as loaded."""
    return f"<demo-{index}.{position}@otrs-demo.example>"


# --- the customers' own tickets, for the portal --------------------------------------------------


@dataclass(frozen=True)
class PortalStory:
    """A ticket as its customer sees it in the portal, and what agents wrote around it.

    ``request`` comes by web (or mail, when ``by_mail``); ``steps`` follow in order, each
    ``(kind, text)`` with kind ``"answer"`` (a mail to the customer), ``"call"`` (a phone
    call the agent made, visible), ``"visible note"``, ``"note"`` (internal) or
    ``"customer"`` (the customer's web answer); then the ticket goes to ``state``."""

    queue: str
    title: str
    request: str
    steps: tuple[tuple[str, str], ...]
    state: str
    days_ago: int
    by_mail: bool = False


PORTAL_STORIES = [
    PortalStory(
        "Support::Hardware",
        "Docking station does not charge my laptop",
        "Hello,\n\nsince Monday my laptop no longer charges in the docking station on my "
        "desk; the screens still work.\n\n{name}",
        (
            ("note", "Known fault of the USB-C docks of the 2023 batch; replacements ordered."),
            (
                "answer",
                "Hello {name},\n\na replacement docking station is on its way; until it "
                "arrives please use the power supply that came with the laptop.\n\n"
                "Your service desk",
            ),
            ("customer", "Thank you. Do I have to send the old one back?\n\n{name}"),
        ),
        "open",
        days_ago=3,
        by_mail=True,
    ),
    PortalStory(
        "Support::Software",
        "Cannot open password-protected PDF files",
        "Hello,\n\nevery PDF with a password shows an empty page in the viewer.\n\n{name}",
        (
            (
                "call",
                "Called {name}: the viewer is out of date. We updated it remotely; the "
                "files open again.",
            ),
            ("note", "Remote session 4711; update rolled out to the whole department."),
        ),
        "closed successful",
        days_ago=12,
    ),
    PortalStory(
        "Support",
        "Access to the project folder for a new colleague",
        "Hello,\n\nplease give our new colleague access to the folder Projects on the "
        "shared drive.\n\n{name}",
        (
            (
                "visible note",
                "We need the approval of the folder's owner. Could you tell us the "
                "colleague's login and who approves the access?",
            ),
            ("note", "Folder owner per the register: the head of the project office."),
        ),
        "pending reminder",
        days_ago=1,
    ),
]


class _PortalTickets:
    """Each demo customer's tickets in the portal, written out by hand (no randomness)."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout
        self.now = timezone.now()
        self.system = system_user()
        self.queues = {q.full_name: q for q in Queue.objects.select_related("group")}
        self.states = {s.name: s for s in State.objects.all()}
        self.agents = {u.username: u for u in User.objects.filter(username__in=list(AGENTS))}
        self.customers = list(
            CustomerUser.objects.select_related("user", "company")
            .filter(user__username__in=list(CUSTOMERS))
            .order_by("user__username")
        )

    def create(self) -> None:
        count = 0
        for profile in self.customers:
            for story in PORTAL_STORIES:
                count += 1
                self._ticket(profile, story, count)
        self.stdout.write(f"Created {count} tickets for the customer portal.")

    def _ticket(self, profile: CustomerUser, story: PortalStory, index: int) -> Ticket:
        queue = self.queues.get(story.queue) or self.queues["Support"]
        agent = self.agents["agent2" if queue.group.name in ("sales", "it") else "agent1"]
        name = profile.user.get_full_name()
        customer = f"{name} <{profile.email}>"
        moment = self.now - timedelta(days=story.days_ago)
        request = actions.ArticleInput(
            channel=Channel.EMAIL if story.by_mail else Channel.WEB,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            subject=story.title,
            body=story.request.format(name=name),
            from_address=customer,
            to_address=SUPPORT_ADDRESS if story.by_mail else "",
            # The first story comes by mail: its Message-ID marks the stories as loaded.
            message_id=_portal_message_id(index) if story.by_mail else "",
            created_at=moment,
        )
        ticket = actions.create_ticket(
            title=story.title,
            queue=queue,
            actor=self.system,
            article=request,
            customer_id=profile.company.customer_id if profile.company else "",
            customer_user=profile.login,
            created_at=moment,
        )
        actions.set_owner(ticket, agent, actor=agent)
        for kind, text in story.steps:
            moment = min(moment + timedelta(hours=2), self.now - timedelta(minutes=1))
            self._step(ticket, kind, text.format(name=name), agent, customer, moment)
        state = self.states[story.state]
        if story.state.startswith("pending"):
            until = (self.now + timedelta(days=2)).replace(second=0, microsecond=0)
            actions.set_pending(ticket, state, until, actor=agent)
        else:
            actions.set_state(ticket, state, actor=agent)
        return ticket

    def _step(self, ticket, kind: str, text: str, agent: User, customer: str, moment) -> None:
        if kind == "customer":
            data = actions.ArticleInput(
                channel=Channel.WEB,
                sender_type=SenderType.CUSTOMER,
                is_visible_for_customer=True,
                subject=f"Re: {ticket.title}",
                body=text,
                from_address=customer,
                created_at=moment,
            )
            actions.add_article(ticket, data, actor=self.system)
            return
        channel = {"answer": Channel.EMAIL, "call": Channel.PHONE}.get(kind, Channel.INTERNAL)
        data = actions.ArticleInput(
            channel=channel,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=kind != "note",
            subject="Note" if kind == "note" else f"Re: {ticket.title}",
            body=text,
            from_address=SUPPORT_ADDRESS if kind == "answer" else "",
            to_address=customer if kind == "answer" else "",
            created_at=moment,
        )
        actions.add_article(ticket, data, actor=agent)


def _portal_message_id(index: int) -> str:
    """The Message-ID of a portal demo ticket's first message; index 1 marks them loaded."""
    return f"<demo-portal-{index}@otrs-demo.example>"


DEMO_PRODUCTS = [
    ("office", "Office suite"),
    ("mail", "Mail service"),
    ("vpn", "VPN"),
    ("erp", "ERP"),
]


DEMO_CALL_REASONS = [
    ("question", "Question"),
    ("incident", "Incident"),
    ("complaint", "Complaint"),
]


def _demo_fields() -> None:
    """The demo's custom fields on tickets and articles (created once; an admin's later
    changes stay)."""
    shown = "shown"
    wanted = [
        FieldDefinition(
            name="Product",
            label="Product",
            labels={"de": "Produkt"},
            object_type="ticket",
            field_type="dropdown",
            order=1,
            settings={"translatable": False},
            screens={
                "phone_ticket": shown,
                "email_ticket": shown,
                "free_fields": shown,
                "bulk": shown,
                "customer_new_ticket": shown,
                "customer_ticket": shown,
                "zoom": shown,
                "queue_list": shown,
                "search_list": shown,
            },
        ),
        FieldDefinition(
            name="ContractNumber",
            label="Contract number",
            labels={"de": "Vertragsnummer"},
            object_type="ticket",
            field_type="text",
            order=2,
            settings={"regex": r"^C-\d{4}$", "regex_error": "Use C- and four digits."},
            screens={
                "phone_ticket": shown,
                "free_fields": shown,
                "zoom": shown,
                "search_list": shown,
            },
        ),
        FieldDefinition(
            name="DueDate",
            label="Due date",
            labels={"de": "Fälligkeitsdatum"},
            object_type="ticket",
            field_type="date",
            order=3,
            screens={
                "free_fields": shown,
                "pending": shown,
                "zoom": shown,
                "queue_list": shown,
                "search_list": shown,
            },
        ),
        FieldDefinition(
            name="CallReason",
            label="Reason for the call",
            labels={"de": "Anrufgrund"},
            object_type="article",
            field_type="dropdown",
            order=4,
            screens={"note": shown, "phone_call": shown, "zoom": shown},
        ),
    ]
    existing = set(FieldDefinition.objects.values_list("name", flat=True))
    for definition in wanted:
        if definition.name in existing:
            continue
        options: list[dict] | None = None
        if definition.name == "Product":
            options = [{"key": key, "label": label} for key, label in DEMO_PRODUCTS]
        if definition.name == "CallReason":
            options = [
                {"key": key, "label": label, "labels": {"de": german}}
                for (key, label), german in zip(
                    DEMO_CALL_REASONS, ("Frage", "Störung", "Beschwerde"), strict=True
                )
            ]
        save_definition(definition, options)


def _demo_report_schedule() -> None:
    """A weekly SLA compliance report per queue (CSV) and a monthly ticket volume report
    (CSV and PDF), mailed to agent1 (each once)."""
    admin = User.objects.get(username="admin")
    for name, kind, frequency, formats in (
        ("Weekly SLA compliance", "compliance", "weekly", ReportFormat.CSV),
        ("Monthly ticket volume", "volume", "monthly", ReportFormat.BOTH),
    ):
        if ReportSchedule.objects.filter(name=name).exists():
            continue
        create_report_schedule(
            name,
            kind,
            dimension="queue",
            queue=None,
            frequency=frequency,
            recipients=User.objects.filter(username="agent1"),
            actor=admin,
            formats=formats,
        )


def _other_apps_demo(stdout) -> None:
    """Demo data of the other installed apps: each may ship a ``demo`` module with
    ``load(stdout)`` (run after the tickets, which it may link to; found by name, as the
    agent portal finds ``agent_urls``, so this app imports none of them)."""
    for config in apps.get_app_configs():
        if config.name != "tickets" and module_has_submodule(config.module, "demo"):
            import_module(f"{config.name}.demo").load(stdout)


def _muted():
    """Neither agents nor customers hear of what the demo makes."""
    stack = ExitStack()
    stack.enter_context(notifications.muted())
    return stack

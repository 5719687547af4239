"""What the URL walk (tests/test_url_walk.py) and the input fuzzing (tests/test_input_fuzz.py)
share: the URL patterns, discovered from the resolver; one dataset built once per test module
(inside a transaction rolled back at the end, as Django's ``setUpTestData``); the personas;
and how a pattern's arguments are filled from the dataset.

Arguments are filled by what they name: ``pk`` by the path segment before it
(``tickets/<int:pk>`` is a ticket, ``users/<int:pk>`` a customer user ...), other
arguments by their own name (``article_pk``, ``object_id``, ``uidb64`` ...), and admin
object ids by the model the admin URL belongs to. Each argument gets up to three values:
``own`` (an object the customer persona owns, which the agent with grants sees too),
``foreign`` (another customer's object, or an object no persona may open) and ``missing``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cmdb import actions as cmdb_actions
from cmdb.choices import LinkType
from cmdb.models import CIFile
from customers.models import CustomerCompany, CustomerUser
from faq import actions as faq_actions
from faq.choices import ItemState
from faq.models import FaqCategory, FaqItem
from otrs.accounts.models import Group
from otrs.api.tokens import create_token
from otrs.ops.models import MaintenanceWindow
from otrs.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from tests import factories
from tests.cmdb import cmdb_group, make_ci
from tests.customer_portal import ticket_data
from tickets.models import (
    SLA,
    Activity,
    ActivityDialog,
    Article,
    Attachment,
    Interface,
    Priority,
    Process,
    ProcessState,
    Queue,
    ReportSchedule,
    SavedSearch,
    Service,
    State,
    Ticket,
    TicketProcess,
    TicketType,
    WebNotification,
)

# The roots the walk covers; a new root (the API) is added here once it exists.
PREFIXES = ("agent/", "customer/", "admin/", "api/")
MISSING = 987_654_321
PASSWORD = "walk-password"

# The personas. "granted" holds rw on the dataset's queue and manages customers; "staff" is
# a superuser, walked through the Django admin only (where the others are all refused).
PERSONAS = ("anonymous", "customer", "plain", "granted", "staff")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full route, its name (with namespaces) and its arguments."""

    route: str
    name: str
    pattern: URLPattern = field(compare=False, repr=False)
    args: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return self.route.split("/", 1)[0] + "/"

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    def kind_of(self, arg: str) -> str:
        """What an argument stands for: the segment before ``<...pk>``, else its name."""
        if arg == "object_id" and "content_type_id" in self.args:
            return "tickets"  # the admin's "view on site" link: a ticket of that type
        if arg == "link_pk":
            # A CI's links and its ticket links share the name; the segment before says which
            # ("links" or "tickets").
            before = self.route.split(f"<int:{arg}>")[0].rstrip("/").rsplit("/", 1)[-1]
            return f"cmdb_{before}"
        if arg == "pk" or (arg == "object_id" and self.is_admin) or arg == "id":
            if self.is_admin:
                return "admin"
            # Also the REST framework's regex routes: tickets/(?P<pk>[0-9]+)/.
            before = re.split(r"\(\?P<[^>]*>|<[^>]*>", self.route)[0]
            return before.rstrip("/").rsplit("/", 1)[-1].lstrip("^")
        return arg

    def admin_model(self):
        _admin, app_label, model_name, *_rest = self.route.split("/")
        return apps.get_model(app_label, model_name)

    def url(self, values: dict[str, str]) -> str:
        if self.name:
            return reverse(self.name, kwargs={arg: str(value) for arg, value in values.items()})
        # Unnamed (the admin's redirect from <id>/ to <id>/change/): a plain route.
        path = self.route
        for arg, value in values.items():
            path = re.sub(rf"<(?:\w+:)?{arg}>", str(value), path)
        return "/" + path


def _routes(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            route = prefix + str(entry.pattern)
            args = tuple(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route))
            args = tuple(a or b for a, b in args)
            yield Route(route, name, entry, args)


def walked_routes() -> list[Route]:
    """Every URL pattern under :data:`PREFIXES`, from the resolver."""
    return [r for r in _routes(get_resolver().url_patterns) if r.route.startswith(PREFIXES)]


def route_id(route: Route) -> str:
    return route.name or route.route


@dataclass
class Dataset:
    """The objects the walk fills arguments from, and the personas' users."""

    users: dict = field(default_factory=dict)
    own: dict = field(default_factory=dict)
    foreign: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)

    def client(self, persona: str) -> Client:
        """A client of the persona, in the session signed in once for the whole module (a
        test that signs out or changes a password gets it back with the next test)."""
        client = Client(raise_request_exception=False)  # a server error is a 500, reported
        if persona != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client

    def values(self, route: Route, which: str) -> dict[str, str] | None:
        """The argument values of ``route`` for ``which`` (own, foreign, missing), or None
        when the dataset has no such object for one of them (an admin model without rows).
        An argument the dataset knows nothing about is a LookupError: a new kind of URL
        argument needs a filler, the walk never skips it."""
        values = {}
        for arg in route.args:
            value = self._value(route, arg, which)
            if value is None:
                return None
            values[arg] = value
        return values

    def _value(self, route: Route, arg: str, which: str):
        kind = route.kind_of(arg)
        if kind == "admin":
            if which == "missing":
                return MISSING
            objects = route.admin_model()._default_manager.order_by("pk")
            obj = objects.first() if which == "own" else objects.last()
            return obj.pk if obj is not None else None
        if kind == "app_label":
            # The pattern itself lists the apps: there is no missing one to ask for.
            return "tickets" if which != "missing" else None
        if kind == "content_type_id":
            return ContentType.objects.get_for_model(Ticket).pk if which != "missing" else MISSING
        if kind not in self.own:
            raise LookupError(
                f"{route.route}: the walk has no {kind!r} to fill {arg!r} with; add one to "
                "build_dataset() (or list the pattern in UNFILLABLE, saying why)"
            )
        if which == "missing":
            return MISSING if kind not in ("uidb64", "token") else "MTIzNDU2Nzg5"
        return {"own": self.own, "foreign": self.foreign}[which][kind]


def build_dataset() -> Dataset:
    """Two customers of two companies, each with a ticket (an article with an attachment);
    an agent with rw on the tickets' queue who also manages customers, one without any
    grant; a saved search of the granted agent."""
    data = Dataset()
    grp = factories.group("walk")
    queue = ticket_data.portal_queue("Walk")
    queue.group = grp
    queue.save()
    managers, _created = Group.objects.get_or_create(name=settings.CUSTOMER_MANAGER_GROUP)
    granted = factories.agent("walk_granted")
    factories.grant(granted, grp, factories.RW)
    factories.grant(granted, managers, factories.RW)
    plain = factories.agent("walk_plain")
    staff = factories.agent("walk_staff", is_staff=True, is_superuser=True)
    companies = [ticket_data.company(f"WALK{i}", f"Walk company {i}") for i in (1, 2)]
    customers = [
        ticket_data.customer(f"walk_customer{i}", company_=companies[i - 1]) for i in (1, 2)
    ]
    data.users = {"customer": customers[0], "plain": plain, "granted": granted, "staff": staff}
    for side, customer, company in zip(("own", "foreign"), customers, companies, strict=True):
        ticket = ticket_data.ticket(
            queue, customer_user=customer.username, customer_id=company.customer_id
        )
        article = ticket_data.article(ticket, visible=True, files=[("walk.txt", b"walk")])
        profile = CustomerUser.objects.get(user=customer)
        getattr(data, side).update(
            {
                "tickets": ticket.pk,
                "article_pk": article.pk,
                "attachments": Attachment.objects.filter(article=article).get().pk,
                "users": profile.pk,
                "companies": company.pk,
                "uidb64": urlsafe_base64_encode(force_bytes(customer.pk)),
                "token": "bad-token",
            }
        )
    _api_objects(data, granted, staff)
    _faq_items(data, grp, companies)
    _process(data, queue)
    _configuration_items(data, granted)
    _api_kinds(data)
    saved = SavedSearch.objects.create(owner=granted, name="Walk", criteria={"q": "walk"})
    data.own["saved"] = saved.pk
    data.foreign["saved"] = saved.pk
    # The reports: a report kind (reports/<kind>/) and a scheduled report (the superuser may
    # schedule; the others get 404).
    data.own["kind"] = data.foreign["kind"] = "compliance"
    schedule = ReportSchedule.objects.create(
        name="Walk", kind="compliance", created_by=staff, next_run_at=timezone.now()
    )
    data.own["schedules"] = data.foreign["schedules"] = schedule.pk
    # The admin's system configuration (admin/configuration/<key>/) and two maintenance
    # windows long over (no banner), for the admin forms' sweep.
    data.own["key"] = data.foreign["key"] = "login_failure_limit"
    for days in (30, 20):
        start = timezone.now() - timedelta(days=days)
        MaintenanceWindow.objects.create(
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            message=f"Walk maintenance {days}",
            created_by=staff,
        )
    # In-app notifications: the granted agent's own on its ticket, and the superuser's (which
    # nobody else may open).
    for side, user in (("own", granted), ("foreign", staff)):
        note = WebNotification.objects.create(
            user=user,
            ticket_id=data.own["tickets"],
            event_name="NotificationNewTicket",
            subject="Walk",
            body="Walk notification.",
        )
        getattr(data, side)["notifications"] = note.pk
    # The composer's drafts: a draft screen (tickets/<pk>/drafts/<screen>/...).
    data.own["screen"] = data.foreign["screen"] = "note"
    for user in (granted, plain, staff, *customers):
        user.set_password(PASSWORD)
        user.save()
    assert Article.objects.exists() and CustomerCompany.objects.count() >= 2
    for persona, user in data.users.items():
        client = Client()
        client.force_login(user)
        data.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return data


def _api_objects(data: Dataset, granted, staff) -> None:
    """The REST API's own kinds: personal tokens (the granted agent's, the superuser's as
    somebody else's), an article by id, and the master data every agent reads."""
    expires = timezone.now() + timedelta(days=30)
    own, _plain = create_token(
        granted, name="walk", scope="read", expires_at=expires, actor=granted
    )
    other, _plain = create_token(staff, name="walk", scope="read", expires_at=expires, actor=staff)
    data.own["tokens"], data.foreign["tokens"] = own.pk, other.pk
    # Two webhooks (a rename onto the other's name) and a logged delivery with an attempt.
    hooks = [
        Webhook.objects.create(
            name=f"Walk hook {n}",
            url="http://127.0.0.1:9/walk",
            active=False,
            events=["TicketCreate"],
            created_by=staff,
        )
        for n in (1, 2)
    ]
    sent = WebhookDelivery.objects.create(
        hook=hooks[0],
        event_id=0,
        event="TicketCreate",
        object_type="ticket",
        body="{}",
        status="failed",
        attempts=1,
        retry_until=timezone.now(),
        last_status_code=500,
    )
    WebhookAttempt.objects.create(
        delivery=sent, number=1, started_at=timezone.now(), duration_ms=3, status_code=500
    )
    data.own["article_id"] = data.own["article_pk"]
    data.foreign["article_id"] = data.foreign["article_pk"]
    queue = Queue.objects.get(name="Walk")
    for kind, pk in (
        ("queues", queue.pk),
        ("states", State.objects.order_by("pk").first().pk),
        ("priorities", Priority.objects.order_by("pk").first().pk),
        ("ticket-types", TicketType.objects.order_by("pk").first().pk),
        ("services", Service.objects.create(name="Walk service").pk),
        ("slas", SLA.objects.create(name="Walk SLA").pk),
    ):
        data.own[kind] = data.foreign[kind] = pk


def _faq_items(data: Dataset, grp, companies) -> None:
    """An external FAQ item per company, in categories the walk's group reads and edits,
    each with a file (the foreign one is the other company's)."""
    system = factories.system()
    for side, company in zip(("own", "foreign"), companies, strict=True):
        category = FaqCategory.objects.create(name=f"Walk FAQ {side}")
        category.agent_read_groups.set([grp])
        category.agent_edit_groups.set([grp])
        category.customer_companies.set([company])
        item = faq_actions.create_item(
            category,
            faq_actions.Content(title=f"Walk {side}", solution="walk"),
            actor=system,
            language="en",
            state=ItemState.EXTERNAL,
        )
        attachment = faq_actions.add_attachment(
            item, actor=system, filename="walk.txt", content_type="text/plain", data=b"walk"
        )
        getattr(data, side).update(
            {"faq": item.pk, "item_pk": item.pk, "number": 1, "attachment_id": attachment.pk}
        )


def _process(data: Dataset, queue) -> None:
    """An active process in the walk's queue whose start dialog is offered in both portals,
    the own ticket standing in its one activity (which offers the dialog to both)."""
    process = Process.objects.create(name="Walk process", queue=queue)
    dialog = ActivityDialog.objects.create(
        process=process,
        name="Walk dialog",
        interface=Interface.BOTH,
        fields=[{"name": "title", "required": True}, {"name": "article", "required": False}],
    )
    activity = Activity.objects.create(process=process, name="Walking")
    activity.dialogs.set([dialog])
    process.start_activity, process.start_dialog = activity, dialog
    process.state = ProcessState.ACTIVE
    process.save()
    TicketProcess.objects.create(ticket_id=data.own["tickets"], process=process, activity=activity)
    data.own.update({"processes": process.pk, "dialog_pk": dialog.pk})
    # Nobody may start an inactive process, nor fill its dialog on the own ticket.
    other = Process.objects.create(name="Walk process (off)", queue=queue)
    closed = ActivityDialog.objects.create(process=other, name="Off", interface=Interface.BOTH)
    data.foreign.update({"processes": other.pk, "dialog_pk": closed.pk})


def _configuration_items(data: Dataset, granted) -> None:
    """Two linked CIs of a class the granted agent may change (the plain agent has no grant
    on the CMDB group, so to it every CI is somebody else's), one of them linked to the own
    ticket."""
    factories.grant(granted, cmdb_group(), factories.RW)
    system = factories.system()
    first, second = make_ci("walk-ci-1"), make_ci("walk-ci-2")
    link = cmdb_actions.link_configitems(first, second, LinkType.DEPENDS_ON, actor=system)
    ticket_link = cmdb_actions.link_ticket(
        first, data.own["tickets"], LinkType.RELEVANT_TO, actor=system
    )
    faq_link = cmdb_actions.link_faq_item(
        first, FaqItem.objects.get(pk=data.own["faq"]), actor=system
    )
    service_link = cmdb_actions.link_service(
        first, Service.objects.create(name="Walk CI service"), LinkType.DEPENDS_ON, actor=system
    )
    # A file attribute, and a CI of each customer's company (the portal's CI pages), the
    # own one with a file.
    specs = cmdb_actions.definition_specs(first.ci_class)
    specs.append({"key": "WalkManual", "field_type": "attachment", "count_max": 2})
    cmdb_actions.update_definition(first.ci_class, specs, actor=system)
    company_attribute = first.ci_class.attributes.get(key="CustomerID", removed=False)
    owned = {}
    for side in ("own", "foreign"):
        ci = make_ci(
            f"walk-ci-{side}-company",
            values={"CustomerID": getattr(data, side)["companies"]},
        )
        owned[side] = ci
    manual = first.ci_class.attributes.get(key="WalkManual", removed=False)
    cmdb_actions.attach_file(
        owned["own"],
        manual.pk,
        SimpleUploadedFile("walk-manual.txt", b"walk manual", "text/plain"),
        actor=system,
    )
    ci_file = CIFile.objects.get(configitem=owned["own"])
    for side in ("own", "foreign"):
        getattr(data, side).update(
            {
                "class_pk": first.ci_class_id,
                "items": first.pk,
                "cmdb_links": link.pk,
                "cmdb_tickets": ticket_link.pk,
                "cmdb_faq": faq_link.pk,
                "cmdb_services": service_link.pk,
                "attribute_pk": company_attribute.pk,
                "file_pk": ci_file.pk,
                "configuration-items": owned[side].pk,
            }
        )


def _api_kinds(data: Dataset) -> None:
    """The API's routes of the other apps take the same objects as their screens."""
    for side in (data.own, data.foreign):
        side.update(
            {
                "customer-users": side["users"],
                "faq-items": side["faq"],
                "config-items": side["items"],
            }
        )


@pytest.fixture(scope="module")
def dataset(django_db_setup, django_db_blocker):
    """:func:`build_dataset` once per module, rolled back at its end; each test runs in a
    savepoint inside (pytest-django's ``db``), so what one test changes the next never sees."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_dataset()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def admin_registered_models() -> set:
    return set(admin.site._registry)

"""The data commands: loaddemo, filldb and attachment_storage."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from customers.models import CustomerCompany, CustomerUser
from otrs.accounts.models import RoleGrant, User
from otrs.mail.models import OutboundKind, OutboundMessage
from otrs.ops.models import MaintenanceWindow
from otrs.permissions import grants_for
from otrs.webhooks.models import Webhook
from tests import factories
from tickets import access, actions
from tickets.actions import ArticleInput, AttachmentInput
from tickets.automation import acl
from tickets.choices import Channel, HistoryType, SenderType, StateType
from tickets.management.commands import loaddemo
from tickets.models import (
    AclRule,
    Article,
    Attachment,
    Draft,
    GenericAgentJob,
    Mention,
    Queue,
    ReportSchedule,
    Service,
    State,
    TextModule,
    Ticket,
    TicketHistory,
    TicketLink,
    TicketMetrics,
    TicketNotification,
    TicketType,
    TicketWatcher,
    TimeAccounting,
    WebNotification,
)

pytestmark = pytest.mark.django_db

LOGINS = ["admin", "agent1", "agent2", "customer1", "customer2"]


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


def table_sizes() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Ticket, Article, TicketHistory, TicketLink, TicketWatcher, User)
    }


# --- loaddemo -------------------------------------------------------------------------------------


def test_it_refuses_to_load_the_demo_without_debug_or_force(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        run("loaddemo")
    assert not User.objects.filter(username__in=LOGINS).exists()
    assert not Ticket.objects.exists()


def test_it_loads_the_demo_once(settings):
    settings.DEBUG = False
    output = run("loaddemo", force=True)

    # Every login authenticates with its login as password, and is printed.
    for login in LOGINS:
        assert authenticate(username=login, password=login) is not None, login
        assert f"{login:<10} / {login}" in output
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_agent
    # The example GenericAgent jobs, switched off.
    assert sorted(GenericAgentJob.objects.values_list("name", "valid")) == [
        ("Close tickets pending for 30 days", False),
        ("Move unanswered new tickets after 1 hour", False),
    ]
    assert RoleGrant.objects.filter(role__members__username="agent1").exists()
    assert grants_for(User.objects.get(username="agent1")) != grants_for(
        User.objects.get(username="agent2")
    )
    profiles = CustomerUser.objects.filter(user__username__in=["customer1", "customer2"])
    assert profiles.values("company").distinct().count() == 2
    assert all(p.user.is_customer and p.email for p in profiles)

    # Tickets of every kind, spread over queues, both customers and the last 90 days.
    tickets = Ticket.objects.all()
    assert tickets.count() >= 200
    state_types = set(tickets.values_list("state__state_type", flat=True))
    assert state_types >= {
        StateType.NEW,
        StateType.OPEN,
        StateType.CLOSED,
        StateType.PENDING_REMINDER,
        StateType.PENDING_AUTO,
        StateType.MERGED,
    }
    assert set(tickets.values_list("state__name", flat=True)) >= {
        "closed successful",
        "closed unsuccessful",
    }
    assert tickets.filter(state__state_type__startswith="pending", pending_until=None).count() == 0
    assert set(tickets.exclude(lock="unlock").values_list("owner__username", flat=True)) == {
        "agent1",
        "agent2",
    }
    # Some have a responsible who is neither the system user nor the owner.
    assert (
        tickets.exclude(responsible__username="system")
        .exclude(responsible_id=F("owner_id"))
        .exists()
    )
    assert TicketLink.objects.exists() and TicketWatcher.objects.exists()
    assert tickets.values("queue").distinct().count() >= 6
    for login in ("customer1", "customer2"):
        company = CustomerUser.objects.get(user__username=login).company
        assert tickets.filter(customer_user=login, customer_id=company.customer_id).exists()
    oldest = tickets.order_by("created_at").first().created_at
    assert 30 < (Ticket.objects.latest("created_at").created_at - oldest).days <= 90
    # Through the actions: each ticket starts with NewTicket history and has articles.
    assert TicketHistory.objects.filter(history_type=HistoryType.NEW_TICKET).count() == len(tickets)
    assert not tickets.annotate(n=Count("articles")).filter(n=0).exists()
    # The reports have figures: every ticket has its metrics row, replies carry time units,
    # and agent1 may read the reports.
    assert TicketMetrics.objects.count() == len(tickets)
    assert TicketMetrics.objects.filter(time_units__gt=0).exists()
    assert TimeAccounting.objects.filter(article__isnull=False).exists()
    assert access.can_view_reports(User.objects.get(username="agent1"))
    schedules = {s.name: s for s in ReportSchedule.objects.all()}
    assert {s.formats for s in schedules.values()} == {"csv", "both"}
    assert all(s.recipients.get().username == "agent1" for s in schedules.values())
    # Answering: text modules (one for every queue, others for some), an ACL the debugger
    # can show, a kept draft and a mention.
    modules = TextModule.objects.annotate(n=Count("queues"))
    assert modules.filter(n=0).exists() and modules.filter(n__gt=0).exists()
    assert AclRule.objects.filter(valid=True).count() == 3
    admin = User.objects.get(username="admin")
    closing = {"closed successful", "closed unsuccessful"}
    raw = factories.ticket(Queue.objects.get(full_name="Raw"), title="demoacl raw")
    assert states_taken_away(raw, admin) == closing
    assert not states_taken_away(tickets.exclude(queue__full_name="Raw").first(), admin)
    assert Draft.objects.get().user.username == "agent1"
    mention = Mention.objects.get()
    assert (mention.created_by.username, mention.user.username) == ("agent1", "agent2")
    assert TicketWatcher.objects.filter(ticket=mention.ticket, user=mention.user).exists()
    # The bell: tickets handed to the demo agents after the muted history, told in the agent
    # portal through the notification path (trace and history), not by mail.
    told = WebNotification.objects.filter(read_at__isnull=True, event_name="TicketOwnerUpdate")
    assert sorted(told.values_list("user__username", flat=True)) == ["agent1"] * 3 + ["agent2"]
    assert all(n.ticket.owner_id == n.user_id for n in told.select_related("ticket"))
    for item in told:
        assert TicketHistory.objects.filter(
            ticket=item.ticket, history_type=HistoryType.SEND_AGENT_NOTIFICATION
        ).exists()
    assert not OutboundMessage.objects.filter(kind=OutboundKind.AGENT_NOTIFICATION).exists()
    for key in ("owner_update", "responsible_update"):
        assert TicketNotification.objects.get(key=key).transports == ["web"]
    # Operations: a webhook to copy (off) and maintenance windows, one over, one to come.
    assert not Webhook.objects.get().active
    windows = MaintenanceWindow.objects.order_by("starts_at")
    now = timezone.now()
    assert [w.ends_at < now for w in windows] == [True, False]
    assert all(w.starts_at > now for w in windows[1:])

    after_first = table_sizes()
    settings.DEBUG = True
    second = run("loaddemo")

    assert "already loaded" in second
    assert "have theirs already" in second
    assert table_sizes() == after_first


def states_taken_away(ticket: Ticket, agent: User) -> set[str]:
    """The state names the active ACLs take away from ``agent`` on ``ticket``."""
    options = acl.default_options()
    kept = acl.allowed(options, user=agent, screen="close", tickets=[ticket])
    return set(
        State.objects.filter(pk__in=set(options["state"]) - set(kept["state"])).values_list(
            "name", flat=True
        )
    )


# --- loaddemo: the customer portal ------------------------------------------------------------


def test_the_demo_customers_have_portal_tickets_with_visible_and_internal_articles(settings):
    output = run("loaddemo", force=True)
    after_first = {**table_sizes(), "OutboundMessage": OutboundMessage.objects.count()}

    assert "/customer/" in output and "customer1 / customer1" in output
    for login in ("customer1", "customer2"):
        user = authenticate(username=login, password=login)
        assert user is not None and user.is_customer and user.is_active, login
        profile = CustomerUser.objects.get(user=user)
        assert profile.is_valid and profile.email and profile.company is not None
        tickets = Ticket.objects.filter(customer_user=login, merged_into=None)
        assert tickets.count() >= 3
        assert {StateType.OPEN, StateType.CLOSED} <= set(
            tickets.values_list("state__state_type", flat=True)
        )
        articles = Article.objects.filter(ticket__in=tickets)
        visible = articles.filter(is_visible_for_customer=True)
        # The customer's own requests (by web and by mail), agents' visible answers (also
        # some that are no mail), and internal notes the customer must not see.
        assert visible.filter(sender_type=SenderType.CUSTOMER, channel=Channel.WEB).exists()
        assert visible.filter(sender_type=SenderType.CUSTOMER, channel=Channel.EMAIL).exists()
        assert visible.filter(sender_type=SenderType.AGENT).exclude(channel=Channel.EMAIL).exists()
        assert articles.filter(is_visible_for_customer=False, channel=Channel.INTERNAL).exists()
        # One ticket shows all of it at once.
        assert any(
            t.articles.filter(is_visible_for_customer=True, sender_type=SenderType.AGENT).exists()
            and t.articles.filter(is_visible_for_customer=False).exists()
            for t in tickets
        )
    # Offered to customers for new tickets.
    assert Queue.objects.filter(customer_selectable=True, is_valid=True).exists()
    assert TicketType.objects.filter(customer_selectable=True, is_valid=True).exists()
    assert Service.objects.filter(customer_selectable=True, is_valid=True).exists()
    # Made-up history: nobody was mailed or notified, but for the demo's in-app news (a
    # few tickets handed to agent1 and agent2 after the history, told in the agent portal).
    assert after_first["OutboundMessage"] == 0
    assert not TicketHistory.objects.filter(
        history_type=HistoryType.SEND_CUSTOMER_NOTIFICATION
    ).exists()
    told = set(WebNotification.objects.values_list("ticket_id", flat=True))
    assert told
    notified = TicketHistory.objects.filter(history_type=HistoryType.SEND_AGENT_NOTIFICATION)
    assert set(notified.values_list("ticket_id", flat=True)) <= told

    settings.DEBUG = True
    run("loaddemo")
    assert {**table_sizes(), "OutboundMessage": OutboundMessage.objects.count()} == after_first


@pytest.fixture
def no_random_tickets(monkeypatch):
    """The 220 random tickets are not needed here (and take most of the command's time), nor
    the three SLA demo tickets."""
    monkeypatch.setattr(loaddemo._DemoTickets, "create", lambda self: None)
    monkeypatch.setattr(loaddemo._sla_demo, "_tickets", lambda: None)


def test_an_earlier_demo_gets_the_portal_tickets_once(no_random_tickets, monkeypatch):
    with monkeypatch.context() as patched:
        # A demo loaded before the portal tickets existed.
        patched.setattr(loaddemo._PortalTickets, "create", lambda self: None)
        run("loaddemo", force=True)
    assert not Ticket.objects.exists()

    output = run("loaddemo", force=True)
    stories = len(loaddemo.PORTAL_STORIES)
    assert f"Created {2 * stories} tickets for the customer portal." in output
    for login in ("customer1", "customer2"):
        assert Ticket.objects.filter(customer_user=login).count() == stories
    sizes = table_sizes()

    assert "already loaded" in run("loaddemo", force=True)
    assert table_sizes() == sizes


def test_the_demo_customers_are_made_able_to_sign_in(no_random_tickets):
    locked_out = factories.customer("customer1")
    locked_out.set_unusable_password()
    locked_out.is_active = False
    locked_out.save()
    CustomerUser.objects.create(user=locked_out, email="", is_valid=False)
    own_password = factories.customer("customer2")
    own_password.set_password("a-secret-of-dans")
    own_password.save()

    run("loaddemo", force=True)

    assert authenticate(username="customer1", password="customer1") is not None
    profile = CustomerUser.objects.get(user__username="customer1")
    assert profile.is_valid and profile.email == "carla@acme.example"
    assert profile.company == CustomerCompany.objects.get(customer_id="ACME")
    # A password somebody chose is theirs.
    assert authenticate(username="customer2", password="a-secret-of-dans") is not None
    assert CustomerUser.objects.get(user__username="customer2").email


def test_the_demo_keeps_what_an_administrator_offers_to_customers(no_random_tickets):
    run("loaddemo", force=True)
    offered = set(Queue.objects.filter(customer_selectable=True).values_list("pk", flat=True))
    assert len(offered) > 1
    keep = min(offered)
    Queue.objects.exclude(pk=keep).update(customer_selectable=False)

    run("loaddemo", force=True)

    assert list(Queue.objects.filter(customer_selectable=True).values_list("pk", flat=True)) == [
        keep
    ]


# --- filldb ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("generator", ["DateChecksum", "AutoIncrement", "Random"])
def test_it_fills_the_database_with_unique_numbers(settings, generator):
    settings.TICKET_NUMBER_GENERATOR = generator
    before = Ticket.objects.count()

    output = run("filldb", tickets=150, articles_per_ticket=2, batch=40)
    run("filldb", tickets=50, articles_per_ticket=1, batch=40, seed=2)

    tickets = Ticket.objects.all()
    assert tickets.count() == before + 200
    assert tickets.values("number").distinct().count() == tickets.count()
    assert "150 tickets" in output
    assert Article.objects.count() == 150 * 2 + 50
    assert TicketHistory.objects.filter(history_type=HistoryType.NEW_TICKET).count() == 200
    assert TicketHistory.objects.count() == 200 + 150 * 2 + 50
    assert not tickets.annotate(n=Count("articles")).filter(n=0).exists()
    assert tickets.filter(state__state_type=StateType.CLOSED).count() > 100
    assert tickets.filter(queue__full_name="Raw", state__state_type=StateType.OPEN).exists()
    # The actions keep working after the bulk load (ids and numbers move on).
    queue = tickets.first().queue
    ticket = factories.ticket(queue)
    assert ticket.pk > max(tickets.exclude(pk=ticket.pk).values_list("pk", flat=True))
    assert not Ticket.objects.filter(number=ticket.number).exclude(pk=ticket.pk).exists()


def test_the_filled_articles_are_in_the_full_text_index():
    """filldb skips PostgreSQL's foreign-key triggers (session_replication_role = replica);
    the articles' search-vector trigger must fire all the same (tickets 0039), or full-text
    search finds none of the filled tickets. SQLite's FTS5 table is kept by triggers too;
    MariaDB's FULLTEXT index is the engine's own."""
    run("filldb", tickets=20, articles_per_ticket=2, batch=10)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM tickets_article WHERE search_vector IS NULL")
            assert cursor.fetchone()[0] == 0
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM tickets_article_fts")
            assert cursor.fetchone()[0] == Article.objects.count()
        else:
            pytest.skip("MariaDB keeps its FULLTEXT index itself")


def test_it_refuses_an_unknown_hot_queue():
    with pytest.raises(CommandError, match="Nowhere"):
        run("filldb", tickets=10, hot_queue="Nowhere")


# --- attachment_storage ---------------------------------------------------------------------------


@pytest.fixture
def attachment_dir(settings, tmp_path, monkeypatch):
    """The attachment storage in a temporary directory.

    Overriding settings.STORAGES alone is not enough: Attachment.file evaluates its storage
    callable once, when the model class is built, so the field's storage is replaced too.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    monkeypatch.setattr(
        Attachment._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path)
    )
    return tmp_path


def files_in(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


def test_it_moves_attachments_both_ways(
    support, settings, attachment_dir, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_STORAGE = "fs"
    payloads = {"report.pdf": bytes(range(256)) * 20, "empty.txt": b"", "note.txt": b"hi\x00\n"}
    ticket = factories.ticket(support.queue)
    actions.add_article(
        ticket,
        ArticleInput(
            body="Files.",
            attachments=[AttachmentInput(name, content) for name, content in payloads.items()],
        ),
        actor=support.rw,
    )
    assert len(files_in(attachment_dir)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        output = run("attachment_storage", to="db", batch=2)

    assert "Moved 3 attachment(s) to the database" in output
    assert files_in(attachment_dir) == []
    for attachment in Attachment.objects.all():
        assert attachment.in_database and not attachment.file
        assert attachment.read() == payloads[attachment.filename]
    with django_capture_on_commit_callbacks(execute=True):
        assert "Moved 0" in run("attachment_storage", to="db")

    with django_capture_on_commit_callbacks(execute=True):
        output = run("attachment_storage", to="fs")

    assert "Moved 3 attachment(s) to the file storage" in output
    assert len(files_in(attachment_dir)) == 3
    for attachment in Attachment.objects.all():
        assert not attachment.in_database and attachment.file
        assert attachment.read() == payloads[attachment.filename]
        assert attachment.size == len(payloads[attachment.filename])
    assert "Moved 0" in run("attachment_storage", to="fs")


def test_it_keeps_the_file_when_the_move_to_the_database_fails(
    support, settings, attachment_dir, django_capture_on_commit_callbacks, monkeypatch
):
    settings.ATTACHMENT_STORAGE = "fs"
    ticket = factories.ticket(support.queue)
    actions.add_article(
        ticket,
        ArticleInput(body="File.", attachments=[AttachmentInput("a.bin", b"abc")]),
        actor=support.rw,
    )

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Attachment, "save", broken_save)
    with django_capture_on_commit_callbacks(execute=True):
        output = run("attachment_storage", to="db")

    assert "1 failed" in output
    assert len(files_in(attachment_dir)) == 1
    assert Attachment.objects.get().read() == b"abc"


@pytest.mark.parametrize("command", ["loaddemo", "filldb", "attachment_storage"])
def test_it_prints_the_help_of_each_command(command, capsys):
    with pytest.raises(SystemExit) as finished:
        call_command(command, "--help")
    assert finished.value.code == 0
    assert "usage:" in capsys.readouterr().out

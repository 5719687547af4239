"""``manage.py filldb --tickets N``: many synthetic tickets, fast, for benchmarks.

This command is the one documented exception to "actions own every change": it is a bulk
generator for benchmarks, not a way to create real tickets. It writes tickets, their articles
and their history rows directly, in batches (``COPY`` on PostgreSQL, ``bulk_create``
elsewhere), because going through ``tickets.actions`` one ticket at a time would take hours
for a million tickets. What it writes has the shape the actions would have written: numbers
from ``tickets.numbers.reserve_numbers`` (per creation day, so date-based numbers match the
ticket's age), a ``NewTicket`` history row per ticket and one history row per article. It
sends no events, takes no ticket locks and checks no permissions; run it on a benchmark
database, not on a production one.

The data: ``--tickets`` tickets spread over ``--days`` days, oldest first (ids grow with
time), most of them closed; ``--hot-queue`` gets about a tenth of all tickets in viewable
states (so with a million tickets it holds ~100,000 open ones, which is what the queue-view
benchmark needs), another share of viewable tickets is spread over the other valid queues.
Owners, customers, priorities and states come from what exists (run ``loaddemo`` first for
agents and customers; without them tickets belong to the system user and synthetic
customers). ``--seed`` makes the data reproducible.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from customers.models import CustomerUser
from otrs.accounts.models import User, UserKind, system_user
from tickets import numbers, ticket_counts
from tickets.choices import Channel, HistoryType, LockState, SenderType, StateType
from tickets.models import (
    Article,
    Priority,
    Queue,
    State,
    Ticket,
    TicketHistory,
    TicketType,
    message_id_hash,
)

# Shares of all generated tickets (the rest is closed, in any queue).
HOT_QUEUE_VIEWABLE_SHARE = 0.10
OTHER_VIEWABLE_SHARE = 0.08
# Of the closed tickets, the share that lives in the hot queue.
HOT_QUEUE_CLOSED_SHARE = 0.2
# How the viewable tickets are spread over the viewable state types.
VIEWABLE_MIX = (
    (StateType.NEW, 25),
    (StateType.OPEN, 65),
    (StateType.PENDING_REMINDER, 6),
    (StateType.PENDING_AUTO, 4),
)
CLOSED_SUCCESSFUL_SHARE = 0.85
LOCKED_SHARE = 0.25
PRIORITY_WEIGHTS = {1: 3, 2: 10, 3: 70, 4: 12, 5: 5}
SYNTHETIC_CUSTOMERS = 5000

SUBJECTS = (
    "Printer on the second floor prints blank pages",
    "VPN connection drops every few minutes",
    "Question about invoice {n}",
    "Password reset for the ERP account",
    "New laptop for a new colleague",
    "Outlook does not sync the shared calendar",
    "Cannot access the file share",
    "Monitor flickers after the docking station update",
    "Order {n}: delivery delayed",
    "Request for a software licence",
    "Phone line in meeting room {n} is dead",
    "Website contact form returns an error",
    "Please update our billing address",
    "Backup job failed on server {n}",
    "Wi-Fi in the warehouse is very slow",
)
BODIES = (
    "Hello,\n\n{subject}. It started this morning and several colleagues are affected. "
    "Could you please have a look?\n\nKind regards",
    "Hi team,\n\nfollowing up on my earlier message: {subject}. We tried restarting, "
    "without success. Reference {n}.\n\nThanks",
    "Dear support,\n\n{subject}. This is blocking our work; please call me back.\n\nBest",
)
REPLIES = (
    "Hello,\n\nthank you for your message. We are looking into it and will get back to you "
    "shortly.\n\nYour service desk",
    "Hello,\n\ncould you please send us a screenshot of the error message?\n\nYour service desk",
    "Hello,\n\nthe issue should be fixed now. Please let us know if it happens again.\n\n"
    "Your service desk",
)
NOTES = (
    "Checked the logs, nothing obvious. Escalating to second level.",
    "Called the customer, waiting for feedback.",
    "Known issue, see the change scheduled for the weekend.",
)

# The columns written for each model, in order; other fields get their defaults.
TICKET_COLUMNS = (
    "id",
    "number",
    "title",
    "queue_id",
    "state_id",
    "priority_id",
    "type_id",
    "lock",
    "owner_id",
    "responsible_id",
    "customer_id",
    "customer_user",
    "pending_until",
    "unlock_anchor_at",
    "created_at",
    "created_by_id",
    "changed_at",
    "changed_by_id",
)
ARTICLE_COLUMNS = (
    "id",
    "ticket_id",
    "channel",
    "sender_type",
    "is_visible_for_customer",
    "from_address",
    "to_address",
    "subject",
    "message_id",
    "message_id_md5",
    "body",
    "created_at",
    "created_by_id",
)
HISTORY_COLUMNS = (
    "id",
    "ticket_id",
    "article_id",
    "history_type",
    "old_value",
    "new_value",
    "extra",
    "queue_id",
    "state_id",
    "priority_id",
    "type_id",
    "owner_id",
    "created_at",
    "actor_id",
)


class Command(BaseCommand):
    help = (
        "Generate many synthetic tickets with articles and history in bulk, for benchmarks. "
        "Bypasses the ticket actions; never run it on a production database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, required=True, help="How many tickets.")
        parser.add_argument(
            "--articles-per-ticket", type=int, default=2, help="Articles per ticket (default 2)."
        )
        parser.add_argument(
            "--batch", type=int, default=5000, help="Tickets per transaction (default 5000)."
        )
        parser.add_argument(
            "--days", type=int, default=730, help="Spread creation over this many days."
        )
        parser.add_argument(
            "--hot-queue",
            default="Raw",
            help="Full name of the queue that gets a tenth of all tickets as open ones.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed.")

    def handle(self, *args, **options) -> None:
        total = options["tickets"]
        per_ticket = options["articles_per_ticket"]
        batch_size = options["batch"]
        if total < 1 or per_ticket < 0 or batch_size < 1 or options["days"] < 1:
            raise CommandError("--tickets, --batch and --days must be positive.")
        plan = _Plan(
            random.Random(options["seed"]),
            hot_queue_name=options["hot_queue"],
            articles_per_ticket=per_ticket,
            span=timedelta(days=options["days"]),
            total=total,
        )
        writer = _Writer()
        self.stdout.write(
            f"Generating {total:,} tickets with {per_ticket} article(s) each on "
            f"{connection.vendor}, hot queue {plan.hot_queue.full_name!r} ..."
        )
        started = last_report = time.monotonic()
        done = 0
        while done < total:
            count = min(batch_size, total - done)
            with transaction.atomic():
                writer.begin_batch()
                plan.write_batch(writer, first_index=done, count=count)
                writer.end_batch()
            done += count
            now = time.monotonic()
            if now - last_report >= 5 or done == total:
                last_report = now
                rate = done / max(now - started, 1e-9)
                eta = (total - done) / rate
                self.stdout.write(
                    f"  {done:>12,} / {total:,} tickets  {rate:,.0f}/s  eta {eta:,.0f}s",
                )
        loaded = time.monotonic() - started
        # The batches recorded their counts as changes; move them into the counts now
        # rather than leave a large load's worth for the daemon (tickets.ticket_counts).
        ticket_counts.fold()
        self.stdout.write("Updating planner statistics ...")
        writer.analyze([Ticket, Article, TicketHistory])
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {total:,} tickets, {total * per_ticket:,} articles and "
                f"{total * (per_ticket + 1):,} history rows in {loaded:,.1f}s "
                f"({elapsed:,.1f}s with statistics)."
            )
        )


class _Plan:
    """The master data the tickets draw from, and the random choices per ticket."""

    def __init__(
        self,
        rng: random.Random,
        *,
        hot_queue_name: str,
        articles_per_ticket: int,
        span: timedelta,
        total: int,
    ) -> None:
        self.rng = rng
        self.articles_per_ticket = articles_per_ticket
        self.total = total
        self.end = timezone.now()
        self.start = self.end - span
        queues = list(Queue.objects.valid().order_by("pk"))
        self.hot_queue = next((q for q in queues if q.full_name == hot_queue_name), None)
        if self.hot_queue is None:
            raise CommandError(
                f"There is no valid queue {hot_queue_name!r}; choose one of: "
                + ", ".join(q.full_name for q in queues)
            )
        self.other_queues = [q for q in queues if q.pk != self.hot_queue.pk] or [self.hot_queue]
        self.states = _states_by_type()
        self.new_state_id = self.states[StateType.NEW][0]
        self.priorities, self.priority_weights = _priorities()
        ticket_type = TicketType.objects.valid().filter(is_default=True).first()
        ticket_type = ticket_type or TicketType.objects.valid().order_by("pk").first()
        if ticket_type is None:
            raise CommandError("There is no valid ticket type; run the migrations first.")
        self.type_id = ticket_type.pk
        self.system_id = system_user().pk
        self.agent_ids = list(
            User.objects.filter(kind=UserKind.AGENT, is_active=True).values_list("pk", flat=True)
        )
        self.customers = [
            (login, customer_id or "")
            for login, customer_id in CustomerUser.objects.filter(is_valid=True).values_list(
                "user__username", "company__customer_id"
            )
        ]

    # --- per ticket ---------------------------------------------------------------------------

    def _created_at(self, index: int) -> datetime:
        """Oldest first, evenly spread with a little jitter."""
        step = (self.end - self.start) / self.total
        return self.start + step * (index + self.rng.random())

    def _queue_and_state(self) -> tuple[Queue, int, str]:
        rng = self.rng
        draw = rng.random()
        if draw < HOT_QUEUE_VIEWABLE_SHARE + OTHER_VIEWABLE_SHARE:
            queue = (
                self.hot_queue if draw < HOT_QUEUE_VIEWABLE_SHARE else rng.choice(self.other_queues)
            )
            state_type = rng.choices(
                [t for t, _w in VIEWABLE_MIX], weights=[w for _t, w in VIEWABLE_MIX]
            )[0]
        else:
            queue = (
                self.hot_queue
                if rng.random() < HOT_QUEUE_CLOSED_SHARE
                else rng.choice(self.other_queues)
            )
            state_type = StateType.CLOSED
        candidates = self.states.get(state_type) or self.states[StateType.OPEN]
        if state_type == StateType.CLOSED and len(candidates) > 1:
            # Closed successful comes first (lowest id, as in OTRS).
            state_id = candidates[0] if rng.random() < CLOSED_SUCCESSFUL_SHARE else candidates[1]
        else:
            state_id = rng.choice(candidates)
        return queue, state_id, state_type

    def _customer(self) -> tuple[str, str]:
        if self.customers and self.rng.random() < 0.2:
            return self.rng.choice(self.customers)
        k = self.rng.randrange(SYNTHETIC_CUSTOMERS)
        return f"user{k}@customer{k // 10}.example.com", f"customer{k // 10}"

    # --- per batch ----------------------------------------------------------------------------

    def write_batch(self, writer: _Writer, *, first_index: int, count: int) -> None:
        rng = self.rng
        ticket_ids = writer.reserve_ids(Ticket, count)
        article_ids = iter(writer.reserve_ids(Article, count * self.articles_per_ticket))
        history_ids = iter(
            writer.reserve_ids(TicketHistory, count * (self.articles_per_ticket + 1))
        )
        created = [self._created_at(first_index + i) for i in range(count)]
        ticket_numbers = _numbers_for(created)
        tickets, articles, history = [], [], []
        for ticket_id, number, created_at in zip(ticket_ids, ticket_numbers, created, strict=True):
            queue, state_id, state_type = self._queue_and_state()
            priority_id = rng.choices(self.priorities, weights=self.priority_weights)[0]
            viewable = state_type != StateType.CLOSED
            owner_id = self.system_id
            lock = LockState.UNLOCK
            if viewable and self.agent_ids and rng.random() < LOCKED_SHARE:
                owner_id, lock = rng.choice(self.agent_ids), LockState.LOCK
            customer_user, customer_id = self._customer()
            n = rng.randrange(10000, 99999)
            title = rng.choice(SUBJECTS).format(n=n)
            pending_until = None
            if state_type in (StateType.PENDING_REMINDER, StateType.PENDING_AUTO):
                pending_until = self.end + timedelta(hours=rng.randrange(-48, 24 * 14))
            history.append(
                (
                    next(history_ids),
                    ticket_id,
                    None,
                    HistoryType.NEW_TICKET,
                    "",
                    number,
                    {"queue_id": queue.pk, "priority_id": priority_id, "state_id": state_id},
                    queue.pk,
                    self.new_state_id,
                    priority_id,
                    self.type_id,
                    self.system_id,
                    created_at,
                    self.system_id,
                )
            )
            changed_at = created_at
            for position in range(self.articles_per_ticket):
                article_id = next(article_ids)
                if position:
                    changed_at = min(
                        changed_at + timedelta(minutes=rng.randrange(5, 3 * 24 * 60)), self.end
                    )
                kind = 0 if position == 0 else rng.randrange(1, 4)
                article, history_type, actor = self._article(
                    kind, article_id, ticket_id, number, title, customer_user, owner_id, n
                )
                articles.append((*article, changed_at, actor))
                history.append(
                    (
                        next(history_ids),
                        ticket_id,
                        article_id,
                        history_type,
                        "",
                        str(article_id),
                        {},
                        queue.pk,
                        state_id,
                        priority_id,
                        self.type_id,
                        owner_id,
                        changed_at,
                        actor,
                    )
                )
            tickets.append(
                (
                    ticket_id,
                    number,
                    title,
                    queue.pk,
                    state_id,
                    priority_id,
                    self.type_id,
                    lock,
                    owner_id,
                    owner_id,
                    customer_id,
                    customer_user,
                    pending_until,
                    changed_at if lock != LockState.UNLOCK else None,
                    created_at,
                    self.system_id,
                    changed_at,
                    self.system_id,
                )
            )
        writer.insert(Ticket, TICKET_COLUMNS, tickets)
        # The maintained queue counts, in the batch's transaction (tickets.ticket_counts).
        ticket_counts.apply(ticket_counts.tally((t[3], t[4], t[7]) for t in tickets))
        writer.insert(Article, ARTICLE_COLUMNS, articles)
        writer.insert(TicketHistory, HISTORY_COLUMNS, history)

    def _article(
        self,
        kind: int,
        article_id: int,
        ticket_id: int,
        number: str,
        title: str,
        customer_user: str,
        owner_id: int,
        n: int,
    ) -> tuple[tuple, str, int]:
        """One article without its time and author, its history type and its author."""
        rng = self.rng
        agent = owner_id
        if agent == self.system_id and self.agent_ids:
            agent = rng.choice(self.agent_ids)
        subject = f"[{settings.TICKET_HOOK}{number}] {title}"
        if kind in (0, 3):  # the customer writes (first mail or follow-up)
            message_id = f"<filldb.{ticket_id}.{article_id}@customer.example.com>"
            body = rng.choice(BODIES).format(subject=title, n=n)
            values = (
                article_id,
                ticket_id,
                Channel.EMAIL,
                SenderType.CUSTOMER,
                True,
                customer_user,
                "support@example.com",
                subject if kind else title,
                message_id,
                message_id_hash(message_id),
                body,
            )
            history_type = HistoryType.EMAIL_CUSTOMER if kind == 0 else HistoryType.FOLLOW_UP
            return values, history_type, self.system_id
        if kind == 1:  # an agent answers by mail
            message_id = f"<filldb.{ticket_id}.{article_id}@support.example.com>"
            values = (
                article_id,
                ticket_id,
                Channel.EMAIL,
                SenderType.AGENT,
                True,
                "support@example.com",
                customer_user,
                f"Re: {subject}",
                message_id,
                message_id_hash(message_id),
                rng.choice(REPLIES),
            )
            return values, HistoryType.SEND_ANSWER, agent
        values = (  # an internal note
            article_id,
            ticket_id,
            Channel.INTERNAL,
            SenderType.AGENT,
            False,
            "",
            "",
            "Note",
            "",
            "",
            rng.choice(NOTES),
        )
        return values, HistoryType.ADD_NOTE, agent


def _states_by_type() -> dict[str, list[int]]:
    by_type: dict[str, list[int]] = {}
    for pk, state_type in State.objects.valid().order_by("pk").values_list("pk", "state_type"):
        by_type.setdefault(state_type, []).append(pk)
    for needed in (StateType.NEW, StateType.OPEN, StateType.CLOSED):
        if needed not in by_type:
            raise CommandError(f"There is no valid state of type {needed!r}.")
    return by_type


def _priorities() -> tuple[list[int], list[int]]:
    rows = list(Priority.objects.valid().values_list("pk", "level"))
    if not rows:
        raise CommandError("There is no valid priority; run the migrations first.")
    return [pk for pk, _level in rows], [PRIORITY_WEIGHTS.get(level, 1) for _pk, level in rows]


def _numbers_for(created: Sequence[datetime]) -> list[str]:
    """Ticket numbers for tickets created at ``created``, reserved once per local day so
    that date-based numbers carry the ticket's own creation date."""
    result: list[str] = []
    run: list[datetime] = []
    for moment in created:
        if run and timezone.localdate(moment) != timezone.localdate(run[0]):
            result += numbers.reserve_numbers(len(run), run[0])
            run = []
        run.append(moment)
    if run:
        result += numbers.reserve_numbers(len(run), run[0])
    if settings.TICKET_NUMBER_GENERATOR == "Random":
        result = _without_collisions(result, created)
    return result


def _without_collisions(drawn: list[str], created: Sequence[datetime]) -> list[str]:
    """Random numbers can collide (with each other and with existing tickets); redraw those."""
    for _attempt in range(100):
        seen: set[str] = set()
        clashes = set(Ticket.objects.filter(number__in=drawn).values_list("number", flat=True))
        bad = []
        for position, number in enumerate(drawn):
            if number in seen or number in clashes:
                bad.append(position)
            seen.add(number)
        if not bad:
            return drawn
        for position, number in zip(
            bad, numbers.reserve_numbers(len(bad), created[bad[0]]), strict=True
        ):
            drawn[position] = number
    raise CommandError("Could not draw unique random ticket numbers.")


class _Writer:
    """Writes rows with ids chosen up front: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

    Ids come from the table's sequence on PostgreSQL, so concurrent writers are safe; on the
    other databases they continue from the highest id (SQLite takes the write lock when the
    batch's transaction begins; on MariaDB run this on an otherwise idle database).
    """

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.superuser = False
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                row = cursor.fetchone()
                self.superuser = bool(row and row[0])

    def begin_batch(self) -> None:
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            # A benchmark load may lose its last batches in a crash; it cannot corrupt.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if self.superuser:
                # Skip the per-row foreign-key triggers (as pg_restore does): every id written
                # is reserved from its sequence or read from existing master data just before,
                # and checking ~40 references per ticket one by one is a third of the load.
                cursor.execute("SET LOCAL session_replication_role = replica")

    def end_batch(self) -> None:
        if self.postgres and self.superuser:
            # Triggers are skipped when the row is written, not at commit, so this is safe;
            # it keeps a caller's transaction (a test's) from running on without them.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    def reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            first = (cursor.fetchone()[0] or 0) + 1
        return list(range(first, first + count))

    def insert(
        self, model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]
    ) -> None:
        if not rows:
            return
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise CommandError(f"{model.__name__} has no field(s) {unknown}; update filldb.")
        missing = [f for name, f in fields.items() if name not in columns]
        defaults = tuple(f.get_default() for f in missing)
        all_columns = (*columns, *(f.attname for f in missing))
        fields_in_order = [fields[c] for c in all_columns]
        if self.postgres:
            self._copy(model, fields_in_order, rows, defaults)
        else:
            self._insert_many(model, fields_in_order, rows, defaults)

    def _copy(self, model, fields, rows, defaults) -> None:
        quote = connection.ops.quote_name
        json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        sql = (
            f"COPY {quote(model._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
        )
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                values = [*row, *defaults]
                for i in json_positions:
                    values[i] = json.dumps(values[i])
                copy.write_row(values)

    def _insert_many(self, model, fields, rows, defaults) -> None:
        """A plain ``executemany`` INSERT: the drivers batch it, and it skips the per-object
        work of ``bulk_create``, which dominates at this size. Only datetimes and JSON need
        the backend's adaptation; every other value is already what the driver expects."""
        ops = connection.ops
        adapters = {}
        for i, field in enumerate(fields):
            if isinstance(field, models.DateTimeField):
                adapters[i] = ops.adapt_datetimefield_value
            elif isinstance(field, models.JSONField):
                adapters[i] = json.dumps
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names, not values)
            ops.quote_name(model._meta.db_table),
            ", ".join(ops.quote_name(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        prepared = []
        for row in rows:
            values = [*row, *defaults]
            for i, adapt in adapters.items():
                if values[i] is not None:
                    values[i] = adapt(values[i])
            prepared.append(values)
        with connection.cursor() as cursor:
            for start in range(0, len(prepared), 1000):
                cursor.executemany(sql, prepared[start : start + 1000])

    def analyze(self, models_: Sequence[type[models.Model]]) -> None:
        """Fresh planner statistics, so the first benchmark does not run on empty ones."""
        tables = [connection.ops.quote_name(m._meta.db_table) for m in models_]
        in_transaction = connection.in_atomic_block
        with connection.cursor() as cursor:
            if self.postgres:
                # VACUUM also fills the visibility map, which index-only scans rely on; it
                # cannot run inside a transaction (a caller's, such as a test's).
                command = "ANALYZE" if in_transaction else "VACUUM (ANALYZE)"
                cursor.execute(f"{command} {', '.join(tables)}")
            elif connection.vendor == "mysql":
                # ANALYZE TABLE commits implicitly: never inside a caller's transaction.
                if not in_transaction:
                    cursor.execute(f"ANALYZE TABLE {', '.join(tables)}")
            else:
                cursor.execute("ANALYZE")

"""Ticket number generators (spec section 2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from tickets import numbers
from tickets.models import Queue, Ticket, TicketNumberCounter, TicketNumberDraw

JAN_15 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def generator(settings):
    settings.SYSTEM_ID = 10

    def use(name: str) -> None:
        settings.TICKET_NUMBER_GENERATOR = name

    return use


# --- DateChecksum check digit --------------------------------------------------------------------


def test_it_computes_the_spec_example_check_digit():
    assert numbers.checksum_digit("202401151000001") == 3


def test_it_turns_a_check_digit_of_ten_into_one():
    # 2+0+2+8+0+2+1+10+1+0+0+0+0+0+4 = 30, and 10 - 0 would be 10.
    assert numbers.checksum_digit("202401151000004") == 1
    assert numbers.checksum_digit("0") == 1


def test_it_weights_digits_one_two_from_the_left():
    assert numbers.checksum_digit("1") == 9  # 1*1
    assert numbers.checksum_digit("01") == 8  # 0*1 + 1*2
    assert numbers.checksum_digit("10") == 9  # 1*1 + 0*2 = 1
    assert numbers.checksum_digit("13") == 3  # 1*1 + 3*2 = 7


def test_it_never_gives_a_check_digit_of_zero():
    digits = {numbers.checksum_digit(f"2024011510{n:05d}") for n in range(1, 200)}
    assert 0 not in digits
    assert digits <= set(range(1, 10))


# --- formats -------------------------------------------------------------------------------------


def test_it_formats_auto_increment_as_system_id_and_padded_counter(db, generator):
    generator("AutoIncrement")

    assert [numbers.next_number(JAN_15) for _ in range(3)] == ["1000001", "1000002", "1000003"]


def test_it_formats_date_as_day_system_id_and_counter(db, generator):
    generator("Date")

    assert [numbers.next_number(JAN_15) for _ in range(2)] == ["20240115101", "20240115102"]


def test_it_formats_date_checksum_with_padded_counter_and_check_digit(db, generator):
    generator("DateChecksum")

    first, second = numbers.next_number(JAN_15), numbers.next_number(JAN_15)

    assert first == "2024011510000013"
    assert second[:15] == "202401151000002"
    assert second[15:] == str(numbers.checksum_digit("202401151000002"))


def test_it_formats_random_as_system_id_and_ten_digits(db, generator):
    generator("Random")

    drawn = [numbers.next_number(JAN_15) for _ in range(20)]

    assert all(re.fullmatch(r"10\d{10}", n) for n in drawn)
    assert len(set(drawn)) == 20


def test_it_embeds_the_configured_system_id(db, generator, settings):
    generator("DateChecksum")
    settings.SYSTEM_ID = 42

    number = numbers.next_number(JAN_15)

    assert number.startswith("2024011542")
    assert len(number) == 16


@pytest.mark.parametrize(
    ("name", "day_one", "day_two"),
    [
        ("Date", ["20240115101", "20240115102", "20240115104"], "20240116101"),
        (
            "DateChecksum",
            ["2024011510000013", "2024011510000022", "2024011510000041"],
            "2024011610000011",
        ),
    ],
)
def test_it_restarts_the_counter_each_day(db, generator, name, day_one, day_two):
    generator(name)
    first, second = numbers.next_number(JAN_15), numbers.next_number(JAN_15)

    next_day = numbers.next_number(JAN_15 + timedelta(days=1))
    third = numbers.next_number(JAN_15)

    # The days share one series of draws: a number of the 15th drawn after one of the
    # 16th (a creation that straddles midnight) leaves a gap on the 15th.
    assert [first, second, third] == day_one
    assert next_day == day_two


def test_it_never_restarts_the_auto_increment_counter(db, generator):
    generator("AutoIncrement")
    numbers.next_number(JAN_15)

    assert numbers.next_number(JAN_15 + timedelta(days=1)) == "1000002"


def test_it_reserves_consecutive_numbers_at_once(db, generator):
    generator("AutoIncrement")

    assert numbers.reserve_numbers(3, JAN_15) == ["1000001", "1000002", "1000003"]
    assert numbers.next_number(JAN_15) == "1000004"


def test_the_cleanup_keeps_the_newest_draw_and_the_counters_go_on(db, generator):
    generator("DateChecksum")
    drawn = [numbers.next_number(JAN_15) for _ in range(3)]
    kept_rows = 0 if connection.vendor == "postgresql" else 1  # PostgreSQL keeps no rows

    assert numbers.cleanup_draws(timezone.now()) == 0  # none older than ten minutes
    deleted = numbers.cleanup_draws(timezone.now() + timedelta(minutes=11))

    assert TicketNumberDraw.objects.count() == kept_rows
    assert deleted == (0 if kept_rows == 0 else 2)
    assert numbers.cleanup_draws(timezone.now() + timedelta(minutes=11)) == 0
    # A new day's counter starts after the high water mark, and today's goes on.
    assert numbers.next_number(JAN_15)[10:15] == "00004"
    assert numbers.next_number(JAN_15 + timedelta(days=1))[10:15] == "00001"
    assert [n[10:15] for n in drawn] == ["00001", "00002", "00003"]


# --- AutoIncrement after an emptied counter table ------------------------------------------------


def test_it_continues_auto_increment_from_the_last_ticket(support, generator):
    generator("AutoIncrement")
    tickets = [factories.ticket(support.queue) for _ in range(3)]
    assert [t.number for t in tickets] == ["1000001", "1000002", "1000003"]
    TicketNumberCounter.objects.all().delete()

    assert factories.ticket(support.queue).number == "1000004"


def test_it_starts_auto_increment_at_one_after_date_based_numbers(support, generator):
    generator("DateChecksum")
    factories.ticket(support.queue)
    TicketNumberCounter.objects.all().delete()
    generator("AutoIncrement")

    assert factories.ticket(support.queue).number == "1000001"


# --- finding numbers in subjects -----------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "[Ticket#2024011510000013] Printer on fire",
        "Re: [Ticket#2024011510000013] Printer on fire",
        "Printer on fire [Ticket#2024011510000013]",
        "Ticket#2024011510000013 printer",
        "Ticket#: 2024011510000013 printer",
        "Ticket#:  2024011510000013",
        "Ticket#:2024011510000013",
        "AW: [TICKET#2024011510000013] Drucker",
        "re: [ticket#2024011510000013]",
    ],
)
def test_it_finds_a_date_checksum_number_in_a_subject(generator, subject):
    generator("DateChecksum")

    assert numbers.find_number(subject) == "2024011510000013"


@pytest.mark.parametrize(
    "subject",
    [
        "Printer on fire",
        "2024011510000013 without the hook",
        "[Ticket#2024011599000013] another system",
        "Ticket#:   2024011510000013 three spaces",
        "[Ticket#] empty",
    ],
)
def test_it_finds_no_number_where_there_is_none(generator, subject):
    generator("DateChecksum")

    assert numbers.find_number(subject) is None


def test_it_finds_numbers_of_each_generator(generator):
    cases = {
        "AutoIncrement": "1000042",
        "Date": "20240115101",
        "DateChecksum": "2024011510000013",
        "Random": "104812345678",
    }
    for name, number in cases.items():
        generator(name)
        assert numbers.find_number(f"Re: [Ticket#{number}] Hi") == number, name


def test_it_honours_the_configured_hook(generator, settings):
    generator("AutoIncrement")
    settings.TICKET_HOOK = "Call#"

    assert numbers.find_number("[Call#1000042] Hi") == "1000042"
    assert numbers.find_number("[Ticket#1000042] Hi") is None


# --- uniqueness across processes -----------------------------------------------------------------


def _draw(count: int) -> list[str]:
    return [numbers.next_number(JAN_15) for _ in range(count)]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("counter", ["new", "in_use"])
def test_it_hands_out_each_number_once_across_processes(generator, run_in_processes, counter):
    """ "new": the day's counter row does not exist yet, so the processes race to create it;
    "in_use": it exists, so they only queue on its row lock."""
    generator("DateChecksum")
    drawn = [numbers.next_number(JAN_15)] if counter == "in_use" else []
    processes, each = 4, 40

    drawn += [n for batch in run_in_processes(_draw, [(each,)] * processes) for n in batch]

    total = len(drawn)
    assert total == processes * each + (1 if counter == "in_use" else 0)
    assert len(set(drawn)) == total
    assert sorted(int(n[10:15]) for n in drawn) == list(range(1, total + 1))
    assert all(n[-1] == str(numbers.checksum_digit(n[:15])) for n in drawn)
    assert TicketNumberCounter.objects.filter(scope="20240115").count() == 1


def _create_tickets(queue_id: int, count: int) -> list[str]:
    queue = Queue.objects.get(pk=queue_id)
    return [factories.ticket(queue, title=f"Ticket {i}").number for i in range(count)]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_creates_tickets_with_unique_numbers_across_processes(generator, run_in_processes):
    generator("AutoIncrement")
    queue = factories.queue("Parallel")
    processes, each = 4, 10

    created = run_in_processes(_create_tickets, [(queue.pk, each)] * processes)

    numbers_made = [n for batch in created for n in batch]
    stored = set(Ticket.objects.filter(queue=queue).values_list("number", flat=True))
    assert len(numbers_made) == processes * each
    assert set(numbers_made) == stored
    assert stored == {f"10{n:05d}" for n in range(1, processes * each + 1)}

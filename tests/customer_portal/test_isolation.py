"""A customer sees their own tickets and their companies' tickets, nothing else.

Every ticket URL of the portal answers the same 404 for what is missing and for what belongs
to someone else; internal notes and their files never reach a customer; and for random
customers, companies and tickets the list, the ticket page and the access layer agree with
each other and with the rule written out here in Python.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.customer_portal import ticket_data as data
from tickets import access, actions
from tickets.models import State, Ticket

pytestmark = pytest.mark.django_db

MISSING = 987654321


@pytest.fixture(autouse=True)
def _no_broker(event_handlers):
    """Queued mail stays in the table: nobody asks the daemon to send it."""
    event_handlers.unsubscribe("otrs.mail.send_queued")


@pytest.fixture
def world(db):
    """wile (Acme) and his colleague; bugs (Looney, another company); a loner without
    company; their tickets, each with a visible answer carrying a file."""
    acme, looney = data.company("ACME", "Acme"), data.company("LOONEY", "Looney")
    queue = data.portal_queue("Portal")
    wile = data.customer("wile", company_=acme)
    data.customer("roadrunner", company_=acme)
    data.customer("bugs", company_=looney)
    data.customer("loner")

    def make(customer_user, customer_id, title):
        ticket = data.ticket(
            queue, customer_user=customer_user, customer_id=customer_id, title=title
        )
        answer = data.article(ticket, visible=True, files=[(f"{title}.txt", b"secret")])
        return ticket, data.attachment_of(answer)

    own, own_file = make("wile", "ACME", "WileOwn")
    colleague, colleague_file = make("roadrunner", "ACME", "ColleagueTicket")
    other_customer, other_customer_file = make("loner", "loner", "LonerSecret")
    other_company, other_company_file = make("bugs", "LOONEY", "LooneySecret")
    merged_into_foreign, _unused = make("wile", "ACME", "MergedAway")
    actions.merge_tickets(merged_into_foreign, other_company, actor=factories.system())
    merged_own, _unused = make("wile", "ACME", "MergedOwn")
    actions.merge_tickets(merged_own, own, actor=factories.system())
    return type(
        "World",
        (),
        {
            "wile": wile,
            "queue": queue,
            "own": own,
            "own_file": own_file,
            "colleague": colleague,
            "colleague_file": colleague_file,
            "foreign_tickets": {
                "other customer": other_customer,
                "other company": other_company,
                "merged into a foreign ticket": merged_into_foreign,
            },
            "foreign_files": {
                "other customer": other_customer_file,
                "other company": other_company_file,
            },
            "merged_own": merged_own,
        },
    )


def ticket_urls(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("customer:ticket", args=[pk])),
        ("post", reverse("customer:ticket_reply", args=[pk])),
        ("post", reverse("customer:ticket_close", args=[pk])),
    ]


def fetch(client, method: str, url: str):
    if method == "get":
        return client.get(url)
    return client.post(url, {"body": "Let me in"})


def assert_same_404(response, reference, *secrets: str) -> None:
    assert response.status_code == 404
    assert [t.name for t in response.templates] == [t.name for t in reference.templates]
    for secret in secrets:
        assert secret not in response.text


@pytest.mark.parametrize(
    "case", ["other customer", "other company", "merged into a foreign ticket", "missing"]
)
def test_it_answers_the_same_404_for_foreign_and_missing_tickets(world, case):
    client = data.client_for(world.wile)
    ticket = world.foreign_tickets.get(case)
    pk = ticket.pk if ticket is not None else MISSING
    secrets = (ticket.title, ticket.number) if ticket is not None else ()
    before = factories.snapshot()

    for method, url in ticket_urls(pk):
        reference = fetch(client, method, url.replace(str(pk), str(MISSING)))
        response = fetch(client, method, url)
        assert_same_404(response, reference, *secrets)
    assert factories.snapshot() == before


def test_it_answers_404_for_changes_to_a_merged_ticket_of_ones_own(world):
    client = data.client_for(world.wile)
    before = factories.snapshot()

    for method, url in ticket_urls(world.merged_own.pk)[1:]:
        reference = fetch(client, method, url.replace(str(world.merged_own.pk), str(MISSING)))
        assert_same_404(fetch(client, method, url), reference)
    assert factories.snapshot() == before


@pytest.mark.parametrize("case", ["other customer", "other company", "missing"])
def test_it_answers_the_same_404_for_foreign_and_missing_attachments(world, case):
    client = data.client_for(world.wile)
    item = world.foreign_files.get(case)
    pk = item.pk if item is not None else MISSING

    response = client.get(reverse("customer:attachment", args=[pk]))
    reference = client.get(reverse("customer:attachment", args=[MISSING]))

    secrets = ("secret", item.filename) if item is not None else ("secret",)
    assert_same_404(response, reference, *secrets)


def test_it_shows_a_colleagues_ticket_and_file_of_the_same_company(world):
    client = data.client_for(world.wile)

    page = client.get(reverse("customer:ticket", args=[world.colleague.pk]))
    download = client.get(reverse("customer:attachment", args=[world.colleague_file.pk]))

    assert page.status_code == 200 and download.status_code == 200
    assert "ColleagueTicket" in page.content.decode()
    assert download.getvalue() == b"secret"


@pytest.mark.parametrize(
    "path",
    [
        "/customer/tickets/abc/",
        "/customer/tickets/-1/",
        "/customer/tickets/0/",
        "/customer/tickets/99999999999999999999999/",
        "/customer/tickets/99999999999999999999999/reply/",
        "/customer/tickets/9223372036854775808/close/",
        "/customer/attachments/99999999999999999999999/",
        "/customer/attachments/1e3/",
    ],
)
def test_it_answers_404_for_ids_that_are_no_ids(world, path):
    client = data.client_for(world.wile)

    response = client.post(path) if path.endswith(("reply/", "close/")) else client.get(path)

    assert response.status_code == 404


# --- internal notes ----------------------------------------------------------------------------


def test_it_never_shows_internal_notes(world):
    note = data.article(
        world.own, visible=False, body="INTERNAL-BODY", files=[("internal.txt", b"hush")]
    )
    client = data.client_for(world.wile)

    listing = client.get(reverse("customer:tickets"), {"state": "all", "scope": "company"})
    page = client.get(reverse("customer:ticket", args=[world.own.pk]))
    download = client.get(reverse("customer:attachment", args=[data.attachment_of(note).pk]))

    for response in (listing, page):
        assert response.status_code == 200
        assert "INTERNAL-BODY" not in response.text
        assert "internal.txt" not in response.text
    assert note.pk not in [row.article.pk for row in page.context["article_rows"]]
    assert download.status_code == 404
    assert not access.visible_articles(world.wile, world.own).filter(pk=note.pk).exists()


# --- the property: list = ticket pages = access layer = the rule --------------------------------

N_COMPANIES = 3
LOGINS = ["cust0", "cust1", "cust2", "cust3"]
COMPANY_IDS = [f"C{i}" for i in range(N_COMPANIES)]
# Values a ticket's customer fields take: the logins and company ids, and near misses that
# a careless comparison would let through (case, accents, blanks, a login as a company id).
CUSTOMER_USERS = [*LOGINS, "CUST0", "Cust1", "cüst0", "cust0 ", "stranger", ""]
CUSTOMER_IDS = [*COMPANY_IDS, "c0", "C0 ", "Ç1", "cust2", "elsewhere", ""]

customers = st.lists(
    st.fixed_dictionaries(
        {
            "company": st.none() | st.integers(0, N_COMPANIES - 1),
            "others": st.sets(st.integers(0, N_COMPANIES - 1), max_size=2),
            "rows_per_page": st.integers(1, 3),
        }
    ),
    min_size=1,
    max_size=len(LOGINS),
)
tickets = st.lists(
    st.fixed_dictionaries(
        {
            "customer_user": st.sampled_from(CUSTOMER_USERS),
            "customer_id": st.sampled_from(CUSTOMER_IDS),
            "closed": st.booleans(),
            "merge_into": st.none() | st.integers(0, 5),
        }
    ),
    min_size=1,
    max_size=6,
)


def _spec(customer_user: str, customer_id: str, *, closed=False, merge_into=None) -> dict:
    return {
        "customer_user": customer_user,
        "customer_id": customer_id,
        "closed": closed,
        "merge_into": merge_into,
    }


class _Rollback(Exception):
    pass


def _build(customer_specs, ticket_specs):
    companies = [data.company(cid, f"Company {cid}") for cid in COMPANY_IDS]
    queue = data.portal_queue()
    users = []
    for login, spec in zip(LOGINS, customer_specs, strict=False):
        company = companies[spec["company"]] if spec["company"] is not None else None
        user = data.customer(login, company_=company, others=[companies[i] for i in spec["others"]])
        user.rows_per_page = spec["rows_per_page"]
        user.save()
        users.append(user)
    made = []
    closed = State.objects.get(name="closed successful")
    for spec in ticket_specs:
        ticket = data.ticket(
            queue, customer_user=spec["customer_user"], customer_id=spec["customer_id"]
        )
        if spec["closed"]:
            actions.set_state(ticket, closed, actor=factories.system())
        made.append(ticket)
    merged = set()
    for index, spec in enumerate(ticket_specs):
        target = spec["merge_into"]
        if target is None or target >= len(made) or target == index:
            continue
        if index in merged or target in merged:
            continue
        actions.merge_tickets(made[index], made[target], actor=factories.system())
        merged.add(index)
    return users, made, merged


def _rule(user, ticket_spec, *, merged: bool) -> bool:
    """The customer rule, written out independently of the code under test."""
    if merged:
        return False
    profile = user.customer_profile
    ids = {c.customer_id for c in profile.other_companies.all()}
    if profile.company_id:
        ids.add(profile.company.customer_id)
    return ticket_spec["customer_user"].lower() == user.username.lower() or (
        ticket_spec["customer_id"] in ids
    )


def _listed_ids(client) -> set[int]:
    """Every ticket of every page of the list with all filters wide open."""
    url = reverse("customer:tickets")
    found: list[int] = []
    page = 1
    while True:
        response = client.get(url, {"scope": "company", "state": "all", "page": page})
        assert response.status_code == 200
        found += [row.ticket.pk for row in response.context["rows"]]
        if not response.context["page"].has_next:
            break
        page += 1
    assert len(found) == len(set(found)), "a ticket on two pages"
    return set(found)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(customer_specs=customers, ticket_specs=tickets)
@example(
    # Every near miss at once, for a customer of C0 (and C1) and one without a company.
    customer_specs=[
        {"company": 0, "others": {1}, "rows_per_page": 2},
        {"company": None, "others": set(), "rows_per_page": 1},
    ],
    ticket_specs=[
        _spec("CUST0", "elsewhere"),
        _spec("cüst0", ""),
        _spec("cust0 ", ""),
        _spec("stranger", "c0"),
        _spec("stranger", "C0 "),
        _spec("stranger", "Ç1"),
        _spec("stranger", "cust1"),
        _spec("Cust1", "C1", closed=True),
        _spec("cust1", "C0", merge_into=0),
    ],
)
def test_it_agrees_between_list_ticket_page_access_and_the_rule(db, customer_specs, ticket_specs):
    try:
        with transaction.atomic():
            users, made, merged = _build(customer_specs, ticket_specs)
            for user in users:
                user = factories.refetch(user)
                client = data.client_for(user)
                expected = {
                    ticket.pk
                    for index, (ticket, spec) in enumerate(zip(made, ticket_specs, strict=True))
                    if _rule(user, spec, merged=index in merged)
                }
                opened = {
                    ticket.pk
                    for ticket in made
                    if client.get(reverse("customer:ticket", args=[ticket.pk])).status_code == 200
                }
                visible = set(access.visible_to(user).values_list("pk", flat=True))
                single = {ticket.pk for ticket in Ticket.objects.all() if access.can(user, ticket)}
                assert _listed_ids(client) == opened == visible == single == expected, (
                    user.username,
                    customer_specs,
                    ticket_specs,
                )
            raise _Rollback
    except _Rollback:
        pass

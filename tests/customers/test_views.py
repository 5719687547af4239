"""The agent's customer screens: lists, editors, the Customer Information Center, and the
customer links of the ticket screens."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import CustomerCompany, CustomerUser
from otrs.accounts.models import UserKind
from tests import factories
from tests.customers import company, customer_user, manager
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
GOOD_PASSWORD = "Tr0ub4dor-and-3"


def url(name: str, *args, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(f"agent:{name}", args=args) + (f"?{query}" if query else "")


def html(response) -> str:
    return response.content.decode()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def names_listed(response) -> list[str]:
    """The names linked from the rows of a customer list, in page order."""
    row_start = r'<tr class="[^"]*">\s*<td><a href="/agent/customers/[a-z]+/\d+/">([^<]+)</a>'
    return re.findall(row_start, html(response))


def ticket_numbers(response) -> list[str]:
    return re.findall(r'<td class="num"><a href="/agent/tickets/\d+/">([^<]+)</a>', html(response))


@pytest.fixture
def acme():
    return company("ACME", "Acme Corporation", city="Phoenix")


@pytest.fixture
def carla(acme):
    return customer_user(
        "carla", first_name="Carla", last_name="Customer", email="carla@acme.example", company=acme
    )


@pytest.fixture
def boss(support):
    """An agent who may manage customers (and holds rw on the support queue)."""
    agent = manager("boss")
    factories.grant(agent, support.group, factories.RW)
    return agent


@pytest.fixture
def desk(support, acme, carla):
    """Acme's tickets: in the support queue one open and one closed of Carla's, and one open
    of Acme's in a queue "Secret" where the support agents hold nothing."""
    secret = factories.queue("Secret", group_=factories.group("secret"))
    closed = factories.state("closed successful")
    mine = {"customer_user": "carla", "customer_id": "ACME"}
    return type(
        "Desk",
        (),
        {
            "open": factories.ticket(support.queue, title="Open one", **mine),
            "closed": factories.ticket(support.queue, title="Closed one", state=closed, **mine),
            "secret": factories.ticket(secret, title="Secret one", **mine),
            "secret_queue": secret,
        },
    )


# --- who may come in ---------------------------------------------------------------------------

PAGES = [
    ("customer_users", False),
    ("companies", False),
    ("customer_user", True),
    ("company", True),
    ("customer_user_add", False),
    ("company_add", False),
    ("customer_user_edit", True),
    ("company_edit", True),
]
EDITORS = ["customer_user_add", "company_add", "customer_user_edit", "company_edit"]


def page_url(name, with_pk, carla, acme):
    if not with_pk:
        return url(name)
    return url(name, carla.pk if "user" in name else acme.pk)


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_it_sends_anonymous_visitors_to_the_sign_in(client, carla, acme, name, with_pk):
    response = client.get(page_url(name, with_pk, carla, acme))

    assert response.status_code == 302
    assert response.url.startswith(reverse("agent:login"))


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_it_refuses_customers_whatever_their_flags(carla, acme, name, with_pk):
    customer = factories.customer("sneaky")
    customer.is_staff = customer.is_superuser = True
    customer.save()
    client = signed_in(customer)

    assert client.get(page_url(name, with_pk, carla, acme)).status_code == 403
    assert client.post(page_url(name, with_pk, carla, acme), {"login": "x"}).status_code == 403
    assert client.get(url("customer_info", customer_user="carla")).status_code == 403
    assert client.post(url("customer_user_validity", carla.pk), {"valid": "0"}).status_code == 403
    assert client.post(url("company_validity", acme.pk), {"valid": "0"}).status_code == 403
    assert CustomerUser.objects.get(pk=carla.pk).is_valid


def test_it_refuses_a_customer_users_own_session(carla):
    """The customer portal's people never reach the agent's customer screens."""
    user = carla.user
    user.set_password(GOOD_PASSWORD)
    user.save()
    client = Client()
    assert client.login(username="carla", password=GOOD_PASSWORD)

    assert client.get(url("customer_users")).status_code == 403
    assert client.get(url("customer_user", carla.pk)).status_code == 403


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_it_shows_every_page_to_a_manager(boss, carla, acme, name, with_pk):
    assert signed_in(boss).get(page_url(name, with_pk, carla, acme)).status_code == 200


@pytest.mark.parametrize(("name", "with_pk"), [p for p in PAGES if p[0] not in EDITORS])
def test_any_agent_may_view_customers(support, carla, acme, name, with_pk):
    response = signed_in(support.outsider).get(page_url(name, with_pk, carla, acme))

    assert response.status_code == 200
    assert "/edit/" not in html(response)
    assert "/customers/users/new/" not in html(response)
    assert "/customers/companies/new/" not in html(response)
    assert "/validity/" not in html(response)


@pytest.mark.parametrize("name", EDITORS)
def test_it_refuses_the_editors_to_agents_who_may_only_view(support, carla, acme, name):
    client = signed_in(support.rw)
    target = page_url(name, name.endswith("edit"), carla, acme)
    before = (list(CustomerUser.objects.values()), list(CustomerCompany.objects.values()))

    assert client.get(target).status_code == 403
    posted = client.post(target, {"login": "new", "email": "n@x.example", "customer_id": "N"})

    assert posted.status_code == 403
    assert "manage customers" in html(posted)
    assert (list(CustomerUser.objects.values()), list(CustomerCompany.objects.values())) == before


def test_it_refuses_the_validity_switch_to_agents_who_may_only_view(support, carla, acme):
    client = signed_in(support.rw)

    assert client.post(url("customer_user_validity", carla.pk), {"valid": "0"}).status_code == 403
    assert client.post(url("company_validity", acme.pk), {"valid": "0"}).status_code == 403
    assert CustomerUser.objects.get(pk=carla.pk).is_valid
    assert CustomerCompany.objects.get(pk=acme.pk).is_valid


@pytest.mark.parametrize("name", ["customer_user", "company", "customer_user_edit", "company_edit"])
def test_it_answers_404_for_missing_ones(boss, name):
    assert signed_in(boss).get(url(name, 999_999)).status_code == 404


def test_it_needs_csrf_on_posts(boss):
    client = Client(enforce_csrf_checks=True)
    client.force_login(boss)

    response = client.post(url("company_add"), {"customer_id": "ACME", "name": "Acme"})

    assert response.status_code == 403
    assert not CustomerCompany.objects.exists()


def test_the_main_navigation_links_the_customers(support):
    response = signed_in(support.outsider).get(url("companies"))

    assert re.search(
        r'<a href="/agent/customers/users/" data-nav="customers" aria-current="page">',
        html(response),
    )


# --- the lists ---------------------------------------------------------------------------------


@pytest.fixture
def people(acme):
    globex = company("GLOBEX", "Globex Ltd")
    return {
        "carla": customer_user(
            "carla", first_name="Carla", last_name="Customer", company=acme, phone="555-1"
        ),
        "dan": customer_user("dan", first_name="Dan", last_name="Doe", company=globex),
        "eve": customer_user(
            "eve.x", first_name="Eve", last_name="Adams", email="eve@other.example", is_valid=False
        ),
        "frank": customer_user(
            "frank", first_name="Frank", last_name="Zed", other_companies=(acme,)
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Eve Adams", "Carla Customer", "Dan Doe", "Frank Zed"]),
        ("carla", ["Carla Customer"]),  # login
        ("DOE", ["Dan Doe"]),  # last name, any case
        ("other.example", ["Eve Adams"]),  # email address
        ("globex", ["Dan Doe"]),  # customer id and company name
        ("Acme Corp", ["Carla Customer"]),  # company name, every word
        ("carla dan", []),
    ],
)
def test_it_searches_customer_users(support, people, query, expected):
    response = signed_in(support.outsider).get(url("customer_users"), {"q": query})

    assert names_listed(response) == expected


def test_it_filters_customer_users_by_validity(support, people):
    client = signed_in(support.outsider)

    assert names_listed(client.get(url("customer_users", valid="invalid"))) == ["Eve Adams"]
    assert "Eve Adams" not in names_listed(client.get(url("customer_users", valid="valid")))


def test_it_sorts_customer_users_by_name_and_login(support, people):
    client = signed_in(support.outsider)

    by_name_desc = names_listed(client.get(url("customer_users", sort="name", order="desc")))
    by_login = names_listed(client.get(url("customer_users", sort="login")))

    assert by_name_desc == ["Frank Zed", "Dan Doe", "Carla Customer", "Eve Adams"]
    assert by_login == ["Carla Customer", "Dan Doe", "Eve Adams", "Frank Zed"]


def test_it_pages_customer_users_and_keeps_the_search(support, people):
    agent = support.outsider
    agent.rows_per_page = 2
    agent.save()
    client = signed_in(agent)

    first = client.get(url("customer_users"), {"q": "e"})
    second = client.get(url("customer_users"), {"q": "e", "page": 2})

    assert names_listed(first) == ["Eve Adams", "Carla Customer"]
    assert names_listed(second) == ["Dan Doe", "Frank Zed"]
    assert 'href="?q=e&amp;page=2"' in html(first)
    assert "4 customer users" in html(first)


def test_it_falls_back_to_defaults_for_a_bad_query_string(support, people):
    response = signed_in(support.outsider).get(
        url("customer_users", sort="evil", order="up", page="x", valid="maybe")
    )

    assert response.status_code == 200
    assert len(names_listed(response)) == 4


def test_it_lists_the_contacts_of_one_company(support, people, acme):
    response = signed_in(support.outsider).get(url("customer_users", company=acme.pk))

    assert names_listed(response) == ["Carla Customer", "Frank Zed"]
    assert "Show all customer users" in html(response)


def test_it_searches_sorts_and_counts_companies(support, people, acme):
    company("INITECH", "Initech", city="Austin")
    client = signed_in(support.outsider)

    everyone = client.get(url("companies"))
    by_id_desc = client.get(url("companies", sort="customer_id", order="desc"))
    austin = client.get(url("companies"), {"q": "austin"})

    assert names_listed(everyone) == ["Acme Corporation", "Globex Ltd", "Initech"]
    assert names_listed(by_id_desc) == ["Initech", "Globex Ltd", "Acme Corporation"]
    assert names_listed(austin) == ["Initech"]
    # Contacts: Acme is Carla's company and one of Frank's further companies.
    contacts = {
        name: re.search(rf">{name}</a></td>.*?<td class=\"num\">(\d+)</td>", html(everyone), re.S)[
            1
        ]
        for name in ("Acme Corporation", "Globex Ltd", "Initech")
    }
    assert contacts == {"Acme Corporation": "2", "Globex Ltd": "1", "Initech": "0"}


def test_it_escapes_what_customers_are_called(boss):
    customer_user("xss", first_name=XSS, company=company("X", XSS))

    for name in ("customer_users", "companies"):
        body = html(signed_in(boss).get(url(name)))
        assert XSS not in body
        assert "&lt;script&gt;" in body


# --- adding and editing ------------------------------------------------------------------------


def user_form(**overrides) -> dict:
    data = {
        "login": "gina",
        "first_name": "Gina",
        "last_name": "Green",
        "email": "gina@acme.example",
        "phone": "555-7",
        "is_valid": "on",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    return {**data, **overrides}


def test_it_adds_a_customer_user(boss, acme):
    globex = company("GLOBEX")
    response = signed_in(boss).post(
        url("customer_user_add"), user_form(company=acme.pk, other_companies=[globex.pk])
    )

    gina = CustomerUser.objects.select_related("user").get(user__username="gina")
    assert response.status_code == 302
    assert response.url == url("customer_user", gina.pk)
    assert gina.user.kind == UserKind.CUSTOMER
    assert gina.user.check_password(GOOD_PASSWORD)
    assert gina.customer_ids() == ["ACME", "GLOBEX"]
    followed = signed_in(boss).get(response.url)
    assert "Gina Green" in html(followed)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"login": "carla"}, "login", "already taken"),
        ({"login": "rw_agent"}, "login", "belongs to an agent"),
        ({"login": "no spaces"}, "login", "only letters"),
        ({"email": "carla@acme.example"}, "email", "already belongs to customer user carla"),
        ({"email": "not-an-address"}, "email", "valid email address"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password2": "something else"}, "password2", "differ"),
    ],
)
def test_it_explains_a_refused_customer_user_and_keeps_the_input(
    boss, carla, overrides, field, message
):
    before = CustomerUser.objects.count()

    response = signed_in(boss).post(url("customer_user_add"), user_form(**overrides))

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert CustomerUser.objects.count() == before
    body = html(response)
    assert 'value="Gina"' in body and 'value="555-7"' in body
    assert GOOD_PASSWORD not in body  # passwords are never sent back


def test_it_edits_a_customer_user_and_keeps_the_password_when_left_empty(boss, carla, acme):
    carla.user.set_password(GOOD_PASSWORD)
    carla.user.save()
    client = signed_in(boss)
    form = client.get(url("customer_user_edit", carla.pk)).context["form"]
    assert form.initial["login"] == "carla" and form.initial["company"] == acme.pk

    response = client.post(
        url("customer_user_edit", carla.pk),
        user_form(
            login="carla", email="carla@new.example", password1="", password2="", company=acme.pk
        ),
    )

    assert response.status_code == 302
    fresh = CustomerUser.objects.select_related("user").get(pk=carla.pk)
    assert fresh.email == "carla@new.example"
    assert fresh.user.get_full_name() == "Gina Green"
    assert fresh.user.check_password(GOOD_PASSWORD)


def test_it_saves_nothing_when_the_new_password_is_refused(boss, carla):
    """The details pass, the password does not: the details are not saved either."""
    client = signed_in(boss)

    response = client.post(
        url("customer_user_edit", carla.pk),
        user_form(login="carla2", password1="short1", password2="short1"),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["password1"]
    fresh = CustomerUser.objects.select_related("user").get(pk=carla.pk)
    assert (fresh.login, fresh.email, fresh.user.first_name) == (
        "carla",
        "carla@acme.example",
        "Carla",
    )
    assert "Edit customer user: carla<" in html(response)


def test_it_sets_a_new_password_when_given(boss, carla):
    signed_in(boss).post(url("customer_user_edit", carla.pk), user_form(login="carla"))

    assert CustomerUser.objects.get(pk=carla.pk).user.check_password(GOOD_PASSWORD)


def test_it_offers_valid_companies_and_keeps_an_invalid_current_one(boss, carla, acme):
    company("OLD", "Old Corp", is_valid=False)
    acme.is_valid = False
    acme.save()

    offered = signed_in(boss).get(url("customer_user_edit", carla.pk)).context["form"]
    names = [c.name for c in offered.fields["company"].queryset]

    assert "Acme Corporation" in names
    assert "Old Corp" not in names
    fresh_form = signed_in(boss).get(url("customer_user_add")).context["form"]
    assert not fresh_form.fields["company"].queryset.filter(pk=acme.pk).exists()


def company_form(**overrides) -> dict:
    data = {
        "customer_id": "INITECH",
        "name": "Initech",
        "street": "1 Office Park",
        "zip_code": "73301",
        "city": "Austin",
        "country": "USA",
        "url": "initech.example",
        "comment": "TPS reports.",
        "is_valid": "on",
    }
    return {**data, **overrides}


def test_it_adds_a_company(boss):
    response = signed_in(boss).post(url("company_add"), company_form())

    initech = CustomerCompany.objects.get(customer_id="INITECH")
    assert response.url == url("company", initech.pk)
    assert initech.url == "https://initech.example"
    assert (initech.city, initech.is_valid) == ("Austin", True)


def test_it_explains_a_taken_customer_id(boss, acme):
    response = signed_in(boss).post(url("company_add"), company_form(customer_id="acme"))

    assert response.status_code == 400
    assert "already taken" in response.context["form"].errors["customer_id"][0]
    assert 'value="Initech"' in html(response)
    assert CustomerCompany.objects.count() == 1


def test_it_edits_a_company(boss, acme):
    response = signed_in(boss).post(
        url("company_edit", acme.pk),
        company_form(customer_id="ACME", name="Acme Inc.", is_valid=""),
    )

    assert response.status_code == 302
    fresh = CustomerCompany.objects.get(pk=acme.pk)
    assert (fresh.name, fresh.city, fresh.is_valid) == ("Acme Inc.", "Austin", False)


def test_the_validity_switch_sets_a_customer_user_invalid_and_valid(boss, carla):
    client = signed_in(boss)

    response = client.post(url("customer_user_validity", carla.pk), {"valid": "0"})
    assert response.url == url("customer_user", carla.pk)
    assert not CustomerUser.objects.get(pk=carla.pk).is_valid
    assert "Set valid" in html(client.get(response.url))

    client.post(url("customer_user_validity", carla.pk), {"valid": "1"})
    assert CustomerUser.objects.get(pk=carla.pk).is_valid


def test_the_validity_switch_takes_posts_only(boss, carla, acme):
    client = signed_in(boss)

    assert client.get(url("customer_user_validity", carla.pk)).status_code == 405
    assert client.post(url("company_validity", acme.pk), {"valid": "maybe"}).status_code == 302
    assert CustomerCompany.objects.get(pk=acme.pk).is_valid


# --- the Customer Information Center -----------------------------------------------------------


def test_the_company_cic_shows_its_data_contacts_and_visible_tickets(support, desk, acme, carla):
    frank = customer_user("frank", first_name="Frank", other_companies=(acme,))
    response = signed_in(support.ro).get(url("company", acme.pk))

    body = html(response)
    assert "Acme Corporation" in body and "Phoenix" in body
    assert "Carla Customer" in body and "Frank" in body and "further company" in body
    assert ticket_numbers(response) == [desk.open.number]
    counts = dict(re.findall(r'data-view="(\w+)">[^<]+<span class="count">(\d+)</span>', body))
    assert counts == {"open": "1", "closed": "1"}  # the secret ticket counts nowhere
    assert desk.secret.number not in body
    assert f"customer_user={frank.login}&amp;customer_id=ACME" in body
    assert f"{url('new_phone_ticket')}?customer_id=ACME" in body


def test_the_company_cic_lists_closed_tickets_on_their_tab(support, desk, acme):
    response = signed_in(support.ro).get(url("company", acme.pk), {"view": "closed"})

    assert ticket_numbers(response) == [desk.closed.number]


def test_an_agent_with_rights_on_the_other_queue_sees_its_tickets_there(support, desk, acme):
    agent = factories.agent("secret_keeper")
    factories.grant(agent, desk.secret_queue.group, factories.RO)

    response = signed_in(agent).get(url("company", acme.pk))

    assert ticket_numbers(response) == [desk.secret.number]


def test_the_company_cic_pages_its_tickets(support, acme):
    agent = support.ro
    agent.rows_per_page = 2
    agent.save()
    made = [factories.ticket(support.queue, customer_id="ACME", title=f"T{i}") for i in range(3)]
    client = signed_in(agent)

    first = client.get(url("company", acme.pk))
    second = client.get(url("company", acme.pk), {"page": 2})

    assert ticket_numbers(first) == [t.number for t in made[:2]]
    assert ticket_numbers(second) == [made[2].number]


def test_the_customer_user_cic_shows_their_data_and_tickets(support, desk, carla):
    factories.ticket(support.queue, customer_user="someone-else", customer_id="ACME")
    response = signed_in(support.ro).get(url("customer_user", carla.pk))

    body = html(response)
    assert "carla@acme.example" in body and "Acme Corporation" in body
    assert ticket_numbers(response) == [desk.open.number]
    closed = signed_in(support.ro).get(url("customer_user", carla.pk), {"view": "closed"})
    assert ticket_numbers(closed) == [desk.closed.number]
    assert f"{url('new_phone_ticket')}?customer_user=carla&amp;customer_id=ACME" in body


def test_the_cic_by_string_leads_to_the_registered_customer(support, carla, acme):
    client = signed_in(support.ro)

    by_login = client.get(url("customer_info", customer_user="CARLA"))
    by_id = client.get(url("customer_info", customer_id="acme"))

    assert by_login.url == url("customer_user", carla.pk)
    assert by_id.url == url("company", acme.pk)


def test_the_cic_without_a_customer_is_the_customer_search(support, carla):
    client = signed_in(support.ro)

    bare = client.get(url("customer_info"))
    typed = client.get(url("customer_info"), {"q": "carla"}, follow=True)

    assert bare.status_code == 302 and bare.url == url("customer_users")
    assert typed.redirect_chain[-1][0] == url("customer_users") + "?q=carla"
    assert names_listed(typed) == ["Carla Customer"]


def test_the_cic_by_string_lists_the_tickets_of_an_unregistered_sender(support):
    mine = factories.ticket(support.queue, customer_user="stranger@example.com")
    factories.ticket(support.queue, customer_user="other@example.com")

    response = signed_in(support.ro).get(
        url("customer_info"), {"customer_user": "stranger@example.com"}
    )

    assert response.status_code == 200
    assert ticket_numbers(response) == [mine.number]
    assert "No customer user has this login" in html(response)


def test_the_cic_by_string_shows_no_ticket_the_agent_may_not_see(support, desk):
    response = signed_in(support.outsider).get(url("customer_info"), {"customer_id": "NOPE"})
    assert ticket_numbers(response) == []

    stranger = signed_in(support.outsider).get(url("customer_info"), {"customer_user": "x@y.z"})
    assert ticket_numbers(stranger) == []


# --- the ticket screens' customer links --------------------------------------------------------


def test_the_zoom_links_its_customer_to_the_cic(support, desk):
    response = signed_in(support.rw).get(url("zoom", desk.open.pk))

    body = html(response)
    assert f'href="{url("customer_info")}?customer_id=ACME"' in body
    assert f'href="{url("customer_info")}?customer_user=carla"' in body


def test_the_new_phone_ticket_is_prefilled_from_the_cic(support, carla):
    response = signed_in(support.rw).get(
        url("new_phone_ticket"), {"customer_user": "carla", "customer_id": "ACME"}
    )

    form = response.context["form"]
    assert form["customer"].value() == "carla"
    assert form["customer_id"].value() == "ACME"


def test_picking_a_customer_without_company_clears_the_customer_id(support, desk):
    customer_user("loner", first_name="Lone")
    client = signed_in(support.rw)

    found = client.get(url("customer", desk.open.pk), {"q": "loner"})

    pick = re.search(r'href="([^"]*customer_user=loner[^"]*)"', html(found)).group(1)
    assert pick.endswith("customer_user=loner&amp;customer_id=")
    picked = client.get(pick.replace("&amp;", "&"))
    assert picked.context["form"]["customer_id"].value() == ""


# --- bounded queries ---------------------------------------------------------------------------


def queries_for(client, target) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(target).status_code == 200
    return len(queries)


def test_the_lists_run_the_same_queries_for_5_and_30_rows(boss, django_assert_max_num_queries):
    boss.rows_per_page = 50
    boss.save()
    client = signed_in(boss)
    # Warm the caches (the maintenance banner's windows are read once, then cached).
    client.get(url("customer_users"))
    counts = {}
    for total in (5, 30):
        while CustomerUser.objects.count() < total:
            number = CustomerUser.objects.count()
            home = company(f"Q{number}")
            customer_user(f"q{number}", company=home, other_companies=(home,))
        counts[total] = (
            queries_for(client, url("customer_users")),
            queries_for(client, url("companies")),
        )
    assert counts[5] == counts[30]
    with django_assert_max_num_queries(12):
        client.get(url("customer_users"))
    with django_assert_max_num_queries(12):
        client.get(url("companies"))


def test_the_cic_runs_the_same_queries_for_5_and_30_rows(
    boss, support, acme, django_assert_max_num_queries
):
    boss.rows_per_page = 50
    boss.save()
    carla = customer_user("carla", company=acme)
    client = signed_in(boss)
    # Warm the cache of custom-field definitions (read once per object type, then cached).
    client.get(url("company", acme.pk))
    client.get(url("customer_user", carla.pk))
    counts = {}
    for total in (5, 30):
        while CustomerUser.objects.count() < total:
            customer_user(company=acme)
        while Ticket.objects.filter(customer_id="ACME").count() < total:
            factories.ticket(support.queue, customer_id="ACME", customer_user="carla")
        counts[total] = (
            queries_for(client, url("company", acme.pk)),
            queries_for(client, url("customer_user", carla.pk)),
        )
        assert len(ticket_numbers(client.get(url("company", acme.pk)))) == total
    assert counts[5] == counts[30]
    with django_assert_max_num_queries(20):
        client.get(url("company", acme.pk))
    with django_assert_max_num_queries(20):
        client.get(url("customer_user", carla.pk))


def test_it_shows_every_field_error_at_once(boss):
    response = signed_in(boss).post(url("customer_user_add"), user_form(login="a b", email="x"))

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"login", "email"}


def test_adding_from_a_company_preselects_it(boss, acme):
    response = signed_in(boss).get(url("customer_user_add", company=acme.pk))

    assert response.context["form"]["company"].value() == str(acme.pk)
    assert f'<option value="{acme.pk}" selected>' in html(response)

"""customers.actions: creating and changing customer users and companies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import authenticate
from django.db.models.signals import pre_save

from customers import actions
from customers.access import can_manage_customers
from customers.models import CustomerCompany, CustomerUser
from otrs.accounts.models import Group, User, UserKind
from otrs.errors import DomainError
from tests import factories
from tests.customers import company, customer_user, manager

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Tr0ub4dor-and-3"


def user_input(login="carla", **extra) -> actions.CustomerUserInput:
    extra.setdefault("email", f"{login}@acme.example")
    return actions.CustomerUserInput(login=login, **extra)


def company_input(customer_id="ACME", **extra) -> actions.CompanyInput:
    extra.setdefault("name", "Acme Corporation")
    return actions.CompanyInput(customer_id=customer_id, **extra)


def snapshot() -> dict:
    """Every row these actions write, to show that a refusal wrote nothing."""
    return {
        "users": list(User.objects.order_by("pk").values()),
        "customers": list(CustomerUser.objects.order_by("pk").values()),
        "further": list(
            CustomerUser.other_companies.through.objects.order_by("pk").values_list(
                "customeruser_id", "customercompany_id"
            )
        ),
        "companies": list(CustomerCompany.objects.order_by("pk").values()),
    }


def refused(code: str, call, *args, **kwargs) -> DomainError:
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    assert snapshot() == before
    return caught.value


@contextmanager
def inserted_first(model, **fields) -> Iterator[list]:
    """Someone else inserts a row of ``model`` with ``fields`` after the action's checks ran
    and just before its own insert: a receiver of Django's ``pre_save`` writes it when the
    action saves its new ``model`` row. Yields the rows so inserted (one, if the race ran)."""
    inserted: list = []

    def race(sender, instance, **kwargs):
        if instance.pk is None and not inserted:
            inserted.append(None)  # the racer's own save must not race again
            inserted[0] = model.objects.create(**fields)

    pre_save.connect(race, sender=model, weak=False)
    try:
        yield inserted
    finally:
        pre_save.disconnect(race, sender=model)


@pytest.fixture
def boss():
    return manager("boss")


# --- customer users ----------------------------------------------------------------------------


def test_it_creates_a_customer_user_with_a_customer_login(boss):
    acme, globex = company("ACME"), company("GLOBEX")
    data = user_input(
        " carla ",
        email=" carla@acme.example ",
        first_name="Carla",
        last_name="Customer",
        phone="+49 30 1234",
        company=acme,
        other_companies=(globex, acme, globex),
    )

    created = actions.create_customer_user(data, password=GOOD_PASSWORD, actor=boss)

    created = CustomerUser.objects.select_related("user").get(pk=created.pk)
    assert created.login == "carla"
    assert created.user.kind == UserKind.CUSTOMER
    assert (created.user.first_name, created.user.last_name) == ("Carla", "Customer")
    assert created.email == created.user.email == "carla@acme.example"
    assert created.phone == "+49 30 1234"
    assert created.is_valid and created.user.is_active
    assert not created.user.is_staff and not created.user.is_superuser
    # The main company is not repeated among the further ones.
    assert created.customer_ids() == ["ACME", "GLOBEX"]
    assert authenticate(username="carla", password=GOOD_PASSWORD) == created.user


def test_it_gives_a_customer_user_without_password_an_unusable_one(boss):
    created = actions.create_customer_user(user_input(), actor=boss)

    assert not created.user.has_usable_password()


def test_it_refuses_a_taken_login_whatever_the_case(boss):
    customer_user("carla")

    error = refused("login_taken", actions.create_customer_user, user_input("CARLA"), actor=boss)
    assert "CARLA" in error.message


def test_it_refuses_an_agents_login(boss):
    factories.agent("alice")

    error = refused("login_of_agent", actions.create_customer_user, user_input("Alice"), actor=boss)
    assert "agent" in error.message


def test_it_refuses_the_system_login(boss):
    refused("login_of_agent", actions.create_customer_user, user_input("system"), actor=boss)


@pytest.mark.parametrize("login", ["", "   ", "with space", "semi;colon", "x" * 151])
def test_it_refuses_a_bad_login(boss, login):
    code = "login_required" if not login.strip() else "invalid_login"
    refused(code, actions.create_customer_user, user_input(login, email="a@b.example"), actor=boss)


@pytest.mark.parametrize("email", ["", "carla", "carla@", "@acme.example", "carla@acme .example"])
def test_it_refuses_a_bad_email_address(boss, email):
    refused("invalid_email", actions.create_customer_user, user_input(email=email), actor=boss)


def test_it_refuses_an_address_another_customer_user_has(boss):
    customer_user("dan", email="shared@acme.example")

    error = refused(
        "email_taken",
        actions.create_customer_user,
        user_input("carla", email="SHARED@acme.example"),
        actor=boss,
    )
    assert "dan" in error.message


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "carla@acme.example"])
def test_it_refuses_a_weak_password_and_writes_nothing(boss, password):
    refused(
        "invalid_password",
        actions.create_customer_user,
        user_input("carla"),
        password=password,
        actor=boss,
    )


def test_it_turns_a_login_race_into_the_same_refusal(boss):
    """Two agents adding the same login at once: the check passes for both, the unique
    index stops the second, and the refusal leaves no half-made customer user."""
    with inserted_first(User, username="carla", kind=UserKind.CUSTOMER) as racer:
        error = refused(
            "login_taken",
            actions.create_customer_user,
            user_input("carla", email="c2@x.example"),
            actor=boss,
        )

    assert len(racer) == 1 and racer[0].username == "carla"
    assert "carla" in error.message


def test_it_updates_every_detail(boss):
    acme, globex, initech = company("ACME"), company("GLOBEX"), company("INITECH")
    carla = customer_user("carla", company=acme, other_companies=(globex,))

    changed = actions.update_customer_user(
        carla,
        user_input(
            "carla.c",
            email="carla@globex.example",
            first_name="Carla",
            last_name="Cee",
            phone="123",
            company=globex,
            other_companies=(initech, globex),
        ),
        actor=boss,
    )

    fresh = CustomerUser.objects.select_related("user").get(pk=carla.pk)
    assert changed.login == fresh.login == "carla.c"
    assert fresh.user.get_full_name() == "Carla Cee"
    assert fresh.email == fresh.user.email == "carla@globex.example"
    assert fresh.customer_ids() == ["GLOBEX", "INITECH"]


def test_it_lets_a_customer_user_keep_their_login_in_another_case(boss):
    carla = customer_user("carla")

    actions.update_customer_user(carla, user_input("Carla"), actor=boss)

    assert CustomerUser.objects.get(pk=carla.pk).login == "Carla"


def test_it_refuses_renaming_to_a_taken_login_and_keeps_everything(boss):
    customer_user("dan")
    carla = customer_user("carla", first_name="Carla")

    refused(
        "login_taken",
        actions.update_customer_user,
        carla,
        user_input("DAN", first_name="Changed"),
        actor=boss,
    )
    assert carla.login == "carla"


def test_it_refuses_changing_to_another_customers_address(boss):
    customer_user("dan", email="dan@acme.example")
    carla = customer_user("carla")

    refused(
        "email_taken",
        actions.update_customer_user,
        carla,
        user_input("carla", email="Dan@Acme.example"),
        actor=boss,
    )


def test_it_sets_a_validated_password(boss):
    carla = customer_user("carla")

    actions.set_customer_user_password(carla, GOOD_PASSWORD, actor=boss)

    assert authenticate(username="carla", password=GOOD_PASSWORD) is not None
    refused("invalid_password", actions.set_customer_user_password, carla, "carla", actor=boss)


def test_an_invalid_customer_user_cannot_sign_in(boss):
    carla = customer_user("carla", password=GOOD_PASSWORD)

    actions.set_customer_user_validity(carla, False, actor=boss)

    fresh = CustomerUser.objects.select_related("user").get(pk=carla.pk)
    assert not fresh.is_valid and not fresh.user.is_active
    assert authenticate(username="carla", password=GOOD_PASSWORD) is None

    actions.set_customer_user_validity(carla, True, actor=boss)
    assert authenticate(username="carla", password=GOOD_PASSWORD) is not None


def test_validity_in_the_details_follows_the_same_rule(boss):
    carla = customer_user("carla", password=GOOD_PASSWORD)

    actions.update_customer_user(carla, user_input("carla", is_valid=False), actor=boss)

    assert authenticate(username="carla", password=GOOD_PASSWORD) is None
    assert not CustomerUser.objects.get(pk=carla.pk).is_valid


# --- companies ---------------------------------------------------------------------------------


def test_it_creates_a_company(boss):
    created = actions.create_company(
        company_input(
            " ACME ",
            name=" Acme Corporation ",
            street="1 Road Runner Way",
            zip_code="85001",
            city="Phoenix",
            country="USA",
            url="https://acme.example",
            comment="Explosives.",
        ),
        actor=boss,
    )

    fresh = CustomerCompany.objects.get(pk=created.pk)
    assert (fresh.customer_id, fresh.name, fresh.city) == ("ACME", "Acme Corporation", "Phoenix")
    assert fresh.url == "https://acme.example"
    assert fresh.is_valid


def test_it_refuses_a_taken_customer_id_whatever_the_case(boss):
    company("ACME")

    refused("customer_id_taken", actions.create_company, company_input("acme"), actor=boss)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (company_input(" "), "customer_id_required"),
        (company_input(name=" "), "name_required"),
        (company_input(url="javascript:alert(1)"), "invalid_url"),
        (company_input(url="not a url"), "invalid_url"),
    ],
)
def test_it_refuses_incomplete_companies(boss, data, code):
    refused(code, actions.create_company, data, actor=boss)


def test_it_turns_a_customer_id_race_into_the_same_refusal(boss):
    with inserted_first(CustomerCompany, customer_id="ACME", name="Other Acme") as racer:
        error = refused(
            "customer_id_taken", actions.create_company, company_input("ACME"), actor=boss
        )

    assert len(racer) == 1 and racer[0].customer_id == "ACME"
    assert "ACME" in error.message


def test_it_updates_a_company_and_its_users_follow(boss):
    acme = company("ACME")
    carla = customer_user("carla", company=acme)

    actions.update_company(
        acme, company_input("ACME-US", name="Acme US", city="Tucson"), actor=boss
    )

    assert (acme.customer_id, acme.name, acme.city) == ("ACME-US", "Acme US", "Tucson")
    assert CustomerUser.objects.get(pk=carla.pk).customer_ids() == ["ACME-US"]


def test_it_refuses_renaming_a_company_to_a_taken_customer_id(boss):
    company("GLOBEX")
    acme = company("ACME")

    refused("customer_id_taken", actions.update_company, acme, company_input("Globex"), actor=boss)
    assert acme.customer_id == "ACME"


def test_it_sets_a_company_invalid_and_valid(boss):
    acme = company("ACME")

    actions.set_company_validity(acme, False, actor=boss)
    assert not CustomerCompany.objects.get(pk=acme.pk).is_valid
    actions.set_company_validity(acme, True, actor=boss)
    assert CustomerCompany.objects.get(pk=acme.pk).is_valid


# --- who may ---------------------------------------------------------------------------------


def test_it_refuses_agents_without_the_manager_grant():
    plain = factories.agent("plain")
    carla, acme = customer_user("carla"), company("ACME")

    calls = [
        (actions.create_customer_user, (user_input("dan"),), {}),
        (actions.update_customer_user, (carla, user_input("carla", first_name="X")), {}),
        (actions.set_customer_user_password, (carla, GOOD_PASSWORD), {}),
        (actions.set_customer_user_validity, (carla, False), {}),
        (actions.create_company, (company_input("GLOBEX"),), {}),
        (actions.update_company, (acme, company_input("ACME", name="X")), {}),
        (actions.set_company_validity, (acme, False), {}),
    ]
    for call, args, kwargs in calls:
        refused("not_allowed", call, *args, actor=plain, **kwargs)


def test_it_refuses_customers_whatever_their_flags():
    customer = factories.customer("sneaky")
    customer.is_staff = customer.is_superuser = True
    customer.save()

    assert not can_manage_customers(customer)
    refused("not_allowed", actions.create_company, company_input(), actor=customer)


def test_a_role_grant_on_the_manager_group_is_enough():
    agent = factories.agent("roled")
    factories.role(members=[agent], grants=[(Group.objects.get(name="users"), factories.RW)])

    created = actions.create_company(company_input(), actor=agent)

    assert CustomerCompany.objects.get(pk=created.pk).customer_id == "ACME"


def test_ro_on_the_manager_group_is_not_enough():
    agent = factories.agent("reader")
    factories.grant(agent, Group.objects.get(name="users"), factories.RO)

    assert not can_manage_customers(agent)


def test_superusers_may_manage():
    admin = factories.agent("admin", is_superuser=True)

    assert can_manage_customers(admin)


def test_an_invalid_manager_group_grants_nothing():
    agent = manager("m")
    Group.objects.filter(name="users").update(is_valid=False)

    assert not can_manage_customers(factories.refetch(agent))


def test_the_manager_group_is_a_setting(settings):
    crm = factories.group("crm")
    agent = factories.agent("crm_agent")
    factories.grant(agent, crm, factories.RW)
    users_rw = manager("users_rw")

    settings.CUSTOMER_MANAGER_GROUP = "crm"

    assert can_manage_customers(factories.refetch(agent))
    assert not can_manage_customers(factories.refetch(users_rw))

"""The first form of the admin portal: Django's admin manages the master data."""

import pytest
from django.contrib import admin
from django.urls import reverse

from otrs.accounts.models import Group, User, UserKind
from tests import factories
from tickets.models import Queue


@pytest.fixture
def admin_client_(client, db):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


def _model_urls():
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        yield f"admin:{info[0]}_{info[1]}_changelist"
        yield f"admin:{info[0]}_{info[1]}_add"


@pytest.mark.parametrize("name", sorted(_model_urls()))
def test_it_opens_every_admin_page(admin_client_, support, name):
    factories.ticket(support.queue)
    response = admin_client_.get(reverse(name))
    # Tickets, customers, received mail and event deliveries cannot be added in the admin
    # (only through the actions, the mail intake and the event outbox), nor sign-in
    # throttles (only by signing in): 403 there.
    read_only = {
        "admin:tickets_ticket_add",
        "admin:tickets_inboundmessage_add",
        "admin:mail_outboundmessage_add",
        "admin:accounts_throttlecounter_add",
        "admin:customers_customeruser_add",
        "admin:customers_customercompany_add",
        "admin:events_eventdelivery_add",
        # GenericAgent traces are written by the runs only.
        "admin:tickets_genericagentrun_add",
        "admin:tickets_genericagentrunitem_add",
        # Process steps (the trace) are written by the process engine only.
        "admin:tickets_processstep_add",
        # FAQ items are written through the FAQ's actions (revisions, approval).
        "admin:faq_faqitem_add",
        # An API token is made by its owner, who alone sees it once (preferences).
        "admin:api_accesstoken_add",
        # Webhook deliveries are made by the events they carry.
        "admin:webhooks_webhookdelivery_add",
        # The notification trace is written by the sender only.
        "admin:tickets_notificationtrace_add",
    }
    expected = 403 if name in read_only else 200
    assert response.status_code == expected


def test_it_creates_a_queue_under_a_parent(admin_client_, support):
    response = admin_client_.post(
        reverse("admin:tickets_queue_add"),
        {
            "name": "Hardware",
            "parent": support.queue.pk,
            "group": support.group.pk,
            "comment": "",
            "is_valid": "on",
            "follow_up": "possible",
            "unlock_timeout": 0,
            "calendar": "",
            "first_response_time": 0,
            "first_response_notify": 0,
            "update_time": 0,
            "update_notify": 0,
            "solution_time": 0,
            "solution_notify": 0,
        },
    )
    assert response.status_code == 302, response.content
    assert Queue.objects.get(name="Hardware").full_name == "Support::Hardware"


def test_it_edits_an_agent_with_language_and_time_zone_as_choices(admin_client_, support):
    agent = factories.agent("newbie")
    url = reverse("admin:accounts_user_change", args=[agent.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    data = {
        "username": "newbie",
        "first_name": "",
        "last_name": "",
        "email": "",
        "language": "de",
        "time_zone": "Europe/Berlin",
        "rows_per_page": 25,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    agent.refresh_from_db()
    assert (agent.language, agent.time_zone) == ("de", "Europe/Berlin")
    refused = admin_client_.post(
        url, {**data, "language": "xx-nonsense", "time_zone": "Mars/Olympus"}
    )
    assert refused.status_code == 200
    assert set(refused.context["adminform"].form.errors) == {"language", "time_zone"}
    agent.refresh_from_db()
    assert agent.time_zone == "Europe/Berlin"


def test_it_lists_agents_only_and_deletes_none(admin_client_, support):
    customer = factories.customer("cust_in_list")
    page = admin_client_.get(reverse("admin:accounts_user_changelist"))
    listed = {user.username for user in page.context["cl"].result_list}
    assert "rw_agent" in listed
    assert "cust_in_list" not in listed and "system" not in listed
    assert (
        admin_client_.get(reverse("admin:accounts_user_change", args=[customer.pk])).status_code
        == 302
    )
    delete = reverse("admin:accounts_user_delete", args=[support.rw.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=support.rw.pk).exists()
    change = admin_client_.get(reverse("admin:accounts_user_change", args=[support.rw.pk]))
    assert "never deleted" in change.content.decode()


def test_it_keeps_customers_out_of_the_admin(client, db):
    customer = factories.customer("cust")
    customer.is_staff = True  # even with the flag, a customer login is no admin
    customer.save()
    client.force_login(customer)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert Group.objects.exists()

"""Test data for the customer portal's ticket pages, built through the real actions."""

from __future__ import annotations

import itertools

from django.test import Client

from customers.models import CustomerCompany, CustomerUser
from tests import factories
from tickets import actions
from tickets.choices import Channel, FollowUpOption, SenderType
from tickets.models import Article, Attachment, Queue

_seq = itertools.count(1)


def company(customer_id: str, name: str | None = None) -> CustomerCompany:
    return CustomerCompany.objects.create(customer_id=customer_id, name=name or customer_id)


def customer(
    login: str | None = None,
    *,
    company_: CustomerCompany | None = None,
    others=(),
    email: str | None = None,
    language: str = "",
):
    """A customer login with a valid customer user; returns the login (a User)."""
    login = login or f"cust{next(_seq)}"
    user = factories.customer(login)
    user.first_name, user.last_name, user.language = login.title(), "Customer", language
    user.save()
    profile = CustomerUser.objects.create(
        user=user, email=email or f"{login}@customers.test", company=company_
    )
    profile.other_companies.set(others)
    return user


def portal_queue(
    name: str | None = None, *, follow_up: str = FollowUpOption.POSSIBLE, selectable=True
) -> Queue:
    queue = factories.queue(name or f"Portal {next(_seq)}")
    queue.follow_up = follow_up
    queue.customer_selectable = selectable
    queue.save()
    return queue


def ticket(queue: Queue, *, customer_user: str = "", customer_id: str = "", title=None):
    """A ticket from a customer phone call (visible), made by the system user."""
    return factories.ticket(
        queue,
        title=title or f"Ticket title {next(_seq)}",
        customer_user=customer_user,
        customer_id=customer_id,
    )


def article(ticket_, *, visible: bool, body: str = "Some text.", files=()) -> Article:
    """An article by an agent's hand (the system user): visible (phone) or an internal note,
    with ``files`` as (name, bytes) attachments."""
    return actions.add_article(
        ticket_,
        actions.ArticleInput(
            channel=Channel.PHONE if visible else Channel.INTERNAL,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=visible,
            subject="Agent text",
            body=body,
            attachments=[
                actions.AttachmentInput(filename=name, content=data, content_type="text/plain")
                for name, data in files
            ],
        ),
        actor=factories.system(),
    )


def attachment_of(article_: Article) -> Attachment:
    return article_.attachments.get()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client

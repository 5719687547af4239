"""TEMPORARY placeholders; the owner of this module replaces them."""

from django.shortcuts import render
from django.urls import path

from otrs.accounts.decorators import agent_required


@agent_required
def placeholder(request, *args, **kwargs):
    return render(request, "tickets/placeholder.html", {"name": request.resolver_match.url_name})


urlpatterns = [
    path("", placeholder, name="dashboard"),
    path("queues/", placeholder, name="queues"),
    path("status/", placeholder, name="status"),
    path("locked/", placeholder, name="locked"),
    path("watched/", placeholder, name="watched"),
    path("responsible/", placeholder, name="responsible"),
]

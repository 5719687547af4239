"""TEMPORARY placeholders; the owner of this module replaces them."""

from django.shortcuts import render
from django.urls import path

from otrs.accounts.decorators import agent_required


@agent_required
def placeholder(request, *args, **kwargs):
    return render(request, "tickets/placeholder.html", {"name": request.resolver_match.url_name})


urlpatterns = [
    path("bulk/", placeholder, name="bulk"),
]

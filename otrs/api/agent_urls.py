"""The agent portal's token page, mounted by the shell under /agent/ (agents only)."""

from django.urls import path

from . import agent_views

urlpatterns = [
    path("preferences/tokens/", agent_views.tokens, name="api_tokens"),
    path("preferences/tokens/<int:pk>/revoke/", agent_views.revoke, name="api_token_revoke"),
]

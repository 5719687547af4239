"""The agent portal's ticket screens, one module per area; each module lists its own
``urlpatterns`` and ``tickets/agent_urls.py`` joins them under the ``agent`` namespace."""

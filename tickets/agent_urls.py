"""The agent portal under /agent/ (namespace ``agent``)."""

from django.urls import path

from customers.agent_urls import agent_urlpatterns as customer_urlpatterns
from otrs.agent import views as account_views

from .views import bulk, create, overviews, search, ticket_actions, zoom

app_name = "agent"

urlpatterns = [
    path("login/", account_views.AgentLoginView.as_view(), name="login"),
    path("logout/", account_views.AgentLogoutView.as_view(), name="logout"),
    path("password/", account_views.password_change, name="password_change"),
    path("preferences/", account_views.preferences, name="preferences"),
    *overviews.urlpatterns,
    *zoom.urlpatterns,
    *ticket_actions.urlpatterns,
    *create.urlpatterns,
    *bulk.urlpatterns,
    *search.urlpatterns,
    *customer_urlpatterns,
]

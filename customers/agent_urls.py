"""The agent's customer screens and their menu entry. Mounted under /agent/ by the portal's
shell (:mod:`otrs.agent.registry`) in the ``agent`` namespace, so their names read
``agent:customer_users`` and so on. ``customers/autocomplete/`` belongs to the ticket screens
(tickets.views.customer).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from otrs.agent.registry import MenuEntry

from . import views

urlpatterns = [
    path("customers/users/", views.customer_users, name="customer_users"),
    path("customers/users/new/", views.customer_user_add, name="customer_user_add"),
    path("customers/users/<int:pk>/", views.customer_user, name="customer_user"),
    path("customers/users/<int:pk>/edit/", views.customer_user_edit, name="customer_user_edit"),
    path(
        "customers/users/<int:pk>/validity/",
        views.customer_user_validity,
        name="customer_user_validity",
    ),
    path("customers/companies/", views.companies, name="companies"),
    path("customers/companies/new/", views.company_add, name="company_add"),
    path("customers/companies/<int:pk>/", views.company, name="company"),
    path("customers/companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path(
        "customers/companies/<int:pk>/validity/",
        views.company_validity,
        name="company_validity",
    ),
    path("customers/info/", views.customer_info, name="customer_info"),
]

# Every agent may look customers up; adding and editing is checked on those pages.
menu = [MenuEntry("customers", _("Customers"), "agent:customer_users", order=70, icon="users")]

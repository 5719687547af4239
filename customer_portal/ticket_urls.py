"""The customer portal's ticket pages, included by ``customer_portal.urls`` at the portal's
root (namespace ``customer``); the root itself leads to the ticket list."""

from django.urls import path
from django.views.generic import RedirectView

from .views import processes, tickets

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customer:tickets", permanent=False), name="home"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/close/", tickets.ticket_close, name="ticket_close"),
    path("attachments/<int:pk>/", tickets.attachment, name="attachment"),
    path("processes/", processes.process_list, name="process_list"),
    path("processes/<int:pk>/start/", processes.process_start, name="process_start"),
    path(
        "tickets/<int:pk>/process/<int:dialog_pk>/",
        processes.process_dialog,
        name="process_dialog",
    ),
]

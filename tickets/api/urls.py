"""The ticket domain's API routes, under /api/v1/ (wired in otrs/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import notifications, views

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="api-ticket")
router.register("queues", views.QueueViewSet, basename="api-queue")
router.register("states", views.StateViewSet, basename="api-state")
router.register("priorities", views.PriorityViewSet, basename="api-priority")
router.register("ticket-types", views.TicketTypeViewSet, basename="api-ticket-type")
router.register("services", views.ServiceViewSet, basename="api-service")
router.register("slas", views.SLAViewSet, basename="api-sla")
router.register("notifications", notifications.WebNotificationViewSet, basename="api-notification")

urlpatterns = [
    path("tickets/bulk/", views.BulkTicketView.as_view(), name="api-ticket-bulk"),
    path("articles/bulk/", views.BulkArticleView.as_view(), name="api-article-bulk"),
    path("attachments/<int:pk>/", views.AttachmentView.as_view(), name="api-attachment"),
    *router.urls,
]

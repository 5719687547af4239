"""The agent's FAQ screens and their menu entry, mounted under /agent/ in the ``agent``
namespace by the portal's shell (:mod:`otrs.agent.registry`)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from otrs.agent.registry import MenuEntry

from . import suggest_views, views

urlpatterns = [
    path("faq/", views.explorer, name="faq"),
    path("faq/dashboard/", views.dashboard, name="faq_dashboard"),
    path("faq/new/", views.item_add, name="faq_item_add"),
    path("faq/suggest.json", suggest_views.suggest, name="faq_suggest"),
    path("faq/<int:pk>/", views.item, name="faq_item"),
    path("faq/<int:pk>/edit/", views.item_edit, name="faq_item_edit"),
    path("faq/<int:pk>/properties/", views.properties, name="faq_item_properties"),
    path("faq/<int:pk>/related/", views.related, name="faq_item_related"),
    path("faq/<int:pk>/diff/", views.diff, name="faq_diff"),
    path("faq/<int:pk>/attachments/", views.attachment_add, name="faq_attachment_add"),
    path(
        "faq/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment,
        name="faq_attachment",
    ),
    path("faq/<int:pk>/revisions/<int:number>/", views.revision, name="faq_revision"),
    path("faq/<int:pk>/revisions/<int:number>/submit/", views.submit, name="faq_submit"),
    path("faq/<int:pk>/revisions/<int:number>/approve/", views.approve, name="faq_approve"),
    path("faq/<int:pk>/revisions/<int:number>/send-back/", views.send_back, name="faq_send_back"),
    path("faq/<int:pk>/revisions/<int:number>/revert/", views.revert, name="faq_revert"),
]

menu = [
    MenuEntry(
        "faq",
        _("FAQ"),
        "agent:faq",
        order=75,
        icon="book-open",
        current_for=("agent:faq_dashboard",),
    )
]

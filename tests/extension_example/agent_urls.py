"""What the extension adds to the agent portal: one page and its menu entry."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from otrs.agent.registry import MenuEntry

from . import views

urlpatterns = [path("example/report/", views.report, name="example_report")]

menu = [
    MenuEntry(
        "example_report",
        _("Example report"),
        "agent:example_report",
        order=95,
        visible=views.may_see_reports,
    )
]

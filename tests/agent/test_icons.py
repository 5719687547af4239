"""The agent portal's icons (issue 18): Heroicons from the installed package, drawn as inline
SVG beside the text they illustrate (hidden from screen readers, the text is kept) in the
navigation, the zoom's action bar, menus and article buttons, and the dashboard's widget
headings."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from heroicons import IconDoesNotExist

from otrs.agent import registry
from otrs.agent.templatetags.icons import icon
from tests import factories
from tickets import actions
from tickets.choices import Channel, SenderType
from tickets.dashboard import WIDGETS
from tickets.views.zoom import ICONS

SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)


def _icons_before(html: str, element: str) -> list[tuple[str, str]]:
    """(the svg's attributes, the text after it) of each ``element`` starting with an icon."""
    pattern = rf"<{element}\b[^>]*>\s*<svg\b([^>]*)>.*?</svg>([^<]*)<"
    return re.findall(pattern, html, re.S)


def test_every_icon_named_exists_in_the_package(db):
    names = set(ICONS.values()) | {kind.icon for kind in WIDGETS}
    for contribution in registry.contributions():
        for entry in contribution.menu:
            names |= {entry.icon, entry.group_icon}
    names.discard("")
    assert len(names) > 30
    for name in names:
        assert icon(name).startswith("<svg"), name


def test_an_unknown_name_is_an_error_and_an_empty_one_draws_nothing():
    assert icon("") == ""
    with pytest.raises(IconDoesNotExist):
        icon("no-such-icon")


def test_it_draws_a_hidden_icon_before_each_navigation_label(client, db):
    client.force_login(factories.agent())
    html = client.get(reverse("agent:dashboard")).content.decode()
    nav = re.search(r'<ul class="mainnav">(.*?)</ul>\s*</nav>', html, re.S).group(1)
    links = re.findall(r"<a [^>]*data-nav=", nav)
    drawn = _icons_before(nav, "a") + _icons_before(nav, "summary")
    # Every link and the "New ticket" drop-down, each with its label still there.
    assert len(drawn) == len(links) + 1
    for attrs, label in drawn:
        assert 'aria-hidden="true"' in attrs and 'class="icon"' in attrs
        assert label.strip()
    assert "Queues" in [label.strip() for _attrs, label in drawn]


def test_it_draws_icons_on_the_zoom_actions_menus_and_article_buttons(client, support):
    ticket = factories.ticket(support.queue, title="Printer")
    actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            subject="Printer",
            body="It jams.",
            from_address="carla@example.test",
        ),
        actor=support.rw,
    )
    client.force_login(support.rw)
    html = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    bar = re.search(r'<nav class="ticket-actions".*?</nav>', html, re.S).group(0)
    actions_in_bar = re.findall(r'data-action="([^"]+)">(<svg.*?</svg>)?', bar, re.S)
    assert len(actions_in_bar) > 10
    assert [name for name, svg in actions_in_bar if not svg] == []
    menus = _icons_before(bar, "summary")
    assert {label for _attrs, label in menus} == {"Communication", "People", "Miscellaneous"}
    replies = dict(re.findall(r'data-article-action="([^"]+)">(<svg.*?</svg>)', html, re.S))
    assert {"reply", "forward", "split", "bounce"} <= set(replies)
    assert all('aria-hidden="true"' in svg for svg in replies.values())


def test_it_draws_an_icon_in_each_dashboard_widget_heading(client, db):
    client.force_login(factories.agent())
    html = client.get(reverse("agent:dashboard")).content.decode()
    headings = re.findall(r'<h2 id="widget-[^"]+"><a [^>]*>(<svg.*?</svg>)?([^<]+)</a>', html, re.S)
    assert len(headings) == len(WIDGETS)
    assert all(svg and title.strip() for svg, title in headings)

"""The agent portal's layout in a real browser (issue 18): at 375, 1,024 and 1,600 px, light
and dark, English and German, JavaScript on and off, the dashboard, queue view, zoom,
composer and Customer Information Center never scroll sideways and keep every column at a
readable width; long titles, queue names and addresses end in an ellipsis with a tooltip.
Screenshots of each go to test-artifacts/ (agent-layout-<page>-<width>-<lang>-<scheme>-<js>).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS
from tests.browser.test_agent_portal import sign_in
from tests.customers import company, customer_user
from tests.missing import import_or_missing
from tickets import actions
from tickets.choices import Channel, SenderType

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = [375, 1024, 1600]
LOOKS = [("en", "light"), ("de", "dark")]
LONG_TITLE = "The colour printer on the third floor prints every page twice and then jams again"
LONG_ADDRESS = "someone.with.a.very.long.name@subsidiary.department.example-corporation.test"
# The narrowest a column may be (CSS px): the title column of a list on a wide screen, a
# queue column, and a ticket card's title on a phone.
MIN_TITLE, MIN_QUEUE, MIN_CARD_TITLE = 110, 60, 250

ICONS_SHOWN = """() => [...document.querySelectorAll('svg.icon')]
    .filter((icon) => icon.getBoundingClientRect().width > 0)
    .map((icon) => { const box = icon.getBoundingClientRect();
        const label = icon.parentElement.getBoundingClientRect();
        return [box.width, icon.getAttribute('aria-hidden') === 'true',
                box.top >= label.top - 1 && box.bottom <= label.bottom + 1]; })"""
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"
WIDTHS_OF = """(selector) => [...document.querySelectorAll(selector)]
    .filter((el) => el.offsetParent !== null).map((el) => el.getBoundingClientRect().width)"""


@pytest.fixture
def desk(support):
    """Tickets with long texts in a queue with a long name; a registered customer (the CIC);
    an HTML mail; an agent who sees it all."""
    agent = support.rw
    parent = factories.queue("Customer Support Department", group_=support.group)
    queue = factories.queue("Software Development", group_=support.group, parent=parent)
    acme = company("ACME", "Acme Corporation International Holding")
    customer_user(
        "carla", first_name="Carla", last_name="Customer", email=LONG_ADDRESS, company=acme
    )
    tickets = [
        factories.ticket(
            queue, title=f"{LONG_TITLE} ({n})", customer_user="carla", customer_id="ACME"
        )
        for n in range(4)
    ]
    mail = actions.add_article(
        tickets[0],
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            from_address=f"Carla Customer <{LONG_ADDRESS}>",
            subject="Short HTML mail",
            body="Two lines.",
            body_html="<p>Two</p><p>lines.</p>",
        ),
        actor=factories.system(),
    )
    agent.is_staff = True  # the admin's extra link in the navigation
    agent.save()
    return type("Desk", (), {"agent": agent, "queue": queue, "tickets": tickets, "mail": mail})


@pytest.fixture
def layout_page(browser, js_mode, live_server, request):
    """A page of a given width and colour scheme, with the page checks of the conftest."""
    opened = []

    def open_page(width: int, scheme: str):
        context = browser.new_context(
            java_script_enabled=js_mode == "js",
            viewport={"width": width, "height": 900},
            locale="en-US",
            color_scheme=scheme,
            base_url=live_server.url,
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "response",
            lambda r: r.status >= 400 and "/static/" in r.url and errors.append(r.url),
        )
        opened.append((context, errors))
        return page

    yield open_page
    for context, errors in opened:
        context.close()
        assert not errors, errors


def _pages(desk):
    first = desk.tickets[0]
    return {
        "dashboard": reverse("agent:dashboard"),
        "queue": f"{reverse('agent:queues')}?queue={desk.queue.pk}",
        "zoom": reverse("agent:zoom", args=[first.pk]),
        "composer": reverse("agent:reply", args=[first.pk, desk.mail.pk]),
        "cic": f"{reverse('agent:customer_info')}?customer_user=carla",
    }


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("language", "scheme"), LOOKS)
def test_the_pages_hold_their_layout(layout_page, desk, js_mode, width, language, scheme):
    desk.agent.language = language
    desk.agent.save()
    page = layout_page(width, scheme)
    sign_in(page, desk.agent.username)
    ARTIFACTS.mkdir(exist_ok=True)

    for name, url in _pages(desk).items():
        page.goto(url)
        shot = f"agent-layout-{name}-{width}-{language}-{scheme}-{js_mode}.png"
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name} scrolls sideways at {width} px"
        # The icons (Heroicons, inline): the size of their text (15 px, 12.75 in the small
        # buttons), hidden from screen readers, each on the line of the label it stands before.
        icons = page.evaluate(ICONS_SHOWN)
        assert icons, f"{name}: no icon shown"
        assert all(12 <= size <= 18 and hidden and beside for size, hidden, beside in icons), (
            f"{name}: {icons}"
        )
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        dark = sum(int(v) for v in re.findall(r"\d+", background)[:3]) < 3 * 80
        assert dark == (scheme == "dark"), f"{name}: {background} in the {scheme} scheme"
        titles = page.evaluate(WIDTHS_OF, "table.tickets td.title")
        if name in ("dashboard", "queue", "cic"):
            assert titles, f"{name} lists no ticket"
            least = MIN_CARD_TITLE if width < 700 else MIN_TITLE
            assert min(titles) >= least, f"{name}: a title column of {min(titles)} px"
            queues = page.evaluate(WIDTHS_OF, "table.tickets td.queue")
            assert not queues or min(queues) >= MIN_QUEUE, f"{name}: queue column {queues}"
            cell = page.locator("table.tickets td.title").first
            expect(cell).to_have_attribute("title", re.compile(re.escape(LONG_TITLE)))
            queue_cell = page.locator("table.tickets td.queue").first
            # The whole name stays on one line (an ellipsis, never a break inside a word).
            height = queue_cell.evaluate("(el) => el.getBoundingClientRect().height")
            line = queue_cell.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)")
            assert height < 2 * line + 16, f"{name}: the queue name wraps ({height} px)"


@pytest.mark.parametrize("language", ["de"])
def test_the_navigation_is_one_line_at_1400_px_for_an_admin(layout_page, desk, language):
    desk.agent.language = language
    desk.agent.save()
    page = layout_page(1400, "light")
    sign_in(page, desk.agent.username)

    nav = page.locator("ul.mainnav")
    links = page.evaluate("""() => [...document.querySelectorAll('.mainnav > li')]
        .map((li) => Math.round(li.getBoundingClientRect().top))""")
    assert len(set(links)) == 1, f"the navigation wraps: {links}"
    assert nav.evaluate("(el) => el.scrollWidth <= el.clientWidth + 1")
    topbar = page.locator("header.topbar").evaluate("(el) => el.getBoundingClientRect().height")
    assert topbar < 60
    # What the drop-downs hold is reachable with and without JavaScript.
    page.locator("details.nav-menu > summary").click()
    expect(page.get_by_role("link", name="Neues E-Mail-Ticket")).to_be_visible()
    page.locator("details.user-menu > summary").click()
    expect(page.get_by_role("link", name="Administration")).to_be_visible()


def test_the_zoom_groups_its_actions_in_menus_that_open(layout_page, desk, js_mode):
    page = layout_page(1024, "light")
    sign_in(page, desk.agent.username)
    page.goto(reverse("agent:zoom", args=[desk.tickets[0].pk]))

    bar = page.get_by_role("navigation", name="Ticket actions")
    expect(bar.locator("> a.btn, > form .btn")).to_have_count(6)
    expect(bar.get_by_role("link", name="Owner")).to_be_hidden()
    bar.locator("details[data-menu=people] > summary").click()
    bar.get_by_role("link", name="Owner").click()
    expect(page).to_have_url(re.compile(r"/owner/$"))


def test_the_html_mail_frame_fits_its_content(layout_page, desk, js_mode):
    page = layout_page(1024, "light")
    sign_in(page, desk.agent.username)
    page.goto(reverse("agent:zoom", args=[desk.tickets[0].pk]))

    frame = page.locator("iframe.html-body")
    expect(frame).to_be_visible()
    if js_mode == "js":
        expect(frame).to_have_class(re.compile("fitted"))
        height = frame.evaluate("(el) => el.getBoundingClientRect().height")
        assert 40 <= height <= 150, f"a two-line mail in a frame of {height} px"
    else:
        height = frame.evaluate("(el) => el.getBoundingClientRect().height")
        assert height <= 16 * 15 + 2  # 16rem, resizable

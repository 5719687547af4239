"""PDF output of the reports (issue 14 part 7): the download beside the CSV one, and scheduled
reports mailed with a PDF attached. The data set is the hand-built one of test_reports.py (three
tickets in "Support" on Monday 2026-03-02), plus a queue with a Polish and Czech name."""

from __future__ import annotations

import datetime as dt
import email
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from otrs.accounts.models import Group
from otrs.mail import sending
from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tests.tickets import test_reports, test_sla
from tests.tickets.test_reports import DAY
from tickets import reports, reports_pdf
from tickets.actions import reports as schedules
from tickets.metrics import refresh_metrics
from tickets.models import ReportFormat, ReportSchedule

pytestmark = pytest.mark.django_db
clock = test_sla.clock
world = test_reports.world
# Polish and Czech letters outside Latin-1 (ł, ż, ś, ř, ů) and the German-looking Ünïcödé.
UNICODE_QUEUE = "PDF-Reports Łódź Żółć · Řešení Ůvaly Ünïcödé"


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    """The document and its text, whitespace made single spaces (cells wrap)."""
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def unicode_queue(world):
    """A ticket in a queue of the reporter's group whose name needs more than Latin-1."""
    queue = factories.queue(UNICODE_QUEUE, group_=world.support.group)
    made = factories.ticket(queue, title="PDF-Reports unicode")
    refresh_metrics([made.pk])
    return queue


def test_the_pdf_has_title_filters_chart_labels_and_table_in_german(client, world, unicode_queue):
    world.reporter.language = "de"
    world.reporter.save()
    client.force_login(world.reporter)
    url = reverse("agent:report", args=["compliance"])
    page = client.get(url, DAY).content.decode()
    assert "format=pdf" in page and "PDF herunterladen" in page
    response = client.get(url, {**DAY, "format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="compliance-2026-03-02-2026-03-02.pdf"' in response["Content-Disposition"]
    reader, text = pdf_text(response.content)
    assert reader.metadata.title == "SLA-Einhaltung"
    assert "SLA-Einhaltung" in text
    assert "Zeitraum: 02.03.2026 bis 02.03.2026" in text
    assert "Gruppieren nach: Queue" in text
    assert "Ziele eingehalten" in text  # a German column label
    assert "Einhaltung in % pro Gruppe" in text  # the chart's heading
    assert "50,0 %" in text  # Support's compliance, a table cell in German number format
    assert UNICODE_QUEUE in text  # in the chart's labels and the table
    # ... drawn with real glyphs: the embedded font has every letter (text extraction alone
    # would pass with empty boxes, as it reads the character codes).
    face = pdfmetrics.getFont(reports_pdf.FONT).face
    assert all(ord(char) in face.charToGlyph for char in UNICODE_QUEUE)
    fonts = {
        font["/BaseFont"]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    assert fonts and all("OpenSans" in str(name) for name in fonts)  # embedded, no Helvetica


def test_every_report_has_a_pdf_with_the_same_filters(client, world):
    client.force_login(world.reporter)
    for kind in reports.Kind.values:
        url = reverse("agent:report", args=[kind])
        response = client.get(url, {**DAY, "dimension": "agent", "format": "pdf"})
        assert response.status_code == 200, kind
        _reader, text = pdf_text(response.content)
        assert str(reports.Kind(kind).label) in text
        if kind in reports.GROUPED:
            assert "Group by: Agent" in text
    queue_only = client.get(
        reverse("agent:report", args=["compliance"]),
        {**DAY, "queue": world.support.queue.pk, "format": "pdf"},
    )
    assert "Queue: Support" in pdf_text(queue_only.content)[1]
    bad = client.get(
        reverse("agent:report", args=["compliance"]),
        {"start": "2026-03-05", "end": "2026-03-01", "format": "pdf"},
    )
    assert bad.status_code == 400 and bad["Content-Type"].startswith("text/html")


def test_a_long_table_runs_over_pages_with_its_header_repeated(client, world):
    client.force_login(world.reporter)
    response = client.get(
        reverse("agent:report", args=["volume"]),
        {"start": "2026-01-01", "end": "2026-03-31", "format": "pdf"},
    )
    reader, _text = pdf_text(response.content)
    assert len(reader.pages) > 1
    last = reader.pages[-1].extract_text()
    assert "Day" in last and "Created" in last  # the header row again
    assert "2026-03-31" in last and "Total" in last
    assert "Page 2" in reader.pages[1].extract_text()


def test_agents_without_the_reports_grant_get_404_for_the_pdf(client, world):
    url = reverse("agent:report", args=["compliance"])
    client.force_login(world.support.ro)
    assert client.get(url, {**DAY, "format": "pdf"}).status_code == 404
    client.force_login(factories.customer("pdf_reports_customer"))
    refused = client.get(url, {**DAY, "format": "pdf"})
    assert refused.status_code in (403, 404) and refused["Content-Type"] != "application/pdf"


def test_a_pdf_schedule_mails_the_pdf_through_smtp(
    client, world, clock, settings, smtp_server, unicode_queue
):
    settings.TIME_ZONE = "UTC"
    settings.EMAIL_BACKEND = "otrs.mail.backend.QueueBackend"
    manager = factories.agent("pdf_reports_manager")
    factories.grant(manager, Group.objects.get(name="stats"), factories.RW)
    world.reporter.email = "pdf-reporter@example.com"
    world.reporter.language = "de"
    world.reporter.save()
    client.force_login(manager)
    url = reverse("agent:report_schedule", args=["compliance"])
    wanted = {"name": "PDF daily", "frequency": "daily", "dimension": "queue"}
    refused = client.post(url, {**wanted, "formats": "docx", "recipients": [world.reporter.pk]})
    assert refused.status_code == 400 and not ReportSchedule.objects.exists()
    response = client.post(url, {**wanted, "formats": "pdf", "recipients": [world.reporter.pk]})
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.formats == ReportFormat.PDF
    assert "PDF" in client.get(reverse("agent:reports")).content.decode()

    clock.move_to(dt.datetime(2026, 3, 3, 6, 5, tzinfo=dt.UTC))
    assert schedules.send_due_reports() == [(schedule.pk, "pdf-reporter@example.com")]
    assert sending.send_due() == 1
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["pdf-reporter@example.com"]
    attachments = list(received.message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["compliance-2026-03-02-2026-03-02.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    _reader, text = pdf_text(attachments[0].get_content())
    assert "SLA-Einhaltung" in text and UNICODE_QUEUE in text and "50,0 %" in text


def test_both_formats_attach_csv_and_pdf(world, clock, settings):
    settings.TIME_ZONE = "UTC"
    settings.EMAIL_BACKEND = "otrs.mail.backend.QueueBackend"
    manager = factories.agent("pdf_reports_both")
    factories.grant(manager, Group.objects.get(name="stats"), factories.RW)
    world.reporter.email = "pdf-both@example.com"
    world.reporter.save()
    schedules.create_report_schedule(
        "PDF both",
        "backlog",
        dimension="queue",
        queue=None,
        frequency="daily",
        recipients=[world.reporter],
        actor=manager,
        formats=ReportFormat.BOTH,
    )
    clock.move_to(dt.datetime(2026, 3, 3, 6, 5, tzinfo=dt.UTC))
    assert len(schedules.send_due_reports()) == 1
    mail = OutboundMessage.objects.get(kind=OutboundKind.SYSTEM)
    parsed = email.message_from_bytes(bytes(mail.raw))
    names = sorted(p.get_filename() for p in parsed.walk() if p.get_filename())
    assert names == ["backlog-2026-03-02-2026-03-02.csv", "backlog-2026-03-02-2026-03-02.pdf"]


def test_a_chart_of_many_bars_and_an_empty_report_fit_the_pages():
    """150 groups: the bars are drawn in parts that each fit a page (a drawing never splits);
    no rows: the PDF says so instead of drawing an empty chart."""
    filters = reports.Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    columns = [
        reports.Column("name", "Queue", "text"),
        reports.Column("rate", "Reopen rate", "percent"),
    ]
    rows = [{"name": f"PDF-Reports queue {n:03d}", "rate": n / 2} for n in range(150)]
    many = reports.Report(
        reports.Kind.REOPENS,
        filters,
        columns,
        rows,
        chart=("bars", [(r["name"], r["rate"]) for r in rows], 100, "%"),
        chart_label="Reopen rate in % per group",
    )
    reader, text = pdf_text(reports_pdf.to_pdf(many))
    assert len(reader.pages) >= 5
    assert "PDF-Reports queue 149" in text and "74.5 %" in text
    empty = reports.Report(reports.Kind.REOPENS, filters, columns, [], chart=("bars", [], 100, "%"))
    reader, text = pdf_text(reports_pdf.to_pdf(empty))
    assert len(reader.pages) == 1 and "No tickets in this period." in text

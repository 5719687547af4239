"""Attachment text for the search index: plain text, HTML, PDF and office documents.

Runs in the worker (the index handler) and in ``manage.py search_index``, never in a web
request. What cannot be read is not dropped silently: :func:`extract` raises
:class:`NotExtracted` with the reason, and the caller records it on the document
(:class:`otrs.search.registry.Skipped`), logs it and ``search_index --status`` counts it.
Limits: ``SEARCH_ATTACHMENT_MAX_BYTES`` (larger files are not opened) and
``SEARCH_ATTACHMENT_MAX_CHARS`` (longer text is cut, and the cut is reported).
"""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser

from charset_normalizer import from_bytes
from django.conf import settings

OFFICE_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OFFICE_EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NotExtracted(Exception):
    """The attachment's text is not (or not wholly) in the index; the message says why."""

    def __init__(self, reason: str, text: str = ""):
        super().__init__(reason)
        self.reason = reason
        # What could be read before a limit cut it (indexed all the same).
        self.text = text


class _Text(HTMLParser):
    """The text of an HTML document, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _decode(data: bytes) -> str:
    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", "replace")


def _pdf(data: bytes) -> str:
    # Imported here: pypdf is loaded only by the workers that meet a PDF.
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise NotExtracted("encrypted PDF")
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _docx(data: bytes) -> str:
    # Imported here: python-docx is loaded only by the workers that meet a Word file.
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _xlsx(data: bytes) -> str:
    # Imported here: openpyxl is loaded only by the workers that meet a spreadsheet.
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    parts: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            parts.extend(str(v) for v in row if v is not None)
    book.close()
    return "\n".join(parts)


def _kind(content_type: str, filename: str) -> str:
    content_type = content_type.split(";")[0].strip().lower()
    name = filename.lower()
    if content_type == "text/html" or name.endswith((".html", ".htm")):
        return "html"
    if content_type.startswith("text/") or name.endswith((".txt", ".csv", ".log", ".md")):
        return "text"
    if content_type == "application/pdf" or name.endswith(".pdf"):
        return "pdf"
    if content_type == OFFICE_WORD or name.endswith(".docx"):
        return "docx"
    if content_type == OFFICE_EXCEL or name.endswith(".xlsx"):
        return "xlsx"
    return ""


def extractable(content_type: str, filename: str) -> bool:
    return bool(_kind(content_type, filename))


def extract(data: bytes, content_type: str, filename: str) -> str:
    """The text of an attachment; :class:`NotExtracted` when it cannot be had whole."""
    kind = _kind(content_type, filename)
    if not kind:
        raise NotExtracted(f"no text extraction for {content_type or 'unknown type'}")
    limit = settings.SEARCH_ATTACHMENT_MAX_BYTES
    if len(data) > limit:
        raise NotExtracted(f"larger than SEARCH_ATTACHMENT_MAX_BYTES ({limit} bytes)")
    try:
        if kind == "html":
            text = html_text(_decode(data))
        elif kind == "text":
            text = _decode(data)
        elif kind == "pdf":
            text = _pdf(data)
        elif kind == "docx":
            text = _docx(data)
        else:
            text = _xlsx(data)
    except NotExtracted:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise NotExtracted(f"unreadable {kind}: {exc}") from None
    except Exception as exc:  # a broken file must not stop the index (reported instead)
        raise NotExtracted(f"unreadable {kind}: {type(exc).__name__}: {exc}") from None
    chars = settings.SEARCH_ATTACHMENT_MAX_CHARS
    if len(text) > chars:
        raise NotExtracted(
            f"text cut at SEARCH_ATTACHMENT_MAX_CHARS ({chars} characters)", text=text[:chars]
        )
    return text

"""Attachments as downloads, for the agent and the customer portal alike: a safe type, a safe
file name, and headers that keep a mailed file from ever rendering as a page of the site."""

from __future__ import annotations

import re

from django.http import FileResponse

from .models import Attachment

# Served with their own type; anything else (HTML, SVG, XML, scripts, unknown) goes out as
# application/octet-stream, so a browser never renders a mailed file as a page.
_SAFE_TYPES = frozenset(
    {
        "text/plain",
        "text/csv",
        "text/calendar",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-7z-compressed",
        "application/x-tar",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/octet-stream",
    }
)
_SAFE_PREFIXES = (
    "image/",
    "audio/",
    "video/",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)
_UNSAFE_MARKERS = ("html", "svg", "script", "xsl")
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]{1,40})\"?", re.IGNORECASE)
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]+")
OCTET_STREAM = "application/octet-stream"


def served_content_type(stored: str) -> str:
    """The Content-Type a stored attachment type is served with."""
    main, _sep, params = (stored or "").partition(";")
    main = main.strip().lower()
    if not _TOKEN.match(main) or main.endswith(("/xml", "+xml")):
        return OCTET_STREAM
    if any(marker in main for marker in _UNSAFE_MARKERS):
        return OCTET_STREAM
    if main not in _SAFE_TYPES and not main.startswith(_SAFE_PREFIXES):
        return OCTET_STREAM
    charset = _CHARSET.search(params)
    if main.startswith("text/") and charset:
        return f"{main}; charset={charset.group(1)}"
    return main


def download_name(filename: str) -> str:
    """The file name offered to the browser: no path separators, no control characters."""
    if not _UNSAFE_FILENAME.sub("", filename or "").strip(" ."):
        return "attachment"
    return _UNSAFE_FILENAME.sub("_", filename).strip(" .")


def attachment_response(item: Attachment) -> FileResponse:
    """An attachment as a download that can never render as a page here: attachment
    disposition, a safe type, nosniff and a sandbox CSP (agent and customer downloads)."""
    # FileResponse writes Content-Disposition with Django's content_disposition_header:
    # a quoted ASCII name, or filename*=utf-8''<percent-encoded> for anything else.
    response = FileResponse(
        item.open_stream(),
        as_attachment=True,
        filename=download_name(item.filename),
        content_type=served_content_type(item.content_type),
    )
    # A file read from the database a row at a time has no length FileResponse can find.
    if "Content-Length" not in response and item.size:
        response["Content-Length"] = str(item.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response

"""Turn one raw RFC 5322 message into plain Python values, tolerantly.

Nothing here touches the database, and nothing here needs Django: the module imports without
the app registry (tests/mail/test_parsing.py proves it in a fresh interpreter). The parser
never raises for a damaged message; only input that is not a message at all (empty bytes, not
bytes) raises :class:`MailParseError`. Content that cannot be decoded as text is kept as an
attachment, so nothing is lost silently.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import mimetypes
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

from otrs.html import sanitize_html


@dataclass(frozen=True)
class MailAttachment:
    """One part of a mail kept as a file: an attachment, an inline image, undecodable text."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    content_id: str = ""
    disposition: str = "attachment"


class MailParseError(ValueError):
    """The input is not an email message at all."""


class Headers(Mapping[str, str]):
    """All headers in order, decoded; lookups ignore case and return the first value."""

    def __init__(self, items: list[tuple[str, str]]):
        self._items = list(items)
        self._first: dict[str, str] = {}
        for name, value in self._items:
            self._first.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._first[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def get_all(self, name: str) -> list[str]:
        key = name.lower()
        return [v for n, v in self._items if n.lower() == key]

    def items_all(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class ParsedMail:
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    to_names: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    cc_names: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    envelope_to: list[str] = field(default_factory=list)
    x_original_to: list[str] = field(default_factory=list)
    resent_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    body_text: str = ""
    body_html: str = ""
    attachments: list[MailAttachment] = field(default_factory=list)
    is_auto_generated: bool = False
    is_bounce: bool = False
    bounce_message_id: str = ""
    headers: Headers = field(default_factory=lambda: Headers([]))
    defects: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        """Every recipient, in the order spec 3.5 checks them for queue dispatch."""
        out: list[str] = []
        for group in (
            self.resent_to,
            self.envelope_to,
            self.to,
            self.cc,
            self.delivered_to,
            self.x_original_to,
        ):
            for addr in group:
                if addr and addr.lower() not in (a.lower() for a in out):
                    out.append(addr)
        return out


# --- text decoding -----------------------------------------------------------------------------

_LATIN1_NAMES = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "us-ascii", "ascii"}


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").split("*", 1)[0].lower()
    if name in ("unknown-8bit", "x-unknown", "unknown", "default"):
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, bool]:
    """Decode with the declared charset, then UTF-8, then Windows-1252, then Latin-1 (which
    cannot fail). Returns the text and whether the result is lossy (replacement used)."""
    name = _codec(charset)
    if name and charset:  # a codec name comes only from a non-empty charset
        latin_like = charset.strip().strip("\"'").lower() in _LATIN1_NAMES or name in (
            "latin-1",
            "iso8859-1",
            "ascii",
        )
        # Windows-1252 is routinely sent labelled ISO-8859-1: C1 controls give it away.
        if not (latin_like and re.search(rb"[\x80-\x9f]", data)):
            try:
                return data.decode(name), False
            except (UnicodeDecodeError, LookupError):
                pass
    for fallback in ("utf-8", "cp1252"):
        try:
            return data.decode(fallback), False
        except UnicodeDecodeError:
            continue
    text = data.decode("cp1252", errors="replace")
    return text, True


def _raw_str(value: object) -> str:
    """A header value as the parser stored it (8-bit bytes appear as surrogates) → text."""
    if value is None:
        return ""
    s = str(value)
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        data = s.encode("utf-8", errors="surrogateescape")
        s = decode_bytes(data)[0]
    return s


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _decode_word(kind: str, payload: str) -> bytes | None:
    if kind.lower() == "b":
        data = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        data += "=" * (-len(data) % 4)
        try:
            return base64.b64decode(data)
        except (binascii.Error, ValueError):
            return None
    raw = payload.replace("_", " ").encode("ascii", errors="replace")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_header_value(value: object) -> str:
    """Unfold and decode RFC 2047 encoded words, tolerantly; words of one charset that are
    adjacent are joined before decoding, so a character split across two words survives."""
    text = _FOLD.sub("", _raw_str(value))
    if "=?" not in text:
        return text.strip()
    out: list[str] = []
    pending: bytes = b""
    pending_cs: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_cs
        if pending:
            out.append(decode_bytes(pending, pending_cs)[0])
        pending, pending_cs = b"", None

    for m in _ENCODED_WORD.finditer(text):
        between = text[pos : m.start()]
        decoded = _decode_word(m.group(2), m.group(3))
        if decoded is None:
            continue
        if not (pending and not between.strip()):
            flush()
            out.append(between)
        charset = m.group(1).split("*", 1)[0]
        if pending and charset.lower() != (pending_cs or "").lower():
            flush()
        pending += decoded
        pending_cs = charset
        pos = m.end()
    flush()
    out.append(text[pos:])
    return "".join(out).strip()


# --- headers -----------------------------------------------------------------------------------

_MSGID = re.compile(r"<[^<>\s]+>")


def _msgids(value: str) -> list[str]:
    found = _MSGID.findall(value or "")
    if not found and value and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]
    return found


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(decoded display name, address) pairs; junk is skipped, never raised."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        text = _FOLD.sub("", value)
        try:
            parsed = getaddresses([text])
        except Exception:
            parsed = []
        if not parsed or all(not a for _, a in parsed):
            found = re.findall(r"[^\s<>,;:\"]+@[^\s<>,;:\"]+", text)
            parsed = [("", a) for a in found]
        for name, addr in parsed:
            addr = addr.strip().strip("<>")
            if not addr:
                continue
            pairs.append((decode_header_value(name), decode_header_value(addr)))
    return pairs


def _raw_headers(msg: Message) -> list[tuple[str, str]]:
    try:
        return [(str(n), _raw_str(v)) for n, v in msg.raw_items()]
    except Exception:
        return []


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


# --- HTML --------------------------------------------------------------------------------------

_BLOCKS = {"p", "div", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
_SKIP = {"script", "style", "head", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """A readable text body from HTML: tags gone, breaks kept, entities unescaped."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
        text = "".join(parser.parts)
    except Exception:
        text = unescape(re.sub(r"<[^>]*>", " ", html))
    lines = [line.strip() for line in text.replace("\xa0", " ").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_IMG = re.compile(r"<img\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.IGNORECASE)
_SRC = re.compile(r"\ssrc\s*=\s*\"([^\"]*)\"", re.IGNORECASE)


_HEAD_JUNK = re.compile(r"<(title|style|script)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def clean_html(html: str) -> str:
    """Sanitise with the shared sanitiser, then drop every image that is not a ``cid:`` one
    (remote images would tell the sender that the mail was read)."""
    safe = sanitize_html(_HEAD_JUNK.sub("", html))

    def keep(m: re.Match) -> str:
        src = _SRC.search(m.group(0))
        return m.group(0) if src and src.group(1).strip().lower().startswith("cid:") else ""

    return _IMG.sub(keep, safe)


# --- parts -------------------------------------------------------------------------------------


def _safe(call, default):
    try:
        result = call()
    except Exception:
        return default
    return default if result is None else result


def _param_message(part: Message) -> Message:
    """A legacy (compat32) copy of the part's MIME headers: its parameter parsing accepts
    anything and handles RFC 2231 continuations."""
    legacy = Message()
    for name, value in _raw_headers(part):
        if name.lower() in ("content-type", "content-disposition"):
            legacy[name] = value
    return legacy


def _filename(part: Message) -> str:
    legacy = _param_message(part)
    name = _safe(legacy.get_filename, "") or _safe(
        lambda: legacy.get_param("name", header="content-type"), ""
    )
    if isinstance(name, tuple):
        name = _safe(lambda: _collapse(name), "")
    name = decode_header_value(str(name or "")).strip().strip('"')
    return _clean_filename(name)


def _collapse(value: tuple) -> str:
    charset, _lang, text = value
    data = text.encode("latin-1", errors="surrogateescape")
    return decode_bytes(data, charset or "utf-8")[0]


def _clean_filename(name: str) -> str:
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", name).strip()
    if name in ("", ".", ".."):
        return ""
    return name[:255]


def _disposition(part: Message) -> str:
    disp = _safe(part.get_content_disposition, "") or _safe(
        _param_message(part).get_content_disposition, ""
    )
    return str(disp).lower()


def _content_type(part: Message) -> str:
    return str(_safe(part.get_content_type, "application/octet-stream")).lower()


def _charset(part: Message) -> str | None:
    cs = _safe(lambda: _param_message(part).get_param("charset"), None)
    if isinstance(cs, tuple):
        cs = cs[2]
    return str(cs) if cs else None


def _payload_bytes(part: Message) -> bytes:
    data = _safe(lambda: part.get_payload(decode=True), None)
    if isinstance(data, bytes):
        return data
    raw = _safe(part.get_payload, "")
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    return b""


def _body_bytes(part: Message) -> bytes:
    """The part's body as it was sent, for parts the parser splits up (delivery-status)."""
    if not part.is_multipart():
        return _payload_bytes(part)
    raw = _safe(lambda: part.as_bytes(policy=email_policy.compat32), b"")
    for sep in (b"\r\n\r\n", b"\n\n"):
        if sep in raw:
            return raw.split(sep, 1)[1]
    return raw


def _content_id(part: Message) -> str:
    for name, value in _raw_headers(part):
        if name.lower() == "content-id":
            return value.strip().strip("<>").strip()
    return ""


@dataclass
class _Collector:
    text: str | None = None
    html: str | None = None
    attachments: list[MailAttachment] = field(default_factory=list)
    counter: int = 0
    bounce_ids: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def name_for(self, content_type: str) -> str:
        self.counter += 1
        ext = {
            "text/plain": ".txt",
            "text/html": ".html",
            "message/rfc822": ".eml",
            "message/delivery-status": ".txt",
            "text/rfc822-headers": ".txt",
        }.get(content_type) or (mimetypes.guess_extension(content_type) or ".bin")
        return f"file-{self.counter}{ext}"

    def attach(self, part: Message, content: bytes, content_type: str, name: str = "") -> None:
        disposition = _disposition(part)
        cid = _content_id(part)
        disp = "inline" if disposition == "inline" or (cid and disposition != "attachment") else ""
        self.attachments.append(
            MailAttachment(
                filename=name or _filename(part) or self.name_for(content_type),
                content=content,
                content_type=content_type,
                content_id=cid,
                disposition=disp or "attachment",
            )
        )


def _walk(part: Message, out: _Collector, depth: int = 0) -> None:
    ctype = _content_type(part)
    if depth > 50:
        out.attach(part, _safe(part.as_bytes, b""), ctype)
        return
    if part.is_multipart() and ctype.startswith("multipart/"):
        children = _safe(part.get_payload, [])
        if not isinstance(children, list):
            children = []
        if ctype == "multipart/alternative":
            # text/plain wins for the text body, the last HTML (richest) for the HTML body
            plain = [c for c in children if _content_type(c) == "text/plain"]
            rest = [c for c in children if _content_type(c) != "text/plain"]
            children = plain + rest
        for child in children:
            if isinstance(child, Message):
                _walk(child, out, depth + 1)
        return
    if ctype.startswith("message/") and ctype not in ("message/rfc822", "message/global"):
        out.attach(part, _body_bytes(part), ctype)
        return
    if ctype in ("message/rfc822", "message/global"):
        inner = _safe(part.get_payload, None)
        inner_msg = inner[0] if isinstance(inner, list) and inner else None
        content = b""
        subject = ""
        if isinstance(inner_msg, Message):
            content = _safe(inner_msg.as_bytes, b"")
            for n, v in _raw_headers(inner_msg):
                if n.lower() == "subject":
                    subject = decode_header_value(v)
                    break
            ids = [v for n, v in _raw_headers(inner_msg) if n.lower() == "message-id"]
            if ids:
                out.bounce_ids.extend(_msgids(ids[0]))
        if not content:
            content = _payload_bytes(part)
        name = _filename(part) or (_clean_filename(subject)[:200] + ".eml" if subject else "")
        out.attach(part, content, "message/rfc822", name or "forwarded-message.eml")
        return
    data = _payload_bytes(part)
    if ctype == "text/rfc822-headers":
        m = re.search(rb"(?im)^message-id:\s*(<[^<>\s]+>)", data)
        if m:
            out.bounce_ids.append(m.group(1).decode("ascii", errors="replace"))
    filename = _filename(part)
    disposition = _disposition(part)
    is_body_candidate = (
        ctype in ("text/plain", "text/html") and not filename and disposition != "attachment"
    )
    if is_body_candidate:
        text, lossy = decode_bytes(data, _charset(part))
        if lossy:
            out.defects.append(f"undecodable {ctype} part kept as attachment")
            out.attach(part, data, ctype)
        if ctype == "text/plain" and out.text is None:
            out.text = text
            return
        if ctype == "text/html" and out.html is None:
            out.html = text
            return
        if not lossy:
            out.attach(part, data, ctype)
        return
    out.attach(part, data, ctype)


# --- entry point -------------------------------------------------------------------------------

_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")


def _drop_junk_header_lines(raw: bytes) -> tuple[bytes, list[bytes]]:
    """A line without a colon inside the header block would end the headers early and push
    the remaining headers into the body. Drop such lines when real headers follow them."""
    lines = raw.splitlines(keepends=True)
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    if end == len(lines):
        return raw, []
    junk: list[int] = []
    for i in range(1, end):
        line = lines[i]
        if line[:1] in (b" ", b"\t") or _HEADER_LINE.match(line):
            continue
        if any(_HEADER_LINE.match(later) for later in lines[i + 1 : end]):
            junk.append(i)
    if not junk:
        return raw, []
    dropped = [lines[i].rstrip(b"\r\n") for i in junk]
    keep = [line for i, line in enumerate(lines) if i not in set(junk)]
    return b"".join(keep), dropped


_AUTO_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


def _is_auto(headers: Headers, from_address: str) -> bool:
    for name in ("mailing-list", "list-id", "precedence", "x-loop", "x-no-loop"):
        if name in headers:
            return True
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto.startswith("auto-"):
        return True
    return bool(_AUTO_SENDER.match(from_address or ""))


def parse_message(raw: bytes) -> ParsedMail:
    """Parse one raw message. Raises :class:`MailParseError` only for non-messages."""
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise MailParseError("a raw message must be bytes")
    if not raw.strip():
        raise MailParseError("empty input is not an email message")
    raw, junk = _drop_junk_header_lines(raw)
    try:
        msg: Message = message_from_bytes(raw, _class=EmailMessage, policy=email_policy.default)
    except Exception as exc:
        raise MailParseError(f"not an email message: {exc}") from exc

    items = [(n, decode_header_value(v)) for n, v in _raw_headers(msg)]
    raw_by_name: dict[str, list[str]] = {}
    for n, v in _raw_headers(msg):
        raw_by_name.setdefault(n.lower(), []).append(v)
    headers = Headers(items)

    def first_raw(name: str) -> str:
        values = raw_by_name.get(name, [])
        return values[0] if values else ""

    def addrs(name: str) -> list[tuple[str, str]]:
        return _addresses(raw_by_name.get(name, []))

    sender = addrs("from")
    from_name, from_address = sender[0] if sender else ("", "")
    reply = addrs("reply-to")
    to = addrs("to")
    cc = addrs("cc")

    collector = _Collector()
    _walk(msg, collector)
    defects = [f"malformed header line dropped: {line!r}" for line in junk]
    defects += collector.defects
    for d in _safe(lambda: list(msg.defects), []):
        defects.append(type(d).__name__)

    html = collector.html or ""
    body_html = clean_html(html) if html else ""
    body_text = collector.text if collector.text is not None else html_to_text(html)
    body_text = body_text.replace("\r\n", "\n")

    ctype = _content_type(msg)
    report_type = str(_safe(lambda: _param_message(msg).get_param("report-type"), "") or "").lower()
    is_bounce = ctype == "multipart/report" and report_type == "delivery-status"
    bounce_id = ""
    if is_bounce:
        own = set(_msgids(first_raw("message-id")))
        for candidate in collector.bounce_ids:
            if candidate not in own:
                bounce_id = candidate
                break

    message_id_list = _msgids(decode_header_value(first_raw("message-id")))
    return ParsedMail(
        message_id=message_id_list[0] if message_id_list else "",
        in_reply_to=(_msgids(first_raw("in-reply-to")) or [""])[0],
        references=_msgids(" ".join(raw_by_name.get("references", []))),
        subject=decode_header_value(first_raw("subject")),
        from_address=from_address,
        from_name=from_name,
        reply_to=reply[0][1] if reply else "",
        to=[a for _, a in to],
        to_names=[n for n, _ in to],
        cc=[a for _, a in cc],
        cc_names=[n for n, _ in cc],
        delivered_to=[a for _, a in addrs("delivered-to")],
        envelope_to=[a for _, a in addrs("envelope-to")],
        x_original_to=[a for _, a in addrs("x-original-to")],
        resent_to=[a for _, a in addrs("resent-to")],
        date=_date(decode_header_value(first_raw("date"))),
        body_text=body_text,
        body_html=body_html,
        attachments=collector.attachments,
        is_auto_generated=is_bounce or _is_auto(headers, from_address),
        is_bounce=is_bounce,
        bounce_message_id=bounce_id,
        headers=headers,
        defects=defects,
    )

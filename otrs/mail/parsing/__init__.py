"""Turn one raw RFC 5322 message into plain Python values, tolerantly.

Nothing here touches the database, and nothing here needs Django: the module imports without
the app registry (tests/mail/test_parsing.py proves it in a fresh interpreter). The parser
never raises for a damaged message; only input that is not a message at all (empty bytes, not
bytes) raises :class:`MailParseError`. Content that cannot be decoded as text is kept as an
attachment, so nothing is lost silently.
"""

from __future__ import annotations

import binascii
import mimetypes
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from email.utils import parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

from otrs.html import sanitize_html

from .addresses import read_addresses
from .charsets import codec_name, decode_bytes
from .headers import charset_hints, clean_line, clean_text, decode_header_value, unfold
from .large import Lifted, lift

__all__ = [
    "DEFAULT_MAX_PARTS",
    "Headers",
    "MailAttachment",
    "MailParseError",
    "ParsedMail",
    "codec_name",
    "decode_bytes",
    "decode_header_value",
    "html_to_text",
    "parse_message",
]

# MIME parts processed per mail (``POSTMASTER_MAX_PARTS``); the rest stay in the raw message.
DEFAULT_MAX_PARTS = 1000


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
    # MIME parts over the POSTMASTER_MAX_PARTS cap: kept only in the raw message.
    skipped_parts: int = 0

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


# --- headers -----------------------------------------------------------------------------------

_MSGID = re.compile(r"<[^<>\s]+>")


def _msgids(value: str) -> list[str]:
    found = _MSGID.findall(value or "")
    if not found and value and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]
    return found


def _addresses(values: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(decoded display name, address) pairs, and what could not be read as text."""
    return read_addresses(values, decode_header_value)


def _raw_headers(msg: Message) -> list[tuple[str, str]]:
    """Header values as stored by the parser: 8-bit bytes as surrogates, not yet decoded."""
    try:
        return [(str(n), unfold(str(v))) for n, v in msg.raw_items()]
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


# The legacy policy: it keeps header values as text and parses none of them (this module
# reads them itself, tolerantly). The default policy parsed Content-Type through the header
# registry five times per part (10,000 parts took 20 s) and failed the whole message on an
# RFC 2231 parameter in a codec the standard library chokes on.
_POLICY = email_policy.compat32


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
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", clean_text(name)).strip()
    if name in ("", ".", ".."):
        return ""
    return name[:255]


def _disposition(part: Message) -> str:
    disp = _safe(part.get_content_disposition, "") or _safe(
        _param_message(part).get_content_disposition, ""
    )
    return str(disp).lower()


def _content_type(part: Message) -> str:
    ctype = str(_safe(part.get_content_type, "application/octet-stream")).lower()
    return ctype if ctype.isascii() and ctype.isprintable() else clean_line(ctype)


def _charset(part: Message) -> str | None:
    cs = _safe(lambda: _param_message(part).get_param("charset"), None)
    if isinstance(cs, tuple):
        cs = cs[2]
    return str(cs) if cs else None


# Bodies of the message being parsed that were kept out of the parser (see .large).
_lifted: ContextVar[Lifted | None] = ContextVar("lifted", default=None)


def _restored(data: bytes) -> bytes:
    lifted = _lifted.get()
    return lifted.restore(data) if lifted is not None else data


def _payload_bytes(part: Message) -> bytes:
    lifted = _lifted.get()
    if lifted is not None:
        placeholder = _safe(part.get_payload, None)
        if isinstance(placeholder, str) and len(placeholder) < 100:
            content = lifted.content(placeholder, _uudecode)
            if content is not None:
                return content
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
            return decode_header_value(value).strip().strip("<>").strip()
    return ""


@dataclass
class _Collector:
    max_parts: int = DEFAULT_MAX_PARTS
    text: str | None = None
    html: str | None = None
    attachments: list[MailAttachment] = field(default_factory=list)
    counter: int = 0
    parts: int = 0
    skipped: int = 0
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

    def add_text(self, ctype: str, text: str, alternative: bool) -> bool:
        """Take a text part as (part of) the body. Inline text parts of a mixed message
        (text, an image, more text) are joined in order; in an alternative the first wins."""
        if ctype == "text/plain":
            if self.text is None:
                self.text = text
                return True
            if not alternative:
                self.text = _join(self.text, text, "\n\n")
                return True
        elif ctype == "text/html":
            if self.html is None:
                self.html = text
                return True
            if not alternative:
                self.html = _join(self.html, text, "\n")
                return True
        return False


def _join(before: str, text: str, sep: str) -> str:
    if not text.strip():
        return before
    if not before.strip():
        return text
    return before.rstrip("\r\n") + sep + text


_UU_BLOCK = re.compile(rb"(?ms)^begin(?:-base64)? [0-7]{3,4} ([^\r\n]+)\r?\n(.*?)^end[ \t]*\r?$\n?")


def _uudecode(body: bytes) -> bytes:
    out = bytearray()
    for line in body.splitlines():
        if not line.strip() or line.strip() == b"`":
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders pad lines with junk; decode only the bytes the length promises.
            count = (((line[0] - 32) & 63) * 4 + 5) // 3
            try:
                out += binascii.a2b_uu(line[:count])
            except binascii.Error:
                continue
    return bytes(out)


def _uu_blocks(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Uuencoded files (``begin 644 name`` ... ``end``) cut out of a text: the rest, the files."""
    if b"begin " not in data:
        return data, []
    files: list[tuple[str, bytes]] = []

    def take(m: re.Match) -> bytes:
        name = decode_header_value(m.group(1).decode("utf-8", errors="surrogateescape"))
        files.append((_clean_filename(name), _uudecode(m.group(2))))
        return b""

    rest = _UU_BLOCK.sub(take, data)
    return rest, files


def _walk(
    part: Message, out: _Collector, depth: int = 0, alternative: bool = False, top: bool = False
) -> None:
    out.parts += 1
    if out.parts > out.max_parts:
        out.skipped += 1
        if part.is_multipart():
            children = _safe(part.get_payload, [])
            out.skipped += len(children) if isinstance(children, list) else 0
        return
    ctype = _content_type(part)
    if depth > 50:
        out.attach(part, _restored(_safe(part.as_bytes, b"")), ctype)
        return
    if part.is_multipart() and ctype.startswith("multipart/"):
        children = _safe(part.get_payload, [])
        if not isinstance(children, list):
            children = []
        is_alternative = ctype == "multipart/alternative"
        if is_alternative:
            # text/plain wins for the text body, the last HTML (richest) for the HTML body
            plain = [c for c in children if _content_type(c) == "text/plain"]
            rest = [c for c in children if _content_type(c) != "text/plain"]
            children = plain + rest
        for child in children:
            if isinstance(child, Message):
                _walk(child, out, depth + 1, is_alternative)
        return
    if ctype.startswith("message/") and ctype not in ("message/rfc822", "message/global"):
        out.attach(part, _restored(_body_bytes(part)), ctype)
        return
    if ctype in ("message/rfc822", "message/global"):
        inner = _safe(part.get_payload, None)
        inner_msg = inner[0] if isinstance(inner, list) and inner else None
        content = b""
        subject = ""
        if isinstance(inner_msg, Message):
            content = _restored(_safe(inner_msg.as_bytes, b""))
            for n, v in _raw_headers(inner_msg):
                if n.lower() == "subject":
                    subject = decode_header_value(v)
                    break
            ids = [
                decode_header_value(v)
                for n, v in _raw_headers(inner_msg)
                if n.lower() == "message-id"
            ]
            if ids:
                out.bounce_ids.extend(_msgids(ids[0]))
        if not content:
            content = _restored(_payload_bytes(part))
        name = _filename(part) or (_clean_filename(subject)[:200] + ".eml" if subject else "")
        out.attach(part, content, "message/rfc822", name or "forwarded-message.eml")
        return
    data = _payload_bytes(part)
    if ctype == "text/rfc822-headers":
        m = re.search(rb"(?im)^message-id:\s*(<[^<>\s]+>)", data)
        if m:
            out.bounce_ids.append(m.group(1).decode("ascii", errors="replace"))
    if ctype in ("application/x-uuencode", "text/x-uuencode", "application/x-uue"):
        _text, uu_files = _uu_blocks(data)
        if uu_files:
            for name, content in uu_files:
                out.attach(part, content, _guess_type(name), name)
            return
    filename = _filename(part)
    disposition = _disposition(part)
    is_body_candidate = ctype in ("text/plain", "text/html") and (
        (not filename and disposition != "attachment")
        # A mail that is one named text part ("inline; filename=...") still has a body.
        or (top and disposition == "inline")
    )
    if is_body_candidate:
        body_files: list[tuple[str, bytes]] = []
        if ctype == "text/plain":
            data, body_files = _uu_blocks(data)
        text, lossy = decode_bytes(data, _charset(part))
        if lossy:
            out.defects.append(f"undecodable {ctype} part kept as attachment")
            out.attach(part, data, ctype)
        taken = out.add_text(ctype, text, alternative)
        for name, content in body_files:
            out.attach(part, content, _guess_type(name), name)
        if taken and not filename:
            return
        if not lossy:
            out.attach(part, data, ctype)
        return
    out.attach(part, data, ctype)


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# --- entry point -------------------------------------------------------------------------------

_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_BARE_CR = re.compile(rb"\r(?!\n)")


def _normalise_line_ends(raw: bytes) -> bytes:
    """Mail with CR-only line ends (old Mac mailers): CR → CRLF before parsing, else a
    quoted-printable body is cut at the first soft break and folded headers keep a CR."""
    head = raw[:65536]
    if b"\r" not in head:
        return raw
    bare = len(_BARE_CR.findall(head))
    if bare and bare > head.count(b"\n"):
        return _BARE_CR.sub(b"\r\n", raw)
    return raw


def _drop_junk_header_lines(raw: bytes) -> tuple[bytes, list[bytes]]:
    """A line without a colon inside the header block would end the headers early and push
    the remaining headers into the body. Drop such lines when real headers follow them; the
    first line too (an mbox ``From `` line, a continuation, garbage before the headers).
    Only the header block is split into lines, never a large body."""
    blank = _BLANK_LINE.search(raw)
    if blank is None:
        return raw, []
    head, body = raw[: blank.start()], raw[blank.start() :]
    lines = head.splitlines(keepends=True)
    junk: list[int] = []
    for i, line in enumerate(lines):
        if _HEADER_LINE.match(line):
            continue
        if line[:1] in (b" ", b"\t") and (i > 0 and i - 1 not in junk):
            continue
        if any(_HEADER_LINE.match(later) for later in lines[i + 1 :]):
            junk.append(i)
    if not junk:
        return raw, []
    dropped = [lines[i].rstrip(b"\r\n") for i in junk]
    keep = [line for i, line in enumerate(lines) if i not in set(junk)]
    joined = b"".join(keep)
    if joined.endswith(b"\r\n"):
        joined = joined[:-2]
    elif joined.endswith(b"\n"):
        joined = joined[:-1]
    return joined + body, dropped


_AUTO_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


def _is_auto(headers: Headers, from_address: str) -> bool:
    for name in ("mailing-list", "list-id", "precedence", "x-loop", "x-no-loop"):
        if name in headers:
            return True
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto.startswith("auto-"):
        return True
    return bool(_AUTO_SENDER.match(from_address or ""))


def _setting_max_parts() -> int:
    try:
        # Imported here: the parser imports and runs without Django (the pipe, the tests).
        from django.conf import settings

        if settings.configured:
            return int(getattr(settings, "POSTMASTER_MAX_PARTS", DEFAULT_MAX_PARTS))
    except Exception:  # pragma: no cover - Django absent or unusable: the default
        return DEFAULT_MAX_PARTS
    return DEFAULT_MAX_PARTS


def _(text: str) -> str:
    """The note in the user's language when Django is set up; plain English otherwise."""
    try:
        # Imported here: the parser imports and runs without Django (the pipe, the tests).
        from django.conf import settings

        if settings.configured:
            # Imported here: only once settings exist can translations be loaded.
            from django.utils.translation import gettext

            return gettext(text)
    except Exception:  # pragma: no cover
        return text
    return text


class MailTooLarge(MailParseError):
    """The raw message is larger than the limit the caller gave; nothing was parsed."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"the message is {size} bytes, more than the limit of {limit} bytes")
        self.size = size
        self.limit = limit


def check_size(raw: bytes | bytearray | memoryview, max_bytes: int | None) -> None:
    """The cheap check before any parsing: raises :class:`MailTooLarge`."""
    size = raw.nbytes if isinstance(raw, memoryview) else len(raw)
    if max_bytes is not None and size > max_bytes:
        raise MailTooLarge(size, max_bytes)


def parse_message(
    raw: bytes,
    *,
    max_bytes: int | None = None,
    max_parts: int | None = None,
    decoded: Mapping[int, tuple[int, bytes]] | None = None,
) -> ParsedMail:
    """Parse one raw message. Raises :class:`MailParseError` only for non-messages, and
    :class:`MailTooLarge` (a MailParseError) when ``max_bytes`` is given and exceeded, before
    parsing anything. At most ``max_parts`` MIME parts (default ``POSTMASTER_MAX_PARTS``) are
    processed; the others stay in the raw message only and :attr:`ParsedMail.skipped_parts`
    counts them (the body says so).

    ``decoded``: base64 bodies of ``raw`` the caller decoded already (the raw store does, to
    keep each file once), as the offset where the base64 text starts → (where it ends, the
    decoded bytes). A large part whose body is exactly that text gets those very bytes as
    its content instead of being decoded a second time (see :mod:`.large`)."""
    if isinstance(raw, bytearray | memoryview):
        check_size(raw, max_bytes)
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise MailParseError("a raw message must be bytes")
    check_size(raw, max_bytes)
    if not raw.strip():
        raise MailParseError("empty input is not an email message")
    return _parse(
        raw, max_parts if max_parts is not None else _setting_max_parts(), 0, decoded or None
    )


_DECLARED = re.compile(rb"""(?i)(?:charset\s*=\s*["']?|=\?)([A-Za-z0-9_.:-]+)""")


def _hints(raw: bytes) -> tuple[str, ...]:
    """Charsets the message declares (parameters, encoded words), first ones first."""
    found: list[str] = []
    for m in _DECLARED.finditer(raw[:262144]):
        name = m.group(1).decode("ascii").lower()
        if name not in found:
            found.append(name)
        if len(found) >= 8:
            break
    return tuple(found)


def _parse(
    raw: bytes,
    max_parts: int,
    level: int,
    decoded: Mapping[int, tuple[int, bytes]] | None = None,
) -> ParsedMail:
    given = raw
    raw = _normalise_line_ends(raw)
    raw, junk = _drop_junk_header_lines(raw)
    # The caller's offsets hold only while the bytes are the ones it gave.
    small, lifted = lift(raw, decoded if raw is given else None)
    # The declared charsets are looked for in what the parser reads (headers and small
    # bodies), not in the large bodies lifted out of it: base64 has none, and a
    # case-insensitive scan of it cost 16 ms per MiB.
    hints = charset_hints.set(_hints(small))
    token = _lifted.set(lifted)
    try:
        return _parse_small(small, junk, max_parts, level)
    finally:
        _lifted.reset(token)
        charset_hints.reset(hints)


def _parse_small(raw: bytes, junk: list[bytes], max_parts: int, level: int) -> ParsedMail:
    try:
        msg: Message = message_from_bytes(raw, _class=Message, policy=_POLICY)
    except Exception as exc:
        raise MailParseError(f"not an email message: {exc}") from exc

    raw_items = _raw_headers(msg)
    items = [(clean_line(n), decode_header_value(v)) for n, v in raw_items]
    raw_by_name: dict[str, list[str]] = {}
    for n, v in raw_items:
        raw_by_name.setdefault(n.lower(), []).append(v)
    headers = Headers(items)
    unreadable: list[str] = []

    def first(name: str) -> str:
        values = raw_by_name.get(name, [])
        return decode_header_value(values[0]) if values else ""

    def addrs(name: str) -> list[tuple[str, str]]:
        pairs, rest = _addresses(raw_by_name.get(name, []))
        unreadable.extend(f"{name}: {text}" for text in rest)
        return [(clean_line(n), clean_line(a)) for n, a in pairs]

    sender = addrs("from")
    from_name, from_address = sender[0] if sender else ("", "")
    if not sender and unreadable:
        from_name = unreadable[0].split(": ", 1)[1]
    reply = addrs("reply-to")
    to = addrs("to")
    cc = addrs("cc")

    collector = _Collector(max_parts=max_parts)
    _walk(msg, collector, top=True)
    defects = [f"malformed header line dropped: {line!r}" for line in junk]
    defects += [f"unreadable address kept as text: {text}" for text in unreadable]
    defects += collector.defects
    for d in _safe(lambda: list(msg.defects), []):
        defects.append(type(d).__name__)

    ctype = _content_type(msg)
    if (
        collector.text is None
        and collector.html is None
        and ctype in ("message/rfc822", "message/global")
        and level < 3
    ):
        # A mail that is only a forwarded mail: its text is the body, and it stays attached.
        inner = next((a for a in collector.attachments if a.content_type == "message/rfc822"), None)
        if inner is not None and inner.content.strip():
            try:
                inner_mail = _parse(inner.content, max_parts, level + 1)
            except MailParseError:
                inner_mail = None
            if inner_mail is not None:
                collector.text = inner_mail.body_text
                collector.html = inner_mail.body_html or None

    html = collector.html or ""
    body_html = clean_html(html) if html else ""
    body_text = collector.text if collector.text is not None else html_to_text(html)
    body_text = body_text.replace("\r\n", "\n")
    if collector.skipped:
        note = _(
            "%(count)d further MIME parts of this message were not processed (limit: "
            "%(limit)d parts); they are kept in the raw message."
        ) % {"count": collector.skipped, "limit": max_parts}
        body_text = f"{body_text.rstrip()}\n\n[{note}]".lstrip()
        defects.append(f"{collector.skipped} MIME parts over the limit of {max_parts} skipped")

    report_type = str(_safe(lambda: _param_message(msg).get_param("report-type"), "") or "").lower()
    is_bounce = ctype == "multipart/report" and report_type == "delivery-status"
    bounce_id = ""
    if is_bounce:
        own = set(_msgids(first("message-id")))
        for candidate in collector.bounce_ids:
            if candidate not in own:
                bounce_id = candidate
                break

    message_id_list = _msgids(first("message-id"))
    return ParsedMail(
        message_id=message_id_list[0] if message_id_list else "",
        in_reply_to=(_msgids(first("in-reply-to")) or [""])[0],
        references=_msgids(
            " ".join(decode_header_value(v) for v in raw_by_name.get("references", []))
        ),
        subject=first("subject"),
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
        date=_date(first("date")),
        body_text=clean_text(body_text),
        body_html=clean_text(body_html),
        attachments=collector.attachments,
        is_auto_generated=is_bounce or _is_auto(headers, from_address),
        is_bounce=is_bounce,
        bounce_message_id=bounce_id,
        headers=headers,
        defects=[clean_line(d) for d in defects],
        skipped_parts=collector.skipped,
    )

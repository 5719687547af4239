"""Large part bodies kept out of the standard library's parser.

``email.feedparser`` reads a message line by line in Python and keeps each body as a string
of the raw size: a 150 MB mail cost 11 s and 1.4 GB. Before parsing, every leaf body larger
than :data:`LIFT_BYTES` is cut out of the raw message (found by the MIME boundaries the
message declares) and replaced by a short placeholder; the parser then sees a small message.
When a part's content is needed, its body is decoded once, straight from the caller's raw
bytes (base64, quoted-printable, uuencode or as is), so the decoded bytes are the only copy;
or not decoded at all when the caller decoded that very base64 text already (``decoded``:
the raw store does, see :func:`Lifted.content`).
"""

from __future__ import annotations

import binascii
import itertools
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

LIFT_BYTES = 256 * 1024

_BOUNDARY = re.compile(rb"""(?i)\bboundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CTYPE = re.compile(rb"(?im)^content-type[ \t]*:[ \t]*(?:\r?\n[ \t]+)?([a-z0-9!#$&^_.+-]+/)")
_CTE = re.compile(rb"(?im)^content-transfer-encoding[ \t]*:[ \t]*([a-z0-9_-]+)")


@dataclass
class Lifted:
    """Bodies cut out of ``raw``: placeholder → (start, end, transfer encoding)."""

    raw: bytes
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    spans: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    # Base64 text of ``raw`` the caller decoded already: start → (end, decoded bytes).
    decoded: Mapping[int, tuple[int, bytes]] = field(default_factory=dict)

    def known(self, start: int, end: int) -> bytes | None:
        """The caller's decoding of ``raw[start:end]`` when its base64 text is that body:
        the same start, and between the body's end and the text's end nothing but line ends
        (a base64 decoder skips them), so the bytes are what decoding the body gives."""
        hit = self.decoded.get(start)
        if hit is None:
            return None
        text_end, data = hit
        if text_end < end or self.raw[end:text_end].strip(b"\r\n"):
            return None
        return data

    def content(self, placeholder: str, uudecode: Callable[[bytes], bytes]) -> bytes | None:
        span = self.spans.get(placeholder.strip())
        if span is None:
            return None
        start, end, cte = span
        body = memoryview(self.raw)[start:end]
        if cte == "base64":
            known = self.known(start, end)
            if known is not None:
                return known
            try:
                return binascii.a2b_base64(body)
            except binascii.Error:
                return bytes(body)
        if cte == "quoted-printable":
            return binascii.a2b_qp(body)
        if cte in ("x-uuencode", "uuencode", "uue", "x-uue"):
            return uudecode(bytes(body))
        return bytes(body)

    def restore(self, data: bytes) -> bytes:
        """``data`` (a part re-serialised by the library, such as a forwarded mail) with
        the lifted bodies it contains put back, byte for byte."""
        if b"otrs-lifted-" not in data:
            return data
        prefix = f"otrs-lifted-{self.token}-".encode("ascii")

        def back(m: re.Match) -> bytes:
            span = self.spans.get(m.group(0).decode("ascii"))
            return self.raw[span[0] : span[1]] if span else m.group(0)

        return re.sub(re.escape(prefix) + rb"\d+", back, data)


def _liftable(head: bytes) -> bool:
    m = _CTYPE.search(head)
    kind = m.group(1).lower() if m else b"text/"
    return kind not in (b"multipart/", b"message/")


def _boundaries(raw: bytes, end: int) -> set[bytes]:
    """The boundary parameters in ``raw[:end]``: what ``_BOUNDARY.finditer`` finds, found by
    looking for the word in a lower-cased copy first and matching only there (a
    case-insensitive scan of a 1 MiB body tried the pattern at every byte: 5 ms, now 1)."""
    lowered = raw[:end].lower()  # ASCII only: the offsets stay those of raw
    found: set[bytes] = set()
    pos = 0
    while (at := lowered.find(b"boundary", pos)) >= 0:
        m = _BOUNDARY.match(raw, at, end)  # \b sees the byte before ``at``
        if m is None:
            pos = at + 1
            continue
        found.add(m.group(1) or m.group(2))
        pos = m.end()
    return found


def _boundary_lines(pattern: re.Pattern[bytes], raw: bytes) -> list[re.Match[bytes]]:
    """``list(pattern.finditer(raw))`` for a pattern that matches only at a line start with
    ``--``: the pattern is tried only where a line starts with ``--`` (found by ``find``),
    not at every byte of a large body (40 ms per MiB)."""
    marks: list[re.Match[bytes]] = []
    at = 0 if raw.startswith(b"--") else raw.find(b"\n--") + 1
    while at >= 0 and (at > 0 or raw.startswith(b"--")):
        m = pattern.match(raw, at)
        if m is not None:
            marks.append(m)
        # The next line that starts with "--", after this match (it ends before its "\n").
        found = raw.find(b"\n--", m.end() if m is not None else at)
        if found < 0:
            break
        at = found + 1
    return marks


def lift(
    raw: bytes, decoded: Mapping[int, tuple[int, bytes]] | None = None
) -> tuple[bytes, Lifted | None]:
    """``raw`` with its large leaf bodies replaced by placeholders, and what was lifted.
    ``decoded``: base64 text of ``raw`` decoded already (see :class:`Lifted`); such a body
    is lifted whatever its size, so the library parser never decodes it a second time."""
    if len(raw) <= LIFT_BYTES and not decoded:
        return raw, None
    lifted = Lifted(raw, decoded=decoded or {})
    cuts: list[tuple[int, int, str]] = []  # (start, end, placeholder)

    def consider(head_start: int, seg_end: int) -> None:
        head_end = _HEAD_END.search(raw, head_start, seg_end)
        if head_end is None:
            return
        body_start, body_end = head_end.end(), seg_end
        large = body_end - body_start > LIFT_BYTES
        if not large and body_start not in lifted.decoded:
            return
        head = raw[head_start : head_end.start()]
        if not _liftable(head):
            return
        m = _CTE.search(head)
        cte = m.group(1).decode("ascii").lower() if m else "7bit"
        if not large and (cte != "base64" or lifted.known(body_start, body_end) is None):
            return  # small, and not a body the caller decoded: the parser reads it
        placeholder = f"otrs-lifted-{lifted.token}-{len(cuts)}"
        lifted.spans[placeholder] = (body_start, body_end, cte)
        cuts.append((body_start, body_end, placeholder))

    boundaries = _boundaries(raw, min(len(raw), 1 << 20))
    if not boundaries:
        consider(0, len(raw))  # a single-part message: its body is the big one
    else:
        pattern = re.compile(
            rb"(?m)^--(?:" + b"|".join(re.escape(b) for b in boundaries) + rb")(--)?[ \t]*\r?$"
        )
        marks = _boundary_lines(pattern, raw)
        for here, after in itertools.pairwise(marks):
            if here.group(1):  # a closing boundary: what follows is an epilogue
                continue
            # The line break before the next boundary belongs to the boundary.
            end = after.start()
            end -= 2 if raw[end - 2 : end] == b"\r\n" else 1
            consider(here.end() + 1, end)  # the boundary line's \n
    if not cuts:
        return raw, None
    pieces: list[bytes] = []
    pos = 0
    for start, end, placeholder in cuts:
        pieces.append(raw[pos:start])
        pieces.append(placeholder.encode("ascii"))
        pos = end
    pieces.append(raw[pos:])
    return b"".join(pieces), lifted

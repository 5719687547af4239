"""Charset names as mailers write them → Python codecs, and decoding bytes whose charset is
wrong, unknown or missing.

Mailers label text with names Python does not know (``ks_c_5601-1987``, ``x-sjis``,
``unicode-1-1-utf-7``) or with a charset whose superset they really used (``gb2312`` for GBK
text, ``iso-8859-1`` for Windows-1252). Those are mapped to the codec that reads the most.
Where the mail names no usable charset, UTF-8 is tried first and then the bytes are detected
with charset-normalizer; Windows-1252 and finally Latin-1 with replacement are the last resort.
"""

from __future__ import annotations

import codecs
import re

# Declared name (lower case) → the codec that reads it and what senders really mean by it.
ALIASES = {
    # Simplified Chinese: gb2312 mail is routinely GBK; GB18030 is the superset of both.
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "chinese": "gb18030",
    # Traditional Chinese: HKSCS is a superset of Big5.
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    # Hebrew/Arabic "logical"/"explicit" order variants have the same bytes.
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "csiso88598i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    # Korean: Unified Hangul Code (cp949) is the superset of EUC-KR.
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "csksc56011987": "cp949",
    "korean": "cp949",
    "euc-kr": "cp949",
    "x-euc-kr": "cp949",
    "windows-949": "cp949",
    # Japanese: Microsoft's Shift_JIS (cp932) is what Shift_JIS mail really holds.
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "x-ms-cp932": "cp932",
    # Thai: Windows-874 is the superset of TIS-620 and ISO-8859-11.
    "windows-874": "cp874",
    "x-windows-874": "cp874",
    "dos-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    # Others seen in real mail.
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-1-1-utf-7": "utf-7",
    "utf7": "utf-7",
    "macintosh": "mac-roman",
    "x-mac-roman": "mac-roman",
    "ansi_x3.4-1968": "ascii",
    "x-user-defined": "cp1252",
}

_UNKNOWN = {"unknown-8bit", "x-unknown", "unknown", "default", "8bit", "x-user-defined-8bit"}
_LATIN1_NAMES = {
    "iso-8859-1",
    "iso8859-1",
    "iso_8859-1",
    "latin-1",
    "latin1",
    "l1",
    "us-ascii",
    "ascii",
    "ansi_x3.4-1968",
}
_C1 = re.compile(rb"[\x80-\x9f]")
_NOT_ASCII = re.compile(rb"[\x80-\xff]")

# Detection reads at most this much; the found codec then decodes the whole.
DETECT_SAMPLE = 64 * 1024


def _normal(charset: str) -> str:
    name = charset.strip().strip("\"'").split("*", 1)[0].strip().lower()
    name = re.sub(r"^(?:cp|windows|win)[-_ ]?(\d{3,4})$", r"cp\1", name)
    return name


def codec_name(charset: str | None) -> str | None:
    """The Python text codec for a declared charset, or None when unknown/unusable."""
    if not charset:
        return None
    name = _normal(charset)
    if not name or name in _UNKNOWN:
        return None
    name = ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    # Codecs such as base64, rot13 or zlib are not text encodings.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def is_latin_like(charset: str | None) -> bool:
    return bool(charset) and _normal(charset or "") in _LATIN1_NAMES


# Detection on a few bytes guesses wildly; below this many 8-bit bytes it is not asked.
DETECT_MIN_8BIT = 16
_ASCII_PROBE = b"From: Re <a.b@c-d.example> 0123456789, xyz!?\r\n"


def detect(data: bytes) -> str | None:
    """The codec charset-normalizer finds for ``data`` (a sample of it), or None when the
    sample is too short to tell or the guess does not keep ASCII as ASCII."""
    if len(_NOT_ASCII.findall(data[:DETECT_SAMPLE])) < DETECT_MIN_8BIT:
        return None
    try:
        # Imported here: its tables cost import time that only mail with undeclared,
        # undecodable 8-bit text needs.
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        best = from_bytes(data[:DETECT_SAMPLE]).best()
    except Exception:
        return None
    if best is None or not best.encoding:
        return None
    name = codec_name(best.encoding)
    if name is None or _try(_ASCII_PROBE, name) != _ASCII_PROBE.decode("ascii"):
        return None
    return name


def _try(data: bytes, name: str) -> str | None:
    try:
        return data.decode(name)
    except Exception:  # UnicodeDecodeError, and odd codecs raising other errors
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, bool]:
    """Decode with the declared charset (through :data:`ALIASES`), then UTF-8, then the codec
    charset-normalizer detects, then Windows-1252, then Windows-1252 with replacement.
    Returns the text and whether the result is lossy (replacement used)."""
    name = codec_name(charset)
    if name:
        # Windows-1252 is routinely sent labelled ISO-8859-1 or ASCII: C1 bytes give it away.
        if is_latin_like(charset) and _C1.search(data):
            text = _try(data, "cp1252")
            if text is not None:
                return text, False
        elif not (name == "ascii" and _NOT_ASCII.search(data)):
            text = _try(data, name)
            if text is not None:
                return text, False
    return decode_undeclared(data)


def decode_undeclared(data: bytes, hints: tuple[str, ...] = ()) -> tuple[str, bool]:
    """Bytes with no usable charset: ASCII, UTF-8, the charsets the rest of the mail declares
    (``hints``: undeclared header text is mostly in the body's charset), detected,
    Windows-1252, then lossy."""
    if not _NOT_ASCII.search(data):
        return data.decode("ascii", errors="replace"), False
    text = _try(data, "utf-8")
    if text is not None:
        return text, False
    for hint in hints:
        name = codec_name(hint)
        if name and name not in ("ascii", "utf-8"):
            if is_latin_like(hint):
                name = "cp1252"
            text = _try(data, name)
            if text is not None:
                return text, False
    found = detect(data)
    if found:
        text = _try(data, found)
        if text is not None:
            return text, False
    text = _try(data, "cp1252")
    if text is not None:
        return text, False
    return data.decode("cp1252", errors="replace"), True

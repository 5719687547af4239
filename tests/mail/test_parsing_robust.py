"""Misread real-world mail (issue 10): each case is a mail written here, as bytes.
No database: parsing is pure."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import email
import os
import quopri
import re

import pytest
from django.utils import translation

from otrs.mail.parsing import MailParseError, MailTooLarge, decode_bytes, parse_message
from otrs.mail.parsing.charsets import codec_name
from otrs.mail.parsing.large import LIFT_BYTES, lift

BAD = re.compile("[\x00\ud800-\udfff]")


def _all_text(mail) -> list[str]:
    # Every text field of the ParsedMail, found by type so a field added later is covered
    # too: the intake stores them without cleaning again.
    texts: list[str] = []
    for item in dataclasses.fields(mail):
        value = getattr(mail, item.name)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, (list, tuple)):
            texts += [v for v in value if isinstance(v, str)]
    for attachment in mail.attachments:
        texts += [
            getattr(attachment, f.name)
            for f in dataclasses.fields(attachment)
            if isinstance(getattr(attachment, f.name), str)
        ]
    texts += [
        mail.subject,
        mail.message_id,
        mail.in_reply_to,
        mail.from_name,
        mail.from_address,
        mail.body_text,
        mail.body_html,
        *mail.references,
        *mail.to,
        *mail.to_names,
        *mail.cc,
        *mail.cc_names,
        *(a.filename for a in mail.attachments),
        *(a.content_id for a in mail.attachments),
        *(a.content_type for a in mail.attachments),
    ]
    for name, value in mail.headers.items_all():
        texts += [name, value]
    return texts


def test_nul_and_surrogates_never_reach_a_text_field():
    raw = (
        b"From: =?utf-8?q?Evil=00Name?= <a@example.com>\r\n"
        b"To: =?utf-8?b?" + base64.b64encode(b"B\x00ob") + b"?= <b@example.com>\r\n"
        b"Subject: =?utf-8?q?a=00b?=\r\n"
        b"Message-ID: <id\x00x@example.com>\r\n"
        b"In-Reply-To: <p\x00@example.com>\r\n"
        b"References: <r\x00@example.com>\r\n"
        b"Reply-To: =?utf-8?q?R=00?= <r\x00@example.com>\r\n"
        b"Cc: =?utf-8?q?C=00?= <c@example.com>\r\n"
        b"Delivered-To: d\x00@example.com\r\n"
        b"X-Junk: \xff\xfe\x00 raw\r\n"
        b"X-\x01Odd\x7f: name\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("body\x00text \ud800".encode("utf-8", "surrogatepass"))
        + b"\r\n--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''a%00b%0D.pdf\r\n\r\nx\r\n--b--\r\n"
    )
    mail = parse_message(raw)
    for text in _all_text(mail):
        assert not BAD.search(text), repr(text)
    assert mail.subject == "ab"
    assert mail.message_id == "<idx@example.com>"
    assert mail.from_name == "EvilName" and mail.from_address == "a@example.com"
    assert mail.to_names == ["Bob"]
    assert mail.body_text.startswith("bodytext")
    assert mail.attachments[0].filename == "ab .pdf"
    # one-line fields have no control characters at all
    for text in (mail.subject, mail.from_name, *mail.headers.values()):
        assert not re.search("[\x00-\x1f\x7f]", text), repr(text)


@pytest.mark.parametrize(
    ("header", "want"),
    [
        (b"John <john@example.com.>", [("John", "john@example.com")]),
        (b"Group@: a@example.com, b@example.com;", [("", "a@example.com"), ("", "b@example.com")]),
        (b"undisclosed-recipients:;", []),
        (b"a@example.com b@example.com", [("", "a@example.com"), ("", "b@example.com")]),
        (b"a!b@c@d", [("", "a!b@c@d")]),
        (b"=?utf-8?q?Doe=2C_John?= <j@x.example>", [("Doe, John", "j@x.example")]),
        (
            b'"Doe, John" <j@x.example>, k@x.example',
            [("Doe, John", "j@x.example"), ("", "k@x.example")],
        ),
        (b"j@x.example (John Doe)", [("John Doe", "j@x.example")]),
        (b"Bad <<broken>>, ok@x.example", [("", "ok@x.example")]),
    ],
)
def test_tolerant_address_reader(header: bytes, want):
    mail = parse_message(
        b"From: f@example.com\r\nTo: " + header + b"\r\nSubject: s\r\n\r\nbody\r\n"
    )
    assert list(zip(mail.to_names, mail.to, strict=True)) == want
    assert mail.subject == "s" and mail.body_text == "body\n"


def test_unreadable_sender_is_kept_as_text_not_a_failure():
    mail = parse_message(b"From: Support Team (no address)\r\nSubject: s\r\n\r\nb\r\n")
    assert mail.from_address == ""
    assert "Support Team" in mail.from_name
    assert any("unreadable address" in d for d in mail.defects)


def test_rfc2231_filename_in_an_unusable_codec_still_parses():
    for charset in (b"unicode_escape", b"base64", b"no-such-codec", b"utf-7"):
        raw = (
            b"From: a@example.com\r\nSubject: s\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n"
            b"Content-Type: application/octet-stream; name*="
            + charset
            + b"''R%C3%A9sum%C3%A9%5C.pdf\r\n"
            b"Content-Disposition: attachment; filename*="
            + charset
            + b"''R%C3%A9sum%C3%A9%5C.pdf\r\n"
            b"\r\nZGF0YQ==\r\n--b--\r\n"
        )
        mail = parse_message(raw)
        assert mail.body_text.strip() == "hello"
        assert mail.attachments and mail.attachments[0].filename.startswith("R"), charset
        assert "sum" in mail.attachments[0].filename


def test_8bit_byte_inside_an_encoded_word_uses_the_word_charset():
    mail = parse_message(b"From: a@x\r\nSubject: =?utf-8?q?caf\xc3\xa9_cr\xc3\xa8me?=\r\n\r\nb")
    assert mail.subject == "café crème"
    mail = parse_message(b"From: a@x\r\nSubject: =?iso-8859-1?q?Gr\xfc\xdfe?=\r\n\r\nb")
    assert mail.subject == "Grüße"


def test_undeclared_8bit_header_text_is_detected_not_always_cp1252():
    # UTF-8 first
    assert parse_message("Subject: Grüße\r\n\r\nb".encode()).subject == "Grüße"
    # the body's charset is the best hint for a short header
    raw = (
        "From: Иван <i@x>\r\nSubject: Привет\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n"
        "Текст письма"
    ).encode("koi8-r")
    mail = parse_message(raw)
    assert (mail.subject, mail.from_name, mail.body_text) == ("Привет", "Иван", "Текст письма")
    # long enough text without any hint is detected by charset-normalizer
    text = "Привет, это длинная тема письма без объявленной кодировки"
    mail = parse_message(b"From: a@x\r\nSubject: " + text.encode("cp1251") + b"\r\n\r\nb")
    assert mail.subject == text


@pytest.mark.parametrize(
    ("declared", "codec", "text"),
    [
        ("gb2312", "gbk", "你好\uff0c镕"),  # 镕 is GBK, not GB2312
        ("iso-8859-8-i", "iso-8859-8", "שלום"),
        ("ks_c_5601-1987", "cp949", "안녕하세요 똠방각하"),
        ("x-sjis", "cp932", "こんにちは①"),
        ("shift-jis", "cp932", "こんにちは①"),
        ("windows-874", "cp874", "สวัสดี"),
        ("unicode-1-1-utf-7", "utf-7", "Grüße €"),
    ],
)
def test_charset_aliases_and_supersets(declared, codec, text):
    data = text.encode(codec)
    assert decode_bytes(data, declared) == (text, False)
    q = "".join(f"={b:02X}" for b in data)
    raw = (
        f"From: a@x\r\nSubject: =?{declared}?q?{q}?=\r\n"
        f"Content-Type: text/plain; charset={declared}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + data
    mail = parse_message(raw)
    assert mail.subject == text
    assert mail.body_text == text


def test_unknown_charset_is_detected():
    assert codec_name("x-no-such") is None
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 3
    mail = parse_message(
        b"From: a@x\r\nContent-Type: text/plain; charset=x-no-such\r\n\r\n" + text.encode("cp1251")
    )
    assert mail.body_text == text


def test_encoded_words_with_whitespace_inside_and_adjacent_words():
    mail = parse_message(b"Subject: =?utf-8?q?a b?= =?utf-8?q?c?=\r\n =?utf-8?b?w6Q=?=\r\n\r\nb")
    assert mail.subject == "a bcä"


@pytest.mark.parametrize(
    "first",
    [
        b"From someone@example.com Mon Dec  7 01:00:00 2026\r\n",
        b"  continuation first\r\n",
        b"garbage before the headers\r\n",
    ],
)
def test_malformed_first_header_line_keeps_the_headers(first):
    raw = first + b"From: a@example.com\r\nSubject: kept\r\nMessage-ID: <k@x>\r\n\r\nthe body\r\n"
    mail = parse_message(raw)
    assert (mail.subject, mail.from_address, mail.message_id) == ("kept", "a@example.com", "<k@x>")
    assert mail.body_text == "the body\n"


def test_inline_text_parts_are_joined_in_order():
    raw = (
        b'From: a@x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=p.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
        b"--b\r\nContent-Type: text/plain\r\nContent-Disposition: inline\r\n\r\nsecond part\r\n"
        b"--b--\r\n"
    )
    mail = parse_message(raw)
    assert mail.body_text.index("first part") < mail.body_text.index("second part")
    assert [a.filename for a in mail.attachments] == ["p.png"]


def test_one_named_text_part_is_the_body_and_kept():
    raw = (
        b"From: a@x\r\nSubject: s\r\nContent-Type: text/plain; name=note.txt\r\n"
        b"Content-Disposition: inline; filename=note.txt\r\n\r\nthe note\r\n"
    )
    mail = parse_message(raw)
    assert mail.body_text.strip() == "the note"
    assert [a.filename for a in mail.attachments] == ["note.txt"]


def test_top_level_rfc822_gives_the_inner_text_and_keeps_the_mail():
    inner = b"From: inner@x\r\nSubject: Inner\r\n\r\ninner text\r\n"
    raw = b"From: a@x\r\nSubject: outer\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    mail = parse_message(raw)
    assert mail.body_text.strip() == "inner text"
    assert [a.content_type for a in mail.attachments] == ["message/rfc822"]
    assert b"inner text" in mail.attachments[0].content


def _uu(name: bytes, data: bytes) -> bytes:
    lines = [binascii.b2a_uu(data[i : i + 45]) for i in range(0, len(data), 45)]
    return b"begin 644 " + name + b"\n" + b"".join(lines) + b"`\nend\n"


def test_uuencode_parts_and_blocks_are_decoded():
    payload = bytes(range(256)) * 3
    raw = (
        b'From: a@x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee files\r\n"
        b"--b\r\nContent-Type: application/octet-stream; name=a.bin\r\n"
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\n" + _uu(b"a.bin", payload) + b"--b\r\n"
        b"Content-Type: application/x-uuencode\r\n\r\n" + _uu(b"b.dat", b"bee") + b"--b--\r\n"
    )
    mail = parse_message(raw)
    assert {a.filename: a.content for a in mail.attachments} == {"a.bin": payload, "b.dat": b"bee"}
    plain = b"From: a@x\r\n\r\nHello,\n" + _uu(b"c.txt", b"sea") + b"bye\n"
    mail = parse_message(plain)
    assert [(a.filename, a.content) for a in mail.attachments] == [("c.txt", b"sea")]
    assert (
        "begin 644" not in mail.body_text and "Hello" in mail.body_text and "bye" in mail.body_text
    )


def test_cr_only_line_ends():
    raw = (
        b"From: a@x\rSubject: folded\r subject\rContent-Type: text/plain\r"
        b"Content-Transfer-Encoding: quoted-printable\r\rline one is long and soft=\r"
        b"ly broken\rsecond line\r"
    )
    mail = parse_message(raw)
    assert mail.subject == "folded subject"
    assert "softly broken" in mail.body_text and "second line" in mail.body_text


def test_size_is_checked_before_parsing():
    raw = b"From: a@x\r\n\r\n" + b"x" * 5000
    with pytest.raises(MailTooLarge) as caught:
        parse_message(raw, max_bytes=1000)
    assert isinstance(caught.value, MailParseError) and caught.value.size == len(raw)
    assert parse_message(raw, max_bytes=len(raw)).body_text.startswith("xxx")


def test_parts_over_the_cap_are_skipped_with_a_note():
    parts = b"".join(
        b"--b\r\nContent-Type: application/octet-stream; name=f%d.bin\r\n\r\nx\r\n" % i
        for i in range(30)
    )
    raw = (
        b'From: a@x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n" + parts + b"--b--\r\n"
    )
    mail = parse_message(raw, max_parts=10)
    # 32 parts: the container and the text, then eight attachments; 22 skipped
    assert len(mail.attachments) == 8
    assert mail.skipped_parts == 22
    assert "22 further MIME parts" in mail.body_text and mail.body_text.startswith("body")
    assert len(parse_message(raw).attachments) == 30


def test_the_note_on_skipped_parts_is_in_the_active_language():
    raw = (
        b'From: a@x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + (b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * 5)
        + b"--b--\r\n"
    )
    with translation.override("de"):
        mail = parse_message(raw, max_parts=3)
    assert "3 weitere MIME-Teile dieser Nachricht wurden nicht verarbeitet" in mail.body_text


def test_large_bodies_decode_exactly_as_the_library_would():
    """Bodies over LIFT_BYTES are decoded from the raw bytes, outside the library's parser:
    the result is the same as the library's own decoding."""
    blob = os.urandom(LIFT_BYTES + 12345)
    text = ("Zeile mit Umlauten äöü und = Zeichen " * 20 + "\n") * 500
    qp = quopri.encodestring(text.encode("utf-8")).replace(b"\n", b"\r\n")
    raw = (
        b'From: a@x\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary="=_b1"\r\n\r\n'
        b"preamble\r\n--=_b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp + b"\r\n"
        b'--=_b1\r\nContent-Type: multipart/related; boundary="=_b2"\r\n\r\n'
        b"--=_b2\r\nContent-Type: application/octet-stream; name=blob.bin\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(blob).replace(b"\n", b"\r\n")
        + b"\r\n--=_b2\r\nContent-Type: application/octet-stream; name=raw.bin\r\n\r\n"
        + blob.replace(b"\r", b"").replace(b"\n", b"")
        + b"\r\n--=_b2--\r\n--=_b1--\r\nepilogue\r\n"
    )
    small, lifted = lift(raw)
    assert lifted is not None and len(lifted.spans) == 3 and len(small) < 2000
    mail = parse_message(raw)
    assert mail.body_text == text
    library = email.message_from_bytes(raw)
    want = [p.get_payload(decode=True) for p in library.walk() if p.get_filename()]
    assert [a.filename for a in mail.attachments] == ["blob.bin", "raw.bin"]
    assert [a.content for a in mail.attachments] == want
    assert mail.attachments[0].content == blob

    single = (
        b"From: a@x\r\nContent-Type: application/pdf; name=one.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(blob)
    )
    assert lift(single)[1] is not None
    mail = parse_message(single)
    assert [(a.filename, a.content) for a in mail.attachments] == [("one.pdf", blob)]


def test_a_forwarded_mail_with_a_large_attachment_is_kept_whole():

    blob = base64.encodebytes(os.urandom(LIFT_BYTES)).replace(b"\n", b"\r\n")
    inner = (
        b'From: inner@x\r\nSubject: Inner\r\nContent-Type: multipart/mixed; boundary="in"\r\n\r\n'
        b"--in\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
        b"--in\r\nContent-Type: application/zip; name=big.zip\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"\r\n--in--\r\n"
    )
    raw = (
        b'From: a@x\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary="out"\r\n\r\n'
        b"--out\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
        b"--out\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--out--\r\n"
    )
    mail = parse_message(raw)
    assert mail.body_text.strip() == "see below"
    [forwarded] = mail.attachments
    assert blob in forwarded.content and b"otrs-lifted" not in forwarded.content
    again = parse_message(forwarded.content)
    assert again.attachments[0].content == base64.decodebytes(blob)

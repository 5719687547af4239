"""The mail parser against a corpus of hand-written raw messages, plus focused cases.
No database: parsing is pure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from otrs.mail.parsing import (
    MailParseError,
    ParsedMail,
    decode_bytes,
    decode_header_value,
    html_to_text,
    parse_message,
)

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*.eml"))

PLAIN_FIELDS = (
    "subject",
    "from_address",
    "from_name",
    "reply_to",
    "message_id",
    "in_reply_to",
    "references",
    "to",
    "to_names",
    "cc",
    "cc_names",
    "delivered_to",
    "envelope_to",
    "x_original_to",
    "resent_to",
    "is_auto_generated",
    "is_bounce",
    "bounce_message_id",
)


def _expected(path: Path) -> dict:
    return json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    for path in CASES:
        assert path.with_suffix(".expected.json").exists(), path.name


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_corpus(path: Path):
    exp = _expected(path)
    mail = parse_message(path.read_bytes())
    assert isinstance(mail, ParsedMail)
    for name in PLAIN_FIELDS:
        if name in exp:
            assert getattr(mail, name) == exp[name], name
    for needle in exp.get("body_text_contains", []):
        assert needle in mail.body_text
    for needle in exp.get("body_text_not_contains", []):
        assert needle not in mail.body_text
    for needle in exp.get("body_html_contains", []):
        assert needle in mail.body_html
    for needle in exp.get("body_html_not_contains", []):
        assert needle not in mail.body_html
    if "attachments" in exp:
        assert [a.filename for a in mail.attachments] == exp["attachments"]
    if "attachment_types" in exp:
        assert [a.content_type for a in mail.attachments] == exp["attachment_types"]
    if "attachment_contents" in exp:
        assert [a.content.decode() for a in mail.attachments] == exp["attachment_contents"]
    if "content_ids" in exp:
        assert [a.content_id for a in mail.attachments] == exp["content_ids"]
    if "dispositions" in exp:
        assert [a.disposition for a in mail.attachments] == exp["dispositions"]
    if "references_count" in exp:
        assert len(mail.references) == exp["references_count"]
    if "date" in exp:
        want = exp["date"] and datetime.fromisoformat(exp["date"])
        assert mail.date == (want or None)


def test_empty_input_is_not_a_message():
    for raw in (b"", b"   \r\n\t", None, "From: a@b\n\nx"):
        with pytest.raises(MailParseError):
            parse_message(raw)
    assert issubclass(MailParseError, ValueError)


def test_truncated_corpus_never_raises_anything_else():
    for path in CASES:
        raw = path.read_bytes()
        cuts = {1, 5, 17, *(len(raw) * k // 8 for k in range(1, 8)), len(raw) - 1}
        for cut in sorted(c for c in cuts if 0 < c < len(raw)):
            try:
                mail = parse_message(raw[:cut])
            except MailParseError:
                continue
            assert isinstance(mail, ParsedMail)


def test_garbage_gives_a_mail_or_the_parse_error_and_nothing_else():
    for raw in (b"\x00\xff\xfe" * 50, b"::::\n\n", b"=?utf-8?b?!!!?=\n", b"\n\n\n\x80"):
        try:
            mail = parse_message(raw)
        except MailParseError:
            continue
        assert isinstance(mail, ParsedMail)
        assert isinstance(mail.subject, str) and isinstance(mail.body_text, str)


def test_sanitising_removes_active_content_and_remote_images():
    raw = (
        b"From: a@example.com\nSubject: x\nContent-Type: text/html\n\n"
        b'<p onclick="evil()">hi</p><script>bad()</script><iframe src="https://x"></iframe>'
        b'<img alt="a>b" src="HTTPS://track.example/p.gif"><img src="cid:ok@x">'
        b'<a href="javascript:bad()">l</a><form action="https://x"><input></form>'
    )
    html = parse_message(raw).body_html
    for bad in ("onclick", "<script", "bad()", "<iframe", "track.example", "javascript:", "<form"):
        assert bad not in html
    assert 'src="cid:ok@x"' in html
    assert "hi" in html


def test_text_body_derived_from_html():
    text = html_to_text("<p>a&amp;b</p><ul><li>one</li><li>two</li></ul>x<br/>y<script>z</script>")
    assert text == "a&b\n\n- one\n- two\nx\ny"


def test_charset_fallbacks():
    assert decode_bytes("ä".encode(), "x-unknown") == ("ä", False)
    assert decode_bytes("ä".encode("latin-1"), "utf-8") == ("ä", False)
    assert decode_bytes("“€”".encode("cp1252"), "iso-8859-1") == ("“€”", False)
    assert decode_bytes("Привет".encode("koi8-r"), "koi8-r") == ("Привет", False)
    text, lossy = decode_bytes(b"\x81\x8d", "bogus")
    assert lossy and text


def test_lossy_text_part_is_kept_as_attachment():
    raw = b"From: a@example.com\nContent-Type: text/plain; charset=nope\n\nok \x81\x8d end\n"
    mail = parse_message(raw)
    assert "ok" in mail.body_text
    assert [a.content for a in mail.attachments] == [b"ok \x81\x8d end\n"]


def test_encoded_words():
    assert decode_header_value("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab"
    assert decode_header_value("x =?utf-8?q?a_b?= y") == "x a b y"
    assert decode_header_value("=?utf-8?b?broken") == "=?utf-8?b?broken"
    assert decode_header_value("=?bogus?q?caf=C3=A9?=") == "café"


def test_headers_mapping_is_case_insensitive():
    mail = parse_message(b"X-Thing: one\nx-thing: two\nSubject: =?utf-8?q?=C3=A4?=\n\nb")
    assert mail.headers["X-THING"] == "one"
    assert mail.headers.get_all("x-thing") == ["one", "two"]
    assert mail.headers["subject"] == "ä"
    assert "Subject" in mail.headers


def test_recipients_in_dispatch_order():
    mail = parse_message(
        b"Delivered-To: d@x\nTo: t@x, T@x\nCc: c@x\nResent-To: r@x\nX-Original-To: o@x\n\nb"
    )
    assert mail.recipients == ["r@x", "t@x", "c@x", "d@x", "o@x"]


def test_the_parser_imports_and_parses_without_django_set_up():
    """The transport's parser is plain Python: a fresh interpreter with no settings module
    and no app registry imports it and parses a message (the ticket domain is not loaded)."""
    script = (
        "import sys\n"
        "from otrs.mail.parsing import parse_message\n"
        "mail = parse_message(b'From: a@example.com\\r\\nSubject: Hi\\r\\n\\r\\n<b>x</b>')\n"
        "assert mail.subject == 'Hi' and mail.from_address == 'a@example.com', mail\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'tickets', 'customers', 'faq', 'cmdb', 'admin_portal', 'customer_portal'})\n"
        "assert not loaded, loaded\n"
        "from django.apps import apps\n"
        "assert not apps.ready\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

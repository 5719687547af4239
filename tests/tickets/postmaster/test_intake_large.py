"""A large attachment is decoded and hashed once (issue 10, speed): the raw store decodes
each base64 body to keep the file once, and the parser and the attachment take those very
bytes and their hash instead of decoding, hashing, looking up or writing them again; the
attachments of an article go in with one statement. And the faster scans keep their exact
results: the fingerprint, the base64 rebuild check and the boundary lines of a large mail,
each checked against the plain definition it replaces. Real database and storage."""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import os
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otrs.mail.parsing import parse_message
from otrs.mail.parsing.large import _boundary_lines
from tickets.models import Attachment, ContentBlob, InboundMessage
from tickets.models.mail import (
    _encode_base64,
    _rebuilds,
    blob_name,
    fingerprint,
    split_raw,
)
from tickets.postmaster.intake import process, store

from . import test_mail_store
from .test_mail_store import pipe, with_attachment

support_address = test_mail_store.support_address  # the fixture, shared


@pytest.fixture(params=["db", "fs"])
def storage_mode(request, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    settings.ATTACHMENT_STORAGE = request.param
    return request.param


def three_files(files: list[bytes], message_id: str) -> bytes:
    """A mail with a text part and ``files`` as base64 attachments."""
    parts = [
        "From: Alice <alice@example.com>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: Files\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="B0"\r\n\r\n'
        "--B0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe files.\r\n"
    ]
    for i, content in enumerate(files):
        encoded = base64.encodebytes(content).decode().replace("\n", "\r\n")
        parts.append(
            f"--B0\r\nContent-Type: application/octet-stream\r\n"
            f'Content-Disposition: attachment; filename="f{i}.bin"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}"
        )
    return ("".join(parts) + "--B0--\r\n").encode()


@pytest.mark.django_db
def test_a_large_file_is_stored_once_and_not_looked_up_again(support_address, storage_mode):
    big, small = os.urandom(600 * 1024), os.urandom(20 * 1024)
    raw = three_files([big, small, big], "<large-once@example.com>")
    with CaptureQueriesContext(connection) as ctx:
        stored = pipe(raw)
    assert stored.status == "processed", stored.error
    attachments = list(Attachment.objects.filter(article=stored.article).order_by("filename"))
    assert [a.read() for a in attachments] == [big, small, big]
    assert [a.size for a in attachments] == [len(big), len(small), len(big)]
    sha = hashlib.sha256(big).hexdigest()
    if storage_mode == "db":
        assert attachments[0].blob_id == attachments[2].blob_id == sha
        assert ContentBlob.objects.filter(pk=sha).count() == 1
    else:
        assert attachments[0].file.name == attachments[2].file.name == blob_name(sha)
    # The raw mail still reads back byte for byte.
    assert stored.raw == raw
    statements = [q["sql"] for q in ctx.captured_queries]
    # The files' rows are written by the raw store (it ends with the inbound row's insert);
    # processing neither looks them up nor touches them again ...
    stored_at = next(i for i, sql in enumerate(statements) if "mail_inboundmessage" in sql)
    # (On PostgreSQL with the raw bytes' row in the same statement: WITH … INSERT.)
    assert statements[stored_at].startswith(("INSERT", "WITH"))
    later = statements[stored_at + 1 :]
    assert not [sql for sql in later if "contentblob" in sql.lower()]
    # ... and the three attachments are one statement.
    inserts = [
        sql
        for sql in later
        if sql.startswith("INSERT INTO") and "tickets_attachment" in sql.split("(", 1)[0]
    ]
    assert len(inserts) == 1, inserts


@pytest.mark.django_db
def test_a_reprocessed_mail_stores_its_files_as_before(support_address, storage_mode):
    """A row read back from the database has no decoded bodies at hand: the files are
    decoded and stored (found) the ordinary way."""

    big = os.urandom(400 * 1024)
    inbound = store(with_attachment(big, message_id="<reread@example.com>"), source="pipe")

    again = process(InboundMessage.objects.get(pk=inbound.pk))
    assert again.status == "processed", again.error
    assert Attachment.objects.get(article=again.article).read() == big


def test_the_parser_takes_the_callers_decoding_only_of_that_very_text():
    content = os.urandom(300 * 1024)
    raw = with_attachment(content, message_id="<parse@example.com>")
    start = raw.index(b"\r\n\r\n", raw.index(b"base64")) + 4
    end = raw.index(b"--XyZ--")  # the text ends with its last line end
    data = base64.b64decode(raw[start:end])
    parsed = parse_message(raw, decoded={start: (end, data)})
    assert parsed.attachments[0].content is data
    # Text that is not the part's body (it ends early): decoded by the parser.
    parsed = parse_message(raw, decoded={start: (end - 80, b"wrong")})
    assert parsed.attachments[0].content == content
    # Offsets of other bytes (the parser had to change the line ends): not used.
    cr_only = raw.replace(b"\r\n", b"\r")
    start_cr = cr_only.index(b"\r\r", cr_only.index(b"base64")) + 2
    parsed = parse_message(cr_only, decoded={start_cr: (len(cr_only), b"wrong")})
    assert parsed.attachments[0].content == content


# The line-by-line definition, as frozen by the migration that introduced the fingerprint
# (stored fingerprints must keep matching new deliveries of the same mail).
_fingerprint_by_lines = importlib.import_module(
    "tickets.migrations.0010_raw_mail_store"
).fingerprint


def test_the_fingerprint_is_the_line_by_line_definition():
    rng = random.Random(10)
    pieces = [b"\r", b"\n", b"\r\n", b"\n\r", b"a", b"Received: x", b"Subject: y", b" ", b"\t"]
    samples = [b"", b"Subject: x", b"\r\n\r\nbody", with_attachment(os.urandom(50_000))]
    samples += [
        b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 14))) for _ in range(3000)
    ]
    # Bodies of several blocks (tickets.models.mail._LINE_END_BLOCK), with a CR LF split
    # by a block's end, with and without lone CRs.
    block = 64 * 1024
    for lone in (b"", b"x\ry"):
        for cut in (block - 1, block, block + 1):
            body = bytearray(b"a" * (3 * block))
            body[cut - 1 : cut + 1] = b"\r\n"
            body[2 * block - 1 : 2 * block + 1] = b"\r\n"
            samples.append(b"Subject: x\r\n\r\n" + bytes(body) + b"\r\n" * 50 + lone + b"\r")
            samples.append(b"Subject: x\r\n\r\n" + bytes(body).replace(b"aaaa", b"a\r\n" + lone))
    for raw in samples:
        assert fingerprint(raw) == _fingerprint_by_lines(raw), raw[:80]


def _rebuild_by_definition(run: bytes, line: int, eol: bytes) -> bool | None:
    """What split_raw asks, by its definition: the run decoded (None where the decoding
    refuses it, which split_raw skips) and encoded again gives the same bytes."""
    try:
        data = binascii.a2b_base64(run)
    except (binascii.Error, ValueError):
        return None
    return _encode_base64(data, line, eol) == run


def test_the_rebuild_check_is_the_exact_encoding_over_many_blocks():
    rng = random.Random(11)
    # Changes that a run matched by the pattern can carry: another character, padding or
    # a line end added, moved or dropped, the last group's spare bits set.
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
    spoilt_runs = 0
    for size in (1, 2, 3, 4, 5, 57, 58_367, 58_368, 58_369, 200_000):
        data = os.urandom(size)
        for line, eol in ((76, b"\r\n"), (76, b"\n"), (64, b"\n"), (75, b"\r\n"), (4, b"\n")):
            run = _encode_base64(data, line, eol)
            assert _rebuilds(run, binascii.a2b_base64(run), line, eol)
            for _ in range(40):
                spoilt = bytearray(run)
                for _change in range(rng.choice((1, 1, 2))):
                    at = rng.randrange(len(spoilt) + 1)
                    kind = rng.randrange(4)
                    if kind == 0 and at < len(spoilt):
                        spoilt[at] = rng.choice(alphabet)
                    elif kind == 1:
                        spoilt.insert(at, rng.choice(eol + b"="))
                    elif kind == 2 and at < len(spoilt):
                        del spoilt[at]
                    elif len(spoilt) > len(eol):
                        # The last character before the final line end.
                        spoilt[-len(eol) - 1] = rng.choice(alphabet)
                spoilt = bytes(spoilt)
                expected = _rebuild_by_definition(spoilt, line, eol)
                if expected is None:
                    continue
                spoilt_runs += 1
                got = _rebuilds(spoilt, binascii.a2b_base64(spoilt), line, eol)
                assert got == expected, (size, line, eol, spoilt[-12:])
    assert spoilt_runs > 1000


def test_a_large_body_of_another_layout_is_kept_verbatim():
    """Line lengths changing in the second block of 1,024 lines: not a piece."""
    data = os.urandom(120_000)
    run = _encode_base64(data, 76, b"\r\n")
    lines = run.split(b"\r\n")
    lines[1500] += lines[1501][:4]
    lines[1501] = lines[1501][4:]
    raw = b"Subject: x\r\n\r\n" + b"\r\n".join(lines)
    assert split_raw(raw) == (raw, [])


def test_the_boundary_lines_are_the_patterns_matches():
    rng = random.Random(12)
    pattern = re.compile(rb"(?m)^--(?:ab|a|b--)(--)?[ \t]*\r?$")
    pieces = [b"\n", b"\r\n", b"--", b"a", b"b", b"ab", b" ", b"x", b"-", b"\r"]
    for _ in range(20_000):
        raw = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        expected = [(m.span(), m.groups()) for m in pattern.finditer(raw)]
        assert [(m.span(), m.groups()) for m in _boundary_lines(pattern, raw)] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("size", [9 * 1024, 100 * 1024, 255 * 1024, 600 * 1024])
def test_a_part_of_any_size_is_decoded_once(support_address, storage_mode, monkeypatch, size):
    # Every base64 decoding goes through binascii.a2b_base64 (the raw store's, the large
    # part path's and the standard library's base64.b64decode): counted for this file.
    content = os.urandom(size)
    decodes: list[int] = []
    real = binascii.a2b_base64

    def counting(data, *args, **kwargs):
        out = real(data, *args, **kwargs)
        if out == content:
            decodes.append(len(out))
        return out

    monkeypatch.setattr(binascii, "a2b_base64", counting)
    stored = pipe(with_attachment(content, message_id=f"<decoded-once-{size}@example.com>"))
    assert stored.status == "processed", stored.error
    assert Attachment.objects.get(article=stored.article).read() == content
    assert decodes == [size]


@pytest.mark.django_db
def test_a_decoded_body_of_a_small_mail_reads_as_the_parser_reads_it(storage_mode):
    # The text part and the file of a small mail, both base64 bodies the store decodes:
    # the parser takes the store's bytes and reads the same text and file as without them.
    text = ("Grüße aus Köln. " * 700).encode("utf-8")
    file = os.urandom(20_000)

    def b64(data: bytes) -> bytes:
        return base64.encodebytes(data).replace(b"\n", b"\r\n")

    raw = (
        b"From: a@example.com\r\nTo: support@helpdesk.test\r\nSubject: two\r\n"
        b"Message-ID: <small-decoded@example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="Q"\r\n\r\n--Q\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64(text)
        + b"--Q\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="f.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(file) + b"--Q--\r\n"
    )
    decoded: dict = {}
    split_raw(raw, decoded)
    assert len(decoded) == 2
    with_store = parse_message(raw, decoded={k: (e, d) for k, (e, d, _s) in decoded.items()})
    alone = parse_message(raw)
    assert with_store.body_text == alone.body_text == text.decode("utf-8")
    assert [a.content for a in with_store.attachments] == [a.content for a in alone.attachments]
    assert [a.content for a in alone.attachments] == [file]

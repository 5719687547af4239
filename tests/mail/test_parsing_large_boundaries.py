"""The large-mail path finds the same boundary parameters as the plain pattern scan (issue
10, part 4: the scan made cheap), whatever their case, quoting or neighbours."""

from __future__ import annotations

import base64
import os

from otrs.mail.parsing.large import _BOUNDARY, _boundaries, lift


def scanned(raw: bytes) -> set[bytes]:
    return {(m.group(1) or m.group(2)) for m in _BOUNDARY.finditer(raw, 0, len(raw))}


def test_boundaries_are_found_as_the_pattern_scan_finds_them():
    cases = [
        b'Content-Type: multipart/mixed; BOUNDARY="Ab"\r\n x-boundary=no y;boundary=z\r\n',
        b'boundary="q boundary=r" and then Boundary = plain;',
        b"noboundary=1 _boundary=2 boundary= 'x' boundary=\r\n boundary",
        b"",
        b"boundaryboundary=1",
    ]
    for raw in cases:
        assert _boundaries(raw, len(raw)) == scanned(raw), raw
    # Only within the first ``end`` bytes.
    assert _boundaries(b"xx boundary=late", 5) == set()


def test_a_large_multipart_body_is_still_lifted_by_its_boundary():
    payload = base64.encodebytes(os.urandom(300_000)).replace(b"\n", b"\r\n")
    raw = (
        b'Content-Type: multipart/mixed; Boundary="Mix3d"\r\n\r\n--Mix3d\r\n'
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + payload
        + b"--Mix3d--\r\n"
    )
    small, lifted = lift(raw)
    assert lifted is not None and len(small) < 1000
    assert lifted.restore(small) == raw

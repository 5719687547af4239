"""Time and peak memory of parsing large and many-part mails (issue 10, "size limits").

Run from the project root: ``python bench/bench_parse.py [50mb|150mb|10000parts]``; each case
runs in a fresh interpreter (peak RSS, ``resource.getrusage``, is per process). Prints one line
per case: seconds spent in ``parse_message`` and the peak RSS of the process in MB, with the
RSS once the raw mail is read (from a file written beforehand) subtracted as ``parse MB``.
"""

from __future__ import annotations

import base64
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())


def big(size_mb: int) -> bytes:
    payload = base64.encodebytes(os.urandom(size_mb * 1024 * 1024 * 3 // 4))
    return (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--B\r\n"
        b'Content-Type: application/octet-stream; name="big.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + payload.replace(b"\n", b"\r\n")
        + b"\r\n--B--\r\n"
    )


def many(parts: int) -> bytes:
    out = [
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    ]
    for i in range(parts):
        out.append(
            b"--B\r\nContent-Type: application/octet-stream\r\n"
            b'Content-Disposition: attachment; filename="f%d.bin"\r\n\r\nx%d\r\n' % (i, i)
        )
    out.append(b"--B--\r\n")
    return b"".join(out)


def _raw(case: str) -> bytes:
    """The mail of a case, written once to a file so that building it costs no memory here."""
    path = Path(tempfile.gettempdir()) / f"otrs-bench-parse-{case}.eml"
    if not path.exists():
        data = big(int(case[:-2])) if case.endswith("mb") else many(int(case[: -len("parts")]))
        path.write_bytes(data)
    return path.read_bytes()


def one(case: str) -> None:
    # Imported here: from the project root that main() put on sys.path, in the child only.
    from otrs.mail.parsing import parse_message

    parse_message(b"From: a@example.com\r\n\r\nwarm up\r\n")
    raw = _raw(case)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    mail = parse_message(raw)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{case:>11}: raw {len(raw) / 1e6:6.1f} MB  parse {took:6.2f} s  "
        f"peak RSS {peak:7.1f} MB  parse MB {peak - base:7.1f}  "
        f"attachments {len(mail.attachments)}"
    )


if __name__ == "__main__":
    cases = sys.argv[1:] or ["50mb", "150mb", "10000parts"]
    if cases[0] == "--write":
        _raw(cases[1])
        sys.exit(0)
    for case in cases:
        # Written once, in a process of its own: a child inherits its parent's peak RSS.
        subprocess.run([sys.executable, __file__, "--write", case], check=True)  # noqa: S603
    if len(cases) == 1:
        one(cases[0])
    else:
        for case in cases:
            subprocess.run([sys.executable, __file__, case], check=False)  # noqa: S603

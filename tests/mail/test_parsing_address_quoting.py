"""Outgoing address headers keep their quoting (issue 10): a display name with a comma never
reads as two addresses on "reply all", however long it is. The message is built by the real
``build_message`` and read back by the standard library's strict parser and by ours."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy

import pytest

from otrs.mail.outbound import addresses_of, build_message
from otrs.mail.parsing import parse_message

LONG = "Doe, John Jacob Jingleheimer Schmidt the Third of Somewhere Longer Still Yes Indeed"


@pytest.mark.parametrize(
    "name",
    [LONG, "Doe, John", "Dö, Jöhn", LONG.replace("John", "Jöhn"), 'Quote "me", (please) <x>'],
)
def test_display_names_with_specials_stay_one_address(name: str):
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    to = f'"{quoted}" <x@evil.example>, other@example.com'
    msg = build_message(from_=f'"{quoted}" <me@example.com>', to=to, cc=to, subject="s", body="b")
    raw = msg.as_bytes()
    for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        assert len(line) <= 998
    strict = message_from_bytes(raw, policy=email_policy.default)
    for header in ("To", "Cc"):
        addresses = strict[header].addresses
        assert [(a.display_name, a.addr_spec) for a in addresses] == [
            (name, "x@evil.example"),
            ("", "other@example.com"),
        ]
    assert strict["From"].addresses[0].display_name == name
    ours = parse_message(raw)
    assert ours.to == ["x@evil.example", "other@example.com"]
    assert ours.to_names == [name, ""]
    assert addresses_of(msg["To"], msg["Cc"]) == ["x@evil.example", "other@example.com"]


def test_many_addresses_fold_between_addresses():
    to = ", ".join(f'"Person, Number {i}" <p{i}@example.com>' for i in range(20))
    raw = build_message(from_="me@example.com", to=to, subject="s", body="b").as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    addresses = message_from_bytes(raw, policy=email_policy.default)["To"].addresses
    assert [a.display_name for a in addresses] == [f"Person, Number {i}" for i in range(20)]

"""Postmaster filters (spec 3.8): header rules the administrator keeps in the admin.

Filters run in name order. A filter matches when all its match rules hold (a case-insensitive
regular expression on a header, or its negation); it then sets its ``X-OTRS-*`` values. A
filter with the stop flag ends the run when it matches.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.utils import getaddresses

from otrs.mail.parsing import ParsedMail

from .. import masterdata
from ..masterdata import CachedFilter
from .directives import Directives

logger = logging.getLogger(__name__)

EMAIL_PREFIX = "EMAILADDRESS:"
# [***] is the first group of the last match; [** \name **] one of its named groups.
_FIRST_GROUP = "[***]"
_NAMED_GROUP = re.compile(r"\[\*\*\s*\\(\w+)\s*\*\*\]")


@dataclass(frozen=True)
class Applied:
    name: str
    values: dict[str, str]


def compile_pattern(pattern: str) -> re.Pattern:
    """The rule's expression (without an ``EMAILADDRESS:`` prefix); raises ``re.error``."""
    if pattern.upper().startswith(EMAIL_PREFIX):
        pattern = pattern[len(EMAIL_PREFIX) :]
    return re.compile(pattern, re.IGNORECASE | re.MULTILINE)


def header_values(mail: ParsedMail, header: str) -> list[str]:
    """The values a rule looks at: every occurrence of the header, or the body for ``Body``."""
    if header.lower() == "body":
        return [mail.body_text]
    return mail.headers.get_all(header)


def run_filters(mail: ParsedMail, directives: Directives) -> list[Applied]:
    """Apply every matching filter to ``directives``; return what was applied, in order.
    The valid filters come from the master data cache (loaded once per process)."""
    applied: list[Applied] = []
    for flt in masterdata.postmaster_filters():
        match = _matches(flt, mail)
        if match is None:
            continue
        values = {}
        for rule in flt.sets:
            value = _expand(rule.value, match)
            if directives.set(rule.header, value):
                values[rule.header] = value
            else:
                logger.warning(
                    "Postmaster filter %r: %r is not a settable header", flt.name, rule.header
                )
        applied.append(Applied(flt.name, values))
        if flt.stop:
            break
    return applied


def _matches(flt: CachedFilter, mail: ParsedMail) -> re.Match | bool | None:
    """The last positive match of the filter (or True if it had only negated rules), or None."""
    last: re.Match | bool | None = True
    rules = flt.matches
    if not rules:
        return None
    for rule in rules:
        regex = _compiled(flt, rule)
        if regex is None:
            return None
        found = _search(regex, rule, header_values(mail, rule.header))
        if rule.negate:
            if found is not None:
                return None
        elif found is None:
            return None
        else:
            last = found
    return last


def _compiled(flt: CachedFilter, rule) -> re.Pattern | None:
    """The rule's expression, compiled once per cached filter; None (logged) if it is bad."""
    if rule.pk not in flt.compiled:
        try:
            flt.compiled[rule.pk] = compile_pattern(rule.pattern)
        except re.error as exc:
            logger.warning(
                "Postmaster filter %r: bad expression %r (%s)", flt.name, rule.pattern, exc
            )
            flt.compiled[rule.pk] = None
    return flt.compiled[rule.pk]


def _search(regex: re.Pattern, rule, values: list[str]) -> re.Match | None:
    if rule.pattern.upper().startswith(EMAIL_PREFIX):
        candidates = [addr for _name, addr in getaddresses(values) if addr]
    else:
        candidates = values
    for value in candidates:
        found = regex.search(value)
        if found is not None:
            return found
    return None


def _expand(value: str, match: re.Match | bool) -> str:
    if not isinstance(match, re.Match):
        return _NAMED_GROUP.sub("", value.replace(_FIRST_GROUP, ""))
    first = match.group(1) if match.re.groups else ""
    value = value.replace(_FIRST_GROUP, first or "")
    named = match.groupdict()
    return _NAMED_GROUP.sub(lambda m: named.get(m.group(1)) or "", value)

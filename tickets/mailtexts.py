"""Mail texts with OTRS tags (spec section 4): expansion, quoting, reply and forward bodies.

Salutations, signatures, templates and auto responses are written by administrators with
tags such as ``<OTRS_TICKET_Number>`` or ``<OTRS_CUSTOMER_EMAIL[5]>``. :func:`render` expands
them in one pass over the text: a value that itself looks like a tag (a customer who writes
``<OTRS_CONFIG_SITE_URL>`` in a mail) is inserted as it is and never expanded again. Every
family reads from a fixed list of attributes; anything else, and any tag whose value is
unknown, becomes ``-`` as in OTRS. So ``<OTRS_CONFIG_SECRET_KEY>`` or ``<OTRS_OWNER_password>``
cannot reveal anything: there is no generic attribute or settings lookup.

Families: ``TICKET`` (the ticket); ``CUSTOMER`` (the article being answered: Subject, From,
Body, REALNAME; ``EMAIL[n]`` / ``BODY[n]`` for its first n lines quoted, ``EMAIL`` / ``BODY``
for all of them; ``SUBJECT[n]`` for n characters of the cleaned subject); ``CUSTOMER_DATA``
(the ticket's customer user and company); ``AGENT`` and ``CURRENT`` (the agent writing);
``OWNER``; ``RESPONSIBLE``; ``NOTIFICATION_RECIPIENT``; ``CONFIG`` (a short whitelist). Tag
names are case-insensitive, as in OTRS, except that ``<OTRS_CUSTOMER_BODY>`` in capitals
quotes while ``<OTRS_CUSTOMER_Body>`` does not (OTRS matches the quoting form by case).

Plain text only: HTML bodies are not produced here.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from email.utils import getaddresses
from functools import cached_property
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from customers.models import CustomerUser
from otrs.mail.parsing import html_to_text

from . import fields as ticket_fields
from .subjects import clean_ticket_subject

# OTRS wraps quoted customer text at 86 characters (Ticket::Frontend::TextAreaEmail).
QUOTE_WIDTH = 86
QUOTE_CHAR = ">"
UNKNOWN = "-"

_TAG = re.compile(r"<OTRS_([A-Za-z0-9_:\-]+?)(?:\[(\d{1,5})\])?>", re.IGNORECASE)
# Longest first: CUSTOMER_DATA_ must win over CUSTOMER_.
_FAMILIES = (
    "NOTIFICATION_RECIPIENT",
    "CUSTOMER_DATA",
    "CUSTOMER",
    "TICKET",
    "AGENT",
    "CURRENT",
    "OWNER",
    "RESPONSIBLE",
    "CONFIG",
)


# --- quoting -----------------------------------------------------------------------------------


def wrap_lines(text: str, width: int = QUOTE_WIDTH) -> list[str]:
    """The lines of ``text``, long ones word-wrapped at ``width``. Lines that are quotes
    already, and words longer than a line (links), are left whole."""
    out: list[str] = []
    text = (text or "").replace("\r\n", "\n").rstrip()
    if not text:
        return out
    for line in text.split("\n"):
        line = line.rstrip()
        if len(line) <= width or line.startswith(QUOTE_CHAR):
            out.append(line)
            continue
        out.extend(
            textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
        )
    return out


def quote(text: str, *, lines: int | None = None, width: int = QUOTE_WIDTH) -> str:
    """``text`` wrapped at ``width`` and each line prefixed with ``> `` (an empty line gets
    ``>`` alone); only the first ``lines`` lines when given."""
    wrapped = wrap_lines(text, width)
    if lines is not None:
        wrapped = wrapped[:lines]
    return "\n".join(f"{QUOTE_CHAR} {line}" if line else QUOTE_CHAR for line in wrapped)


def article_text(article) -> str:
    """An article's body as plain text (the text part, else its HTML flattened)."""
    if article is None:
        return ""
    if article.body:
        return article.body
    if article.body_html:
        return html_to_text(article.body_html)
    return ""


# --- tag values --------------------------------------------------------------------------------


def _when(value) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def _name(related) -> str | None:
    if related is None:
        return None
    return getattr(related, "full_name", None) or getattr(related, "name", None)


def _user_values(user) -> dict[str, object]:
    """The attributes of a user that tags may show (a whitelist: nothing secret)."""
    if user is None:
        return {}
    return {
        "userfirstname": user.first_name,
        "userlastname": user.last_name,
        "userfullname": user.get_full_name() or user.get_username(),
        "userlogin": user.get_username(),
        "useremail": user.email,
        "userid": user.pk,
    }


class _Values:
    """The values of each tag family for one rendering. A family is loaded only when the
    text uses one of its tags (the customer user costs a query; the others none or one)."""

    def __init__(self, *, ticket, article, agent, recipient) -> None:
        self.ticket = ticket
        self.article = article
        self._cache: dict[str, dict[str, object]] = {}
        self._loaders: dict[str, Callable[[], dict[str, object]]] = {
            "TICKET": self._ticket,
            "CUSTOMER": self._customer,
            "CUSTOMER_DATA": self._customer_data,
            "AGENT": lambda: _user_values(agent),
            "CURRENT": lambda: _user_values(agent),
            "OWNER": lambda: _user_values(ticket.owner),
            "RESPONSIBLE": lambda: _user_values(ticket.responsible),
            "NOTIFICATION_RECIPIENT": lambda: _user_values(recipient),
            "CONFIG": _config_values,
            # <OTRS_TICKET_DynamicField_Name>: not a family of its own, see value().
            "TICKET_FIELDS": self._ticket_fields,
        }

    def value(self, family: str, attribute: str, count: int | None) -> object:
        key = attribute.lower()
        if family == "CUSTOMER" and self.article is not None:
            # As in OTRS: EMAIL, and BODY in capitals or with a count, quote the body;
            # <OTRS_CUSTOMER_Body> is the body as it is.
            if key == "email" or (key == "body" and (attribute == "BODY" or count is not None)):
                return quote(article_text(self.article), lines=count)
            if key == "subject" and count is not None:
                return _shorten(self._clean_subject(), count)
        if family == "TICKET" and key.startswith("dynamicfield_"):
            family = "TICKET_FIELDS"
        if family not in self._cache:
            self._cache[family] = self._loaders[family]()
        return self._cache[family].get(key)

    def _ticket_fields(self) -> dict[str, object]:
        """Custom fields (OTRS dynamic fields): ``dynamicfield_<name>`` is the value as people
        read it (a dropdown's label), ``dynamicfield_<name>_value`` the raw value (its key)."""
        fields = ticket_fields.definitions(ticket_fields.TICKET)
        found = ticket_fields.values_for(ticket_fields.TICKET, [self.ticket], fields)[
            self.ticket.pk
        ]
        result: dict[str, object] = {}
        for definition in fields:
            if definition.name in found:
                value = found[definition.name]
                name = definition.name.lower()
                result[f"dynamicfield_{name}"] = definition.type.render(definition, value)
                result[f"dynamicfield_{name}_value"] = definition.type.to_text(definition, value)
        return result

    def _ticket(self) -> dict[str, object]:
        t = self.ticket
        return {
            "ticketnumber": t.number,
            "number": t.number,
            "ticketid": t.pk,
            "id": t.pk,
            "title": t.title,
            "queue": _name(t.queue),
            "queueid": t.queue_id,
            "state": _name(t.state),
            "statetype": t.state.state_type,
            "priority": _name(t.priority),
            "type": _name(t.type),
            "lock": t.lock,
            "service": _name(t.service),
            "sla": _name(t.sla),
            "customerid": t.customer_id,
            "customeruserid": t.customer_user,
            "owner": t.owner.get_username(),
            "ownerid": t.owner_id,
            "responsible": t.responsible.get_username(),
            "responsibleid": t.responsible_id,
            "created": _when(t.created_at),
            "changed": _when(t.changed_at),
            "pendinguntil": _when(t.pending_until),
            "tickethook": settings.TICKET_HOOK,
        }

    def _customer(self) -> dict[str, object]:
        a = self.article
        if a is None:
            # A text that answers no article (an agent's new email ticket): the customer's
            # name is still known from the ticket ("Dear <OTRS_CUSTOMER_REALNAME>,").
            return {"realname": self._real_name()}
        return {
            "from": a.from_address,
            "to": a.to_address,
            "cc": a.cc_address,
            "replyto": a.reply_to,
            "subject": a.subject,
            "body": article_text(a),
            "messageid": a.message_id,
            "inreplyto": a.in_reply_to,
            "references": a.references,
            "realname": self._real_name(),
        }

    def _clean_subject(self) -> str:
        return clean_ticket_subject(self.article.subject, self.ticket.number)

    def _real_name(self) -> str | None:
        """The customer's name: the customer user's, else the name (or address) the
        article came from, else the ticket's customer login."""
        profile = self._customer_user
        if profile is not None:
            name = profile.user.get_full_name()
            if name:
                return name
        sender = self.article.from_address if self.article is not None else ""
        for name, address in getaddresses([sender or ""]):
            if name or address:
                return name or address
        return self.ticket.customer_user or None

    @cached_property
    def _customer_user(self):
        login = self.ticket.customer_user
        if not login:
            return None
        return (
            CustomerUser.objects.select_related("user", "company")
            .filter(user__username__iexact=login)
            .order_by("pk")
            .first()
        )

    def _customer_data(self) -> dict[str, object]:
        profile = self._customer_user
        if profile is None:
            return {}
        user, company = profile.user, profile.company
        values: dict[str, object] = {
            "userfirstname": user.first_name,
            "userlastname": user.last_name,
            "userfullname": user.get_full_name() or user.get_username(),
            "userlogin": user.get_username(),
            "useremail": profile.email,
            "userphone": profile.phone,
            "usercustomerid": company.customer_id if company else "",
        }
        if company is not None:
            values |= {
                "customercompanyname": company.name,
                "customercompanystreet": company.street,
                "customercompanyzip": company.zip_code,
                "customercompanycity": company.city,
                "customercompanycountry": company.country,
                "customercompanyurl": company.url,
            }
        return values


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else f"{text[:size]} [...]"


def _config_values() -> dict[str, object]:
    """The only settings a text may show. Never widen this to a generic lookup."""
    site = urlsplit(settings.SITE_URL)
    return {
        "fqdn": settings.MAIL_DOMAIN,
        "mail_domain": settings.MAIL_DOMAIN,
        "site_url": settings.SITE_URL,
        "httptype": site.scheme,
        "ticket_hook": settings.TICKET_HOOK,
        "ticket::hook": settings.TICKET_HOOK,
        "systemid": settings.SYSTEM_ID,
    }


# --- rendering ---------------------------------------------------------------------------------


def _split(name: str) -> tuple[str | None, str]:
    upper = name.upper()
    for family in _FAMILIES:
        if upper.startswith(f"{family}_"):
            return family, name[len(family) + 1 :]
    return None, name


def render(
    text: str,
    *,
    ticket,
    article=None,
    agent=None,
    recipient=None,
    extra: Mapping[str, object] | None = None,
) -> str:
    """``text`` with every ``<OTRS_*>`` tag expanded for ``ticket``; ``article`` is the
    customer's message the text answers, ``agent`` the one writing (``AGENT`` and
    ``CURRENT``), ``recipient`` the agent a notification goes to. ``extra``: values of the
    caller's own tags by lower-case name without ``OTRS_`` (they win over the families).
    Unknown tags become ``-``."""
    if not text:
        return ""
    values = _Values(ticket=ticket, article=article, agent=agent, recipient=recipient)
    extra = extra or {}

    def expand(match: re.Match) -> str:
        if match.group(1).lower() in extra:
            return str(extra[match.group(1).lower()])
        family, attribute = _split(match.group(1))
        if family is None:
            return UNKNOWN
        count = int(match.group(2)) if match.group(2) else None
        value = values.value(family, attribute, count)
        return UNKNOWN if value is None else str(value)

    return _TAG.sub(expand, text)


# --- reply and forward bodies ------------------------------------------------------------------


def _valid_text(obj) -> str:
    return obj.text if obj is not None and obj.is_valid else ""


def _author(article) -> str:
    """Who wrote ``article``, for the line above a quote."""
    for name, address in getaddresses([article.from_address or ""]):
        if name or address:
            return name or address
    user = article.created_by
    return user.get_full_name() or user.get_username()


def _join(*parts: str) -> str:
    return "\n\n".join(part.strip("\n") for part in parts if part and part.strip())


def new_ticket_text(queue, template=None) -> str:
    """The text a new email ticket to a customer starts with: the queue's salutation, the
    template and the queue's signature, tags not yet expanded (the ticket does not exist
    yet; :func:`tickets.actions.create_email_ticket` expands them with ``expand_tags``)."""
    return _join(_valid_text(queue.salutation), _valid_text(template), _valid_text(queue.signature))


def bounce_notice_text(ticket, article, agent) -> str:
    """The notice to the sender of a bounced mail (OTRS ``Ticket::Frontend::BounceText``
    between the queue's salutation and signature). The salutation and signature are
    expanded now; ``<OTRS_TICKET>`` and ``<OTRS_BOUNCE_TO>`` stay for the agent to see and
    are filled in when it is sent (the address may still change)."""
    queue = ticket.queue

    def expanded(text: str) -> str:
        return render(text, ticket=ticket, article=article, agent=agent)

    notice = _(
        "Your email with ticket number “<OTRS_TICKET>” has been bounced to "
        "“<OTRS_BOUNCE_TO>”. Please contact that address for further information."
    )
    return (
        _join(
            expanded(_valid_text(queue.salutation)), notice, expanded(_valid_text(queue.signature))
        )
        + "\n"
    )


def reply_text(ticket, article, agent, template=None) -> str:
    """An agent's answer to ``article``: the queue's salutation, the template, the queue's
    signature (all with tags expanded) and the original quoted behind ``> ``
    (OTRS ``Ticket::Frontend::ResponseFormat``)."""
    queue = ticket.queue

    def expanded(text: str) -> str:
        return render(text, ticket=ticket, article=article, agent=agent)

    when = formats.date_format(timezone.localtime(article.created_at), "DATETIME_FORMAT")
    intro = _("On %(date)s, %(sender)s wrote:") % {"date": when, "sender": _author(article)}
    return (
        _join(
            expanded(_valid_text(queue.salutation)),
            expanded(_valid_text(template)),
            expanded(_valid_text(queue.signature)),
            f"{intro}\n{quote(article_text(article))}",
        )
        + "\n"
    )


def forward_text(ticket, article, agent, template=None) -> str:
    """A forward of ``article``: the template and the queue's signature (tags expanded),
    then the original message with its headers, unquoted."""

    def expanded(text: str) -> str:
        return render(text, ticket=ticket, article=article, agent=agent)

    when = formats.date_format(timezone.localtime(article.created_at), "DATETIME_FORMAT")
    headers = [
        (_("From"), article.from_address or _author(article)),
        (_("To"), article.to_address),
        (_("Cc"), article.cc_address),
        (_("Subject"), article.subject),
        (_("Date"), when),
    ]
    block = "\n".join(
        [
            _("---- Forwarded message from %(sender)s ----") % {"sender": _author(article)},
            "",
            *(f"{label}: {value}" for label, value in headers if value),
            "",
            article_text(article).rstrip(),
            "",
            _("---- End of forwarded message ----"),
        ]
    )
    return (
        _join(expanded(_valid_text(template)), expanded(_valid_text(ticket.queue.signature)), block)
        + "\n"
    )

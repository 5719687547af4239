"""Ticket notifications as YAML, to move them between systems (the notification admin's
export action and import page).

Ids differ from one system to the next, so the YAML names things: the ticket filter in the
condition language's text form (``queue = Support``), agents by login, groups and roles by
name. An import checks every entry with the admin's own form (so a file is refused for what
the form would refuse, each message naming the notification and the field) and writes
nothing if any entry is refused. A notification whose name exists is replaced or skipped,
as the importing admin chose; without a choice the import asks (:class:`NamesExist`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import Group, Role, User, UserKind
from otrs.conditions import text as condition_text

from ..models import NotificationTransport, TicketNotification, TicketNotificationText
from . import portable
from .attributes import ticket_schema
from .notification_forms import TicketNotificationForm

FORMAT_VERSION = 1
KEY = "notifications"
OVERWRITE, SKIP = "overwrite", "skip"

_LISTS = ("events", "article_sender_types", "article_channels", "recipients", "transports")
_FLAGS = {
    "valid": True,
    "once_per_day": False,
    "agent_may_choose": True,
    "enabled_by_default": True,
}


class NamesExist(Exception):
    """The file names notifications that exist; the admin must say overwrite or skip."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


@dataclass
class Imported:
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def export_notifications(notifications: Iterable[TicketNotification]) -> str:
    schema = ticket_schema()
    entries = []
    for n in notifications:
        entries.append(
            {
                "name": n.name,
                "key": n.key,
                "comment": n.comment,
                "valid": n.valid,
                "events": list(n.events or ()),
                "ticket_filter": condition_text.format(n.ticket_filter or {}, schema),
                "article_sender_types": list(n.article_sender_types or ()),
                "article_channels": list(n.article_channels or ()),
                "recipients": list(n.recipients or ()),
                "recipient_agents": sorted(u.get_username() for u in n.recipient_agents.all()),
                "recipient_groups": sorted(g.name for g in n.recipient_groups.all()),
                "recipient_roles": sorted(r.name for r in n.recipient_roles.all()),
                "recipient_addresses": (n.recipient_addresses or "").split(),
                "transports": list(n.transports or ()),
                "once_per_day": n.once_per_day,
                "agent_may_choose": n.agent_may_choose,
                "enabled_by_default": n.enabled_by_default,
                "texts": {
                    t.language: {"subject": t.subject, "body": t.body} for t in n.texts.all()
                },
            }
        )
    return yaml.safe_dump(
        {"format": FORMAT_VERSION, KEY: entries}, allow_unicode=True, sort_keys=False
    )


def _entries(text: str) -> list[Mapping]:
    """The YAML's entries, each a mapping with a name (unique) and a key (unique)."""
    entries = portable.load_entries(text, KEY)
    keys = [str(entry.get("key") or "").strip() for entry in entries]
    if len(set(keys)) != len(keys):
        raise ValidationError(_("%(key)s: every key must be unique.") % {"key": KEY})
    return entries


def _names_to_ids(model: Any, column: str, values: Any, label: str, errors: list[str], **where):
    if not isinstance(values, list):
        errors.append(_("%(field)s must be a list.") % {"field": label})
        return []
    wanted = [str(v) for v in values]
    found = dict(
        model.objects.filter(**{f"{column}__in": wanted}, **where).values_list(column, "pk")
    )
    for value in wanted:
        if value not in found:
            errors.append(
                _("%(field)s: “%(value)s” does not exist.") % {"field": label, "value": value}
            )
    return [found[v] for v in wanted if v in found]


def _form_data(entry: Mapping, errors: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": str(entry.get("name") or "").strip(),
        "key": str(entry.get("key") or ""),
        "comment": str(entry.get("comment") or ""),
        "ticket_filter": str(entry.get("ticket_filter") or ""),
    }
    for name in _LISTS:
        value = entry.get(name) or []
        if not isinstance(value, list):
            errors.append(_("%(field)s must be a list.") % {"field": name})
            value = []
        data[name] = [str(v) for v in value]
    if "transports" not in entry:
        # Files exported before in-app notifications name one "transport" (mail).
        data["transports"] = [str(entry.get("transport") or NotificationTransport.EMAIL)]
    for name, default in _FLAGS.items():
        value = entry.get(name, default)
        if not isinstance(value, bool):
            errors.append(_("%(field)s must be true or false.") % {"field": name})
            value = default
        data[name] = value
    addresses = entry.get("recipient_addresses") or []
    if not isinstance(addresses, list):
        errors.append(_("%(field)s must be a list.") % {"field": "recipient_addresses"})
        addresses = []
    data["recipient_addresses"] = "\n".join(str(a) for a in addresses)
    data["recipient_agents"] = _names_to_ids(
        User,
        "username",
        entry.get("recipient_agents") or [],
        "recipient_agents",
        errors,
        kind=UserKind.AGENT,
    )
    data["recipient_groups"] = _names_to_ids(
        Group, "name", entry.get("recipient_groups") or [], "recipient_groups", errors
    )
    data["recipient_roles"] = _names_to_ids(
        Role, "name", entry.get("recipient_roles") or [], "recipient_roles", errors
    )
    return data


def _texts(entry: Mapping, errors: list[str]) -> dict[str, tuple[str, str]]:
    texts = entry.get("texts")
    languages = dict(settings.LANGUAGES)
    if not isinstance(texts, Mapping) or not texts:
        errors.append(_("texts: give at least one language with subject and body."))
        return {}
    found: dict[str, tuple[str, str]] = {}
    for language, words in texts.items():
        if language not in languages:
            errors.append(_("texts: unknown language “%(language)s”.") % {"language": language})
            continue
        subject = words.get("subject") if isinstance(words, Mapping) else None
        body = words.get("body") if isinstance(words, Mapping) else None
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 250:
            errors.append(
                _("texts.%(language)s.subject: give a subject of at most 250 characters.")
                % {"language": language}
            )
            continue
        if not isinstance(body, str) or not body.strip():
            errors.append(_("texts.%(language)s.body: give a text.") % {"language": language})
            continue
        found[str(language)] = (subject, body)
    return found


def import_notifications(text: str, *, existing: str | None = None) -> Imported:
    """Create the notifications of the YAML ``text``; those whose name exists are replaced
    (``existing`` = OVERWRITE) or left alone (SKIP). ``NamesExist`` if some exist and
    ``existing`` is None; ``ValidationError`` with every problem, each naming its
    notification and field; either way nothing is written."""
    entries = _entries(text)
    present = {
        n.name: n
        for n in TicketNotification.objects.filter(
            name__in=[str(e["name"]).strip() for e in entries]
        )
    }
    if present and existing not in (OVERWRITE, SKIP):
        raise NamesExist(sorted(present))
    result = Imported()
    problems: list[str] = []
    forms: list[tuple[TicketNotificationForm, dict[str, tuple[str, str]]]] = []
    for entry in entries:
        name = str(entry["name"]).strip()
        if name in present and existing == SKIP:
            result.skipped.append(name)
            continue
        part = _("Notification %(name)s") % {"name": name}
        errors: list[str] = []
        data = _form_data(entry, errors)
        texts = _texts(entry, errors)
        form = TicketNotificationForm(data=data, instance=present.get(name))
        if not form.is_valid():
            for where, messages in form.errors.items():
                for message in messages:
                    errors.append(f"{where}: {message}" if where != "__all__" else str(message))
        problems += [f"{part}: {error}" for error in errors]
        forms.append((form, texts))
        (result.replaced if name in present else result.created).append(name)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        for form, texts in forms:
            notification = form.save(commit=False)
            notification.changed_at = timezone.now()
            notification.save()
            form.save_m2m()
            notification.texts.all().delete()
            TicketNotificationText.objects.bulk_create(
                TicketNotificationText(
                    notification=notification, language=language, subject=subject, body=body
                )
                for language, (subject, body) in texts.items()
            )
    return result

"""A CI's history rows as people read them: rendered and translated at display time from
the raw values the rows keep."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .choices import POINTED, REVERSE_LABELS, HistoryType, LinkType
from .models import CatalogItem, ConfigItem, History

DASH = "\N{EN DASH}"


@dataclass(frozen=True)
class Entry:
    row: History
    label: str
    text: str


def _link_label(data: dict, configitem_id: int) -> str:
    """How the link reads from this CI's end ("required for" on the target's page)."""
    if data.get("type") not in LinkType.values:
        return ""
    link_type = LinkType(data["type"])
    if link_type in POINTED and data.get("source") not in (None, configitem_id):
        return str(REVERSE_LABELS[link_type])
    return str(link_type.label)


def describe(rows: list[History]) -> list[Entry]:
    state_ids, ci_ids = set(), set()
    for row in rows:
        if row.history_type in (
            HistoryType.DEPLOYMENT_STATE_UPDATE,
            HistoryType.INCIDENT_STATE_UPDATE,
            HistoryType.CURRENT_INCIDENT_STATE,
        ):
            state_ids |= {row.data.get("old"), row.data.get("new")}
        if "other" in row.data:
            ci_ids.add(row.data["other"])
    names = dict(CatalogItem.objects.filter(pk__in=state_ids - {None}).values_list("pk", "name"))
    cis = {ci.pk: f"{ci.number} {ci.name}" for ci in ConfigItem.objects.filter(pk__in=ci_ids)}
    entries = []
    for row in rows:
        data = row.data
        kind = row.history_type
        label = str(HistoryType(kind).label) if kind in HistoryType.values else kind
        if kind in (
            HistoryType.DEPLOYMENT_STATE_UPDATE,
            HistoryType.INCIDENT_STATE_UPDATE,
            HistoryType.CURRENT_INCIDENT_STATE,
        ):
            old = _(names.get(data.get("old"), "?"))
            new = _(names.get(data.get("new"), "?"))
            text = f"{old} \N{RIGHTWARDS ARROW} {new}"
        elif kind == HistoryType.NAME_UPDATE:
            text = f"{data.get('old')} \N{RIGHTWARDS ARROW} {data.get('new')}"
        elif kind == HistoryType.VALUE_UPDATE and "key" in data:
            old, new = data.get("old") or DASH, data.get("new") or DASH
            text = f"{data['key']}: {old} \N{RIGHTWARDS ARROW} {new}"
        elif kind in (HistoryType.LINK_ADD, HistoryType.LINK_DELETE):
            link = _link_label(data, row.configitem_id)
            if "ticket" in data:
                other = _("ticket %(number)s") % {
                    "number": data.get("ticket_number") or data["ticket"]
                }
            elif "faq" in data:
                other = _("FAQ item %(number)s") % {"number": data.get("faq_number") or data["faq"]}
            elif "service" in data:
                other = _("service %(name)s") % {
                    "name": data.get("service_name") or data["service"]
                }
            else:
                other = cis.get(data.get("other"), f"#{data.get('other')}")
            text = f"{link}: {other}"
        elif kind == HistoryType.VERSION_CREATE:
            text = _("version %(n)s") % {"n": data.get("version")}
        elif kind == HistoryType.CREATE:
            text = data.get("name", "")
        else:
            text = ""
        entries.append(Entry(row, label, text))
    return entries

"""What the CMDB indexes (otrs.search.registry): each configuration item's number, name and
the text values of its current version; ``cmdb.access`` filters the ids."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F

from otrs.search import registry

from .models import AttributeValue, ConfigItem


class ConfigItemIndex(registry.ModelIndex):
    kind = "configitem"
    model = ConfigItem
    object_type = "configitem"
    title_field = "name"
    text_fields = ()
    keyword_fields = ("number",)

    def more_text(self, ids: list[int]) -> Iterable[tuple[int, str]]:
        values = AttributeValue.objects.filter(
            version__configitem_id__in=ids, version__configitem__last_version=F("version")
        ).order_by("version__configitem_id", "pk")
        for pk, short, long in values.values_list(
            "version__configitem_id", "value_text", "value_long"
        ):
            text = " ".join(v for v in (short, long) if v)
            if text:
                yield pk, text


registry.register(ConfigItemIndex())

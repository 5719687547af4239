"""FAQ items in the custom-field engine (:mod:`otrs.fields`): they carry custom fields and
can be the target of reference fields."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from otrs.fields import registry
from otrs.fields.registry import ObjectType, Screen

FAQ_ITEM = "faq_item"
FAQ_ITEM_SCREEN = "faq_item_edit"


def _describe(item) -> str:
    return f"{item.number} {item.title}"


def _write(item, values, *, actor, **_options):
    # Imported here: faq.actions imports this module for FAQ_ITEM.
    from .actions import set_field_values

    return set_field_values(item, dict(values), actor=actor)


def register() -> None:
    registry.register_object_type(
        ObjectType(
            key=FAQ_ITEM,
            label=_("FAQ item"),
            model="faq.FaqItem",
            screens=(Screen(FAQ_ITEM_SCREEN, _("FAQ item form")),),
            describe=_describe,
            writer=_write,
            lookup_fields=("number", "title"),
        )
    )

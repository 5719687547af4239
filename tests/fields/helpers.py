"""Field definitions for tests, made through the engine's own action."""

from __future__ import annotations

from otrs.fields.actions import save_definition
from otrs.fields.models import FieldDefinition

ALL_SCREENS = (
    "phone_ticket",
    "email_ticket",
    "note",
    "close",
    "pending",
    "free_fields",
    "bulk",
    "customer_new_ticket",
    "customer_ticket",
    "zoom",
    "queue_list",
    "search_list",
)


def define(
    name: str,
    field_type: str,
    *,
    object_type: str = "ticket",
    options: list[str] | None = None,
    settings: dict | None = None,
    screens: dict | None = None,
    order: int = 0,
    label: str | None = None,
    labels: dict | None = None,
) -> FieldDefinition:
    if screens is None:
        screens = dict.fromkeys(ALL_SCREENS, "shown")
    definition = FieldDefinition(
        name=name,
        label=label or name,
        labels=labels or {},
        object_type=object_type,
        field_type=field_type,
        settings=settings or {},
        screens=screens,
        order=order,
    )
    option_rows = (
        [{"key": key, "label": key.title()} for key in options] if options is not None else None
    )
    return save_definition(definition, option_rows)


def every_type() -> dict[str, FieldDefinition]:
    """One field of each type on tickets, in a fixed order."""
    return {
        "text": define("Contract", "text", settings={"regex": r"^C-\d+$"}, order=1),
        "textarea": define("Notes", "textarea", order=2),
        "checkbox": define("Urgent", "checkbox", order=3),
        "dropdown": define("Product", "dropdown", options=["alpha", "beta", "gamma"], order=4),
        "multiselect": define("Sites", "multiselect", options=["berlin", "paris", "rome"], order=5),
        "integer": define("Seats", "integer", settings={"min": 0, "max": 1000}, order=6),
        "decimal": define("Amount", "decimal", settings={"places": 2}, order=7),
        "date": define("DueDate", "date", order=8),
        "datetime": define("Visit", "datetime", order=9),
        "reference": define("Related", "reference", settings={"target": "ticket"}, order=10),
    }

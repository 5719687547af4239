"""Template helpers of the CMDB pages: state colours and dictionary look-ups."""

from __future__ import annotations

from django import template

from ..selectors import incident_class

register = template.Library()


@register.filter
def incident_css(state) -> str:
    """The CSS class of an incident state's functionality (operational, warning, incident)."""
    return incident_class(state) if state is not None else ""


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None

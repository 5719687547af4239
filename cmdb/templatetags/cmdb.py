"""Template helpers of the CMDB pages: state colours and dictionary look-ups."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from ..selectors import incident_class

register = template.Library()


@register.filter
def incident_css(state) -> str:
    """The CSS class of an incident state's functionality (operational, warning, incident)."""
    return incident_class(state) if state is not None else ""


@register.simple_tag
def incident_badge(state) -> str:
    """An incident state as a badge coloured by its functionality (a tag, not an included
    template: a CI page shows one per linked CI, up to 200)."""
    if state is None:
        return format_html('<span class="badge"></span>')
    css = incident_class(state)
    return format_html('<span class="badge {}">{}</span>', css, gettext(state.name))


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None

"""What the portal's navigation offers beyond the fixed entries."""

from __future__ import annotations

from django import template

from customer_portal.views.configitems import portal_shows_configitems

register = template.Library()


@register.simple_tag
def configitems_in_portal() -> bool:
    """Whether the portal lists the customer's configuration items (a setting, read per
    request)."""
    return portal_shows_configitems()

"""``{% maintenance_banner %}``: the announced or running maintenance window, for the base
templates of the agent and customer portals (from the cache: no query per page)."""

from django import template
from django.utils import timezone

from otrs.ops import maintenance

register = template.Library()


@register.inclusion_tag("ops/_maintenance_banner.html", takes_context=True)
def maintenance_banner(context):
    now = timezone.now()
    window = maintenance.announced(now)
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "window": window,
        "running": window is not None and window.is_active(now),
        "signed_in": bool(user is not None and user.is_authenticated),
    }

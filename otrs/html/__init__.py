"""HTML that came from outside (mail bodies, what users paste), made safe to show.

Cross-cutting: the mail parser and the ticket actions both sanitise with this one function, so
what an article stores is cleaned the same way whichever road it came by. Imports nothing of
Django, so the parser that uses it works without the app registry.
"""

from __future__ import annotations

import nh3

# The URL schemes a link or image may use; ``cid:`` points at a part of the same mail.
URL_SCHEMES = frozenset({"http", "https", "mailto", "cid"})


def sanitize_html(html: str) -> str:
    """Mail and user HTML made safe to show: no scripts, handlers, or remote tricks."""
    return nh3.clean(html, url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer nofollow")


__all__ = ["URL_SCHEMES", "sanitize_html"]

"""HTML that came from outside (mail bodies, what users paste), made safe to show.

Cross-cutting: the mail parser and the ticket actions both sanitise with this one function, so
what an article stores is cleaned the same way whichever road it came by. Imports nothing of
Django, so the parser that uses it works without the app registry.
"""

from __future__ import annotations

import nh3

# The URL schemes a link or image may use; ``cid:`` points at a part of the same mail.
URL_SCHEMES = frozenset({"http", "https", "mailto", "cid"})


def sanitize_html(html: str, *, remote_images: bool = True) -> str:
    """Mail and user HTML made safe to show: no scripts, handlers, or remote tricks.

    With ``remote_images=False`` an image keeps its source only when that points into the
    site itself (a relative URL, such as an attachment's) or into the same mail (``cid:``):
    text the project publishes (the FAQ) never makes a reader's browser call a third party.
    """
    if remote_images:
        return nh3.clean(
            html, url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer nofollow"
        )
    return nh3.clean(
        html,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_local_image_sources,
    )


def _local_image_sources(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        source = value.strip().lower()
        if source.startswith("//") or ("://" in source and not source.startswith("cid:")):
            return None
    return value


__all__ = ["URL_SCHEMES", "sanitize_html"]

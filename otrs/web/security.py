"""Middleware that hardens every response.

* :class:`ContentSecurityPolicyMiddleware`: a strict Content-Security-Policy on every page
  that does not set its own (attachment downloads set ``sandbox``). Every script and style
  comes from our static files; no page needs inline code, so none is allowed.
* :class:`SecureCookiesMiddleware`: over HTTPS (``request.is_secure()``, which gunicorn sets
  from ``X-Forwarded-Proto`` sent by a proxy it trusts, ``FORWARDED_ALLOW_IPS``) every cookie
  we set is ``Secure``, whether or not ``SECURE_COOKIES`` forces it everywhere.

Odd input (NUL characters, huge numbers, invalid UTF-8, overlong text) is refused where it
is parsed: by the forms that read query strings and posts (a form error, a default, or "not
found"), and by :func:`otrs.web.pagination.page_number` for page numbers.
"""

from __future__ import annotations

# No inline script or style, no plugins, no framing, forms only to ourselves. data: images
# are the icons some widgets draw; the sandboxed mail frames (srcdoc) inherit this policy.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class SecureCookiesMiddleware:
    """Must sit above the session and CSRF middleware, so it sees the cookies they set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response

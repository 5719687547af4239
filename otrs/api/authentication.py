"""Who is calling: a personal access token (``Authorization: Bearer otrs_...``) or, for the
browsable documentation and scripts in the agent's browser, the agent's session (with CSRF on
unsafe methods, DRF's SessionAuthentication). Both ask the sign-in gates on every call."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from otrs.accounts import gates

from .tokens import find_token, mark_used
from .unavailable import Unavailable


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header is malformed."))
        try:
            plain = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = find_token(plain)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        # The sign-in gates apply to tokens as to passwords: during a maintenance window
        # only administrators' tokens work (OTRS denies agent logins then).
        refuse_if_gated(token.user)
        mark_used(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, behind the same gates as tokens: a session signed in
    before a maintenance window began stays open (its pages warn), but its API calls get
    the window's 503 like a token's, before anything is read."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            refuse_if_gated(found[0])
        return found


def refuse_if_gated(user) -> None:
    refused = gates.refusal(user)
    if refused is not None:
        raise Unavailable(refused.message, until=refused.until)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "otrs.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "otrs_… personal token"}


class SessionAuthenticationScheme(SessionScheme):
    """The schema names the gated session as drf-spectacular names DRF's own."""

    target_class = "otrs.api.authentication.SessionAuthentication"

"""The agent portal's URL root (mounted at ``/agent/``, namespace ``agent``).

The shell's own pages (sign-in, sign-out, password, preferences) come first, then every
installed app's ``agent_urls`` (see :mod:`otrs.agent.registry`), in ``INSTALLED_APPS`` order.
Every contributed view is wrapped in :func:`agent_required`: an app or an extension cannot
forget the gate that keeps customers and anonymous visitors out.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from otrs.accounts.decorators import agent_required

from . import registry, views

app_name = "agent"


def agents_only(patterns) -> list:
    """The patterns with every view behind the agents-only gate, nested includes too."""
    guarded: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            guarded.append(
                URLResolver(
                    pattern.pattern,
                    agents_only(pattern.url_patterns),
                    pattern.default_kwargs,
                    pattern.app_name,
                    pattern.namespace,
                )
            )
        elif isinstance(pattern, URLPattern):
            guarded.append(
                URLPattern(
                    pattern.pattern,
                    agent_required(pattern.callback),
                    pattern.default_args,
                    pattern.name,
                )
            )
        else:
            raise TypeError(f"not a URL pattern: {pattern!r}")
    return guarded


def _contributed() -> list:
    patterns: list = []
    for contribution in registry.contributions():
        guarded = agents_only(contribution.urlpatterns)
        if contribution.namespace:
            patterns.append(path("", include((guarded, contribution.namespace))))
        else:
            patterns.extend(guarded)
    return patterns


urlpatterns = [
    path("login/", views.AgentLoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.AgentLogoutView.as_view(), name="logout"),
    path("preferences/two-factor/", views.two_factor, name="two_factor"),
    path("password/", views.password_change, name="password_change"),
    path("preferences/", views.preferences, name="preferences"),
    path(
        "preferences/sign-out-elsewhere/",
        views.sign_out_elsewhere,
        name="sign_out_elsewhere",
    ),
    path("shortcuts/", views.shortcuts, name="shortcuts"),
    *_contributed(),
    # /agent/ itself, when no app put a page there: the first menu entry the agent sees.
    path("", views.home, name="home"),
]

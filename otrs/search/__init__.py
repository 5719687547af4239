"""Search backends: how free text is matched against tickets.

Callers never talk to a database engine or a search server directly: they ask
:func:`get_backend` for the configured backend (``settings.SEARCH_BACKEND``) and hand it a
ticket queryset that already went through the access layer. See :mod:`otrs.search.backends`.
"""

from .backends import DatabaseBackend, SearchBackend, get_backend, words_of

__all__ = ["DatabaseBackend", "SearchBackend", "get_backend", "words_of"]

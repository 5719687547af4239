from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


def _repair_fts(sender, using, **kwargs) -> None:
    if sender.label not in ("tickets", "faq"):
        return
    # Imported here: the connections are there only once Django is set up.
    from django.db import connections

    from . import fts

    fts.ensure(connections[using])


class SearchConfig(AppConfig):
    """The search registry (apps' ``search.py``), the index handler, ``search_index``."""

    name = "otrs.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        # Each app's search.py registers what it indexes (otrs.search.registry).
        autodiscover_modules("search")
        # Imported here: the handler reads the registry the line above filled.
        from . import indexing

        indexing.subscribe()
        post_migrate.connect(_repair_fts, dispatch_uid="search.repair_fts")

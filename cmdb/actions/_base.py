"""What the CMDB's actions share: refusals, history and events, state look-ups."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from otrs import events
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import access
from ..choices import Catalog, CmdbEvent, Functionality
from ..models import CatalogItem, ConfigItem, GraphLock, History


class InvalidValues(DomainError):
    """Attribute values that do not fit their attributes; ``errors``: path -> message, each
    message naming the attribute (``""`` for the name and the states)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()), code=ErrorCode.CI_INVALID_VALUE)
        self.errors = errors


def lock_graph() -> None:
    """Lock the CMDB's link graph for the rest of the transaction.

    Incident propagation recomputes the whole connected group around a change, so two
    changes in one group (two incidents raised at once, a link added while an incident
    ends) must not interleave, or the later commit writes states computed from a stale
    picture. Every action that may move incident states calls this first, before it locks
    any CI row, and the CI rows are then locked in id order: one order for all, so no two
    changes wait for each other. Taking it again in the same transaction costs one query."""
    found = GraphLock.objects.select_for_update().filter(pk=1).first()
    if found is None:
        try:
            with transaction.atomic():
                GraphLock.objects.create(pk=1)
        except IntegrityError:
            pass
        GraphLock.objects.select_for_update().get(pk=1)


def require(actor, configitem: ConfigItem, need: str = PermissionKey.RW) -> None:
    if not access.can(actor, configitem, need):
        raise DomainError(
            _("You may not change this configuration item."), code=ErrorCode.PERMISSION_DENIED
        )


def require_class(actor, ci_class: CatalogItem) -> None:
    if not access.can_class(actor, ci_class, PermissionKey.RW):
        raise DomainError(
            _("You may not add configuration items of this class."),
            code=ErrorCode.PERMISSION_DENIED,
        )


def state(catalog: str, item: CatalogItem | int | str | None) -> CatalogItem:
    """A valid entry of a state list, given as an entry, an id or a name."""
    found = None
    queryset = CatalogItem.objects.filter(catalog=catalog, valid=True)
    if isinstance(item, CatalogItem):
        found = item if item.catalog == catalog and item.valid else None
    elif isinstance(item, int):
        found = queryset.filter(pk=item).first()
    elif isinstance(item, str) and item:
        found = queryset.filter(name__iexact=item).first()
    if found is None:
        label = (
            _("deployment state") if catalog == Catalog.DEPLOYMENT_STATE else _("incident state")
        )
        raise DomainError(
            _("No such %(what)s: %(value)s.") % {"what": label, "value": item},
            code=ErrorCode.CI_STATE,
        )
    return found


def incident_state_of(functionality: str) -> CatalogItem:
    """The first valid incident state with ``functionality`` (Operational, Warning, Incident)."""
    found = (
        CatalogItem.objects.filter(
            catalog=Catalog.INCIDENT_STATE, functionality=functionality, valid=True
        )
        .order_by("order", "pk")
        .first()
    )
    if found is None:
        raise DomainError(
            _("No incident state of the kind %(kind)s.") % {"kind": Functionality(functionality)},
            code=ErrorCode.CI_STATE,
        )
    return found


def record(
    configitem: ConfigItem, history_type: str, actor, data: dict, event: str | None = None
) -> History:
    """One history row (raw values) and, if given, its event, in the caller's transaction."""
    row = History.objects.create(
        configitem=configitem, history_type=history_type, data=data, actor=actor
    )
    if event:
        events.record(
            events.Event(
                name=event,
                object_type="configitem",
                object_id=configitem.pk,
                actor_id=actor.pk,
                payload={"number": configitem.number, **data},
            )
        )
    return row


__all__ = ["CmdbEvent", "InvalidValues", "record", "require", "require_class", "state"]

"""Every change to the CMDB, one function per intent (see the modules for the rules):
items and their versions, links, class definitions; incident propagation runs inside them."""

from ._base import InvalidValues
from ._definitions import (
    Migration,
    NeedsConfirmation,
    add_attribute,
    change_attribute,
    definition_specs,
    move_attribute,
    update_definition,
)
from ._files import attach_file, remove_file
from ._import import RowResult, export_rows, import_rows
from ._items import (
    CIInput,
    bulk_set_states,
    copy_configitem,
    create_configitem,
    set_deployment_state,
    set_incident_state,
    update_configitem,
)
from ._links import (
    link_affected_configitems,
    link_configitems,
    link_faq_item,
    link_service,
    link_ticket,
    unlink_configitems,
    unlink_faq_item,
    unlink_service,
    unlink_ticket,
)

__all__ = [
    "CIInput",
    "InvalidValues",
    "Migration",
    "NeedsConfirmation",
    "RowResult",
    "add_attribute",
    "attach_file",
    "bulk_set_states",
    "change_attribute",
    "copy_configitem",
    "create_configitem",
    "definition_specs",
    "export_rows",
    "import_rows",
    "link_affected_configitems",
    "link_configitems",
    "link_faq_item",
    "link_service",
    "link_ticket",
    "move_attribute",
    "remove_file",
    "set_deployment_state",
    "set_incident_state",
    "unlink_configitems",
    "unlink_faq_item",
    "unlink_service",
    "unlink_ticket",
    "update_configitem",
    "update_definition",
]

"""Named choices of the CMDB: catalogue lists, state functionalities, link types, history."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Catalog(models.TextChoices):
    """The general catalogue's lists (OTRS class names); per-class lists add ``<Class>::Type``."""

    CLASS = "ITSM::ConfigItem::Class", _("Classes")
    DEPLOYMENT_STATE = "ITSM::ConfigItem::DeploymentState", _("Deployment states")
    INCIDENT_STATE = "ITSM::Core::IncidentState", _("Incident states")
    YES_NO = "ITSM::ConfigItem::YesNo", _("Yes / No")


class Functionality(models.TextChoices):
    """What a deployment or incident state means to the system."""

    PREPRODUCTIVE = "preproductive", _("preproductive")
    PRODUCTIVE = "productive", _("productive")
    POSTPRODUCTIVE = "postproductive", _("postproductive")
    OPERATIONAL = "operational", _("operational")
    WARNING = "warning", _("warning")
    INCIDENT = "incident", _("incident")


class LinkType(models.TextChoices):
    """OTRS link types between CIs (and CI-ticket); pointed types read differently per end."""

    DEPENDS_ON = "DependsOn", _("depends on")
    INCLUDES = "Includes", _("includes")
    CONNECTED_TO = "ConnectedTo", _("connected to")
    ALTERNATIVE_TO = "AlternativeTo", _("alternative to")
    RELEVANT_TO = "RelevantTo", _("relevant to")


# How a pointed link reads from its target's end.
REVERSE_LABELS = {
    LinkType.DEPENDS_ON: _("required for"),
    LinkType.INCLUDES: _("part of"),
}
POINTED = frozenset({LinkType.DEPENDS_ON, LinkType.INCLUDES})
# CI-ticket links allow these types only (spec 13).
TICKET_LINK_TYPES = (LinkType.RELEVANT_TO, LinkType.DEPENDS_ON, LinkType.ALTERNATIVE_TO)
# CI-service links: the service depends on the CI, or the CI is relevant to it.
SERVICE_LINK_TYPES = (LinkType.DEPENDS_ON, LinkType.RELEVANT_TO)


class SuppressVersion(models.TextChoices):
    """An attribute whose change alone makes no new version (OTRS SuppressVersionAdd)."""

    NO = "", _("a change makes a new version")
    UPDATE = "update", _("update the last version in place")
    IGNORE = "ignore", _("ignore the change")


class HistoryType(models.TextChoices):
    """OTRS configitem_history types."""

    CREATE = "ConfigItemCreate", _("created")
    VERSION_CREATE = "VersionCreate", _("new version")
    NAME_UPDATE = "NameUpdate", _("name changed")
    VALUE_UPDATE = "ValueUpdate", _("value changed")
    DEFINITION_UPDATE = "DefinitionUpdate", _("definition changed")
    DEPLOYMENT_STATE_UPDATE = "DeploymentStateUpdate", _("deployment state changed")
    INCIDENT_STATE_UPDATE = "IncidentStateUpdate", _("incident state changed")
    CURRENT_INCIDENT_STATE = "CurrentIncidentStateUpdate", _("current incident state changed")
    LINK_ADD = "LinkAdd", _("link added")
    LINK_DELETE = "LinkDelete", _("link removed")


class CmdbEvent(models.TextChoices):
    """Events recorded with the history (OTRS names)."""

    CREATE = "ConfigItemCreate"
    VERSION_CREATE = "VersionCreate"
    VERSION_UPDATE = "VersionUpdate"
    DEFINITION_UPDATE = "DefinitionUpdate"
    INCIDENT_STATE_UPDATE = "IncidentStateUpdate"
    DEPLOYMENT_STATE_UPDATE = "DeploymentStateUpdate"
    LINK_ADD = "LinkAdd"
    LINK_DELETE = "LinkDelete"


# CMDB attribute types beyond the engine's own (they are engine reference types underneath
# with a fixed target, see cmdb.attributes).
CMDB_REFERENCE_TYPES = {
    "ci": "configitem",
    "customer": "customer_user",
    "company": "customer_company",
    "agent": "agent",
    "queue": "queue",
    "service": "service",
}

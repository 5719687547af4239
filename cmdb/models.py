"""The CMDB's tables: the general catalogue, class definitions with stable attributes,
configuration items with their versions and typed values, links and history."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import Group
from tickets.models.article import attachment_storage

from .choices import Catalog, Functionality, HistoryType, LinkType, SuppressVersion


class CatalogItem(models.Model):
    """One entry of a managed value list (OTRS general_catalog): a class, a deployment or
    incident state, a value of a per-class list (``ITSM::ConfigItem::Computer::Type``)."""

    catalog = models.CharField(_("list"), max_length=100)
    name = models.CharField(_("name"), max_length=100)
    functionality = models.CharField(
        _("functionality"), max_length=20, choices=Functionality.choices, blank=True
    )
    # Classes only: the permission group whose ro/rw grants decide over its CIs.
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    valid = models.BooleanField(_("valid"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue entries")
        ordering = ["catalog", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["catalog", "name"], name="cmdb_catalog_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_class(self) -> bool:
        return self.catalog == Catalog.CLASS

    def type_list(self) -> str:
        """The per-class list of types of this class (``ITSM::ConfigItem::Computer::Type``)."""
        return f"ITSM::ConfigItem::{self.name}::Type"


class ClassCounter(models.Model):
    """The per-class counter of CI numbers (OTRS configitem_counter)."""

    ci_class = models.OneToOneField(CatalogItem, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.ci_class_id}: {self.value}"


class Attribute(models.Model):
    """One attribute of a class definition. Its primary key is its stable id: values point
    at it, so renaming the key or the label keeps them."""

    ci_class = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="attributes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    key = models.CharField(_("key"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    # An engine type (otrs.fields.types.FIELD_TYPES) or a CMDB type (choices.CMDB_REFERENCE_TYPES,
    # "catalog": a general catalogue list named in settings["catalog"]).
    field_type = models.CharField(_("type"), max_length=30)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    required = models.BooleanField(_("required"), default=False)
    count_min = models.PositiveSmallIntegerField(_("at least"), default=0)
    count_max = models.PositiveSmallIntegerField(_("at most"), default=1)
    count_default = models.PositiveSmallIntegerField(_("shown"), default=1)
    searchable = models.BooleanField(_("searchable"), default=False)
    suppress_version = models.CharField(
        _("no new version"), max_length=10, choices=SuppressVersion.choices, blank=True
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    # Removed from the definition (its values, if any, were dropped on confirmation).
    removed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        ordering = ["ci_class", "order", "pk"]
        indexes = [
            # A class's live definition, in order (every form and CI page).
            models.Index(fields=["ci_class", "removed", "order"], name="cmdb_attr_class_order"),
        ]

    def __str__(self) -> str:
        return self.key


class Definition(models.Model):
    """A version of a class's definition: a snapshot of its attributes (ids included)."""

    ci_class = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="definitions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["ci_class", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["ci_class", "version"], name="cmdb_definition_version")
        ]

    def __str__(self) -> str:
        return f"{self.ci_class} v{self.version}"


class ConfigItem(models.Model):
    """A configuration item. Only ``cmdb.actions`` assigns its fields."""

    number = models.CharField(_("number"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=250)
    ci_class = models.ForeignKey(
        CatalogItem, on_delete=models.PROTECT, related_name="configitems", verbose_name=_("class")
    )
    deployment_state = models.ForeignKey(
        CatalogItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("deployment state")
    )
    # The state the last version sets, and the state after propagation (warning).
    incident_state = models.ForeignKey(
        CatalogItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("incident state")
    )
    current_incident_state = models.ForeignKey(
        CatalogItem,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("current incident state"),
    )
    last_version = models.ForeignKey(
        "Version", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        ordering = ["ci_class", "name"]
        constraints = [
            models.UniqueConstraint(fields=["ci_class", "name"], name="cmdb_ci_name_per_class")
        ]
        indexes = [
            # The overview's counts and the list filters per class and state.
            models.Index(
                fields=["ci_class", "deployment_state", "current_incident_state"],
                name="cmdb_ci_class_states",
            ),
            models.Index(fields=["name"], name="cmdb_ci_name"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Version(models.Model):
    """A saved state of a CI: name, states, definition and (in AttributeValue) values."""

    configitem = models.ForeignKey(ConfigItem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=250)
    definition = models.ForeignKey(Definition, on_delete=models.PROTECT, related_name="+")
    deployment_state = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="+")
    incident_state = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["configitem", "number"]
        constraints = [
            models.UniqueConstraint(fields=["configitem", "number"], name="cmdb_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.configitem_id} v{self.number}"


class AttributeValue(models.Model):
    """One typed value of a version: the attribute's type decides the column (as the field
    engine's FieldValue). ``parent`` nests a sub-attribute's value under its value; ``position``
    orders repeated values."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="values")
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="values")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)
    value_text = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    value_long = models.TextField(null=True, blank=True)  # noqa: DJ001
    value_int = models.BigIntegerField(null=True, blank=True)
    value_decimal = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    value_datetime = models.DateTimeField(null=True, blank=True)
    value_ref = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["version", "pk"]
        indexes = [
            # Search by a searchable attribute: one index per kind of value, led by it.
            models.Index(fields=["attribute", "value_text"], name="cmdb_value_text"),
            models.Index(fields=["attribute", "value_int"], name="cmdb_value_int"),
            models.Index(fields=["attribute", "value_date"], name="cmdb_value_date"),
            models.Index(fields=["attribute", "value_ref"], name="cmdb_value_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id}@{self.version_id}"


class Link(models.Model):
    """A link between two CIs; for pointed types the source depends on / includes the target."""

    source = models.ForeignKey(ConfigItem, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(ConfigItem, on_delete=models.CASCADE, related_name="links_in")
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "link_type"], name="cmdb_link_unique"
            )
        ]
        indexes = [
            # Both ends: propagation and the CI page walk links from either side.
            models.Index(fields=["target", "link_type"], name="cmdb_link_target"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.link_type} {self.target_id}"


class TicketLink(models.Model):
    """A link between a CI and a ticket (the ticket is the source: it is relevant to the CI)."""

    configitem = models.ForeignKey(
        ConfigItem, on_delete=models.CASCADE, related_name="ticket_links"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["configitem", "ticket"], name="cmdb_ticket_link_unique")
        ]
        indexes = [models.Index(fields=["ticket"], name="cmdb_ticket_link_ticket")]

    def __str__(self) -> str:
        return f"{self.configitem_id} {self.link_type} ticket {self.ticket_id}"


class History(models.Model):
    """An append-only history row of a CI: type, actor, time and raw values."""

    configitem = models.ForeignKey(ConfigItem, on_delete=models.CASCADE, related_name="history")
    history_type = models.CharField(max_length=40, choices=HistoryType.choices)
    data = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["configitem", "pk"]
        verbose_name = _("CMDB history entry")

    def __str__(self) -> str:
        return f"{self.configitem_id} {self.history_type}"


class GraphLock(models.Model):
    """One row every change that may move incident states locks first (see
    :func:`cmdb.actions._base.lock_graph`): propagation reads and writes a whole connected
    group of CIs, which no row lock on one CI covers."""

    def __str__(self) -> str:
        return f"graph lock {self.pk}"


class FaqLink(models.Model):
    """A link between a CI and an FAQ item (the item is relevant to the CI)."""

    configitem = models.ForeignKey(ConfigItem, on_delete=models.CASCADE, related_name="faq_links")
    item = models.ForeignKey("faq.FaqItem", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["configitem", "item"], name="cmdb_faq_link_unique")
        ]
        # The FAQ item's page lists its CIs.
        indexes = [models.Index(fields=["item"], name="cmdb_faq_link_item")]

    def __str__(self) -> str:
        return f"{self.configitem_id} faq {self.item_id}"


class ServiceLink(models.Model):
    """A link between a CI and a service: the service depends on the CI, or the CI is
    relevant to it."""

    configitem = models.ForeignKey(
        ConfigItem, on_delete=models.CASCADE, related_name="service_links"
    )
    service = models.ForeignKey("tickets.Service", on_delete=models.CASCADE, related_name="+")
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["configitem", "service"], name="cmdb_service_link_unique"
            )
        ]
        # Services of a ticket being created: their CIs.
        indexes = [models.Index(fields=["service"], name="cmdb_service_link_service")]

    def __str__(self) -> str:
        return f"{self.configitem_id} {self.link_type} service {self.service_id}"


class CIFile(models.Model):
    """A file held by an attachment attribute of a CI; versions point at it by id, so an
    older version still shows the file it had. The bytes are kept as ticket attachments
    are (``ATTACHMENT_STORAGE``: the database or the attachment storage)."""

    configitem = models.ForeignKey(ConfigItem, on_delete=models.CASCADE, related_name="files")
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(
        _("content type"), max_length=255, default="application/octet-stream"
    )
    size = models.PositiveBigIntegerField(_("size"), default=0)
    db_content = models.BinaryField(null=True, blank=True, editable=False)
    file = models.FileField(storage=attachment_storage, max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("configuration item file")
        verbose_name_plural = _("configuration item files")

    def __str__(self) -> str:
        return self.filename

    @property
    def in_database(self) -> bool:
        return self.db_content is not None

    def store(self, upload, *, backend: str) -> None:
        """Put an uploaded file into ``backend`` ("db" or "fs"); the caller saves the row.
        Files are named by their sha256 under ``cmdb/`` (outside the tickets' ``cas/``,
        whose orphan sweep knows only ticket attachments); a file is never deleted."""
        upload.seek(0)
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        self.size = upload.size
        if backend == "db":
            self.db_content = upload.read()
            self.file = ""
            return
        self.db_content = None
        sha = digest.hexdigest()
        name = f"cmdb/{sha[:2]}/{sha[2:4]}/{sha}"
        storage = self.file.storage
        if not storage.exists(name):
            saved = storage.save(name, upload)
            if saved != name:
                storage.delete(saved)  # the same bytes, written at this moment by another
        self.file.name = name

    def read(self) -> bytes:
        if self.db_content is not None:
            return bytes(self.db_content)
        with self.file.open("rb") as handle:
            return handle.read()

"""Files of a CI (attachment attributes): each upload or removal is a save of the CI, so
it makes a new version (the older one keeps showing the file it had)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from otrs.errors import DomainError, ErrorCode

from .. import attributes as attrs
from ..models import CIFile, ConfigItem, Version
from ._base import lock_graph, require
from ._items import _save, _unchanged_input

FILENAME_MAX = 255


def _file_attribute(configitem: ConfigItem, attribute_id: int):
    tree = attrs.Definition.of(configitem.ci_class)
    attribute = tree.by_id.get(attribute_id)
    if attribute is None or attribute.field_type != attrs.ATTACHMENT or attribute.parent_id:
        raise DomainError(_("No such attachment attribute."), code=ErrorCode.CI_INVALID_VALUE)
    return attribute


def _own_paths(values: dict, attribute_id: int) -> list[str]:
    return sorted(
        (p for p in values if "/" not in p and attrs.leaf_attribute(p) == attribute_id),
        key=lambda p: attrs.parse_step(p)[1],
    )


def attach_file(configitem: ConfigItem, attribute_id: int, upload, *, actor) -> Version | None:
    """Add an uploaded file to an attachment attribute (rw on the CI); refused past the
    attribute's "at most" count. The upload's size limit is the form's (UploadField)."""
    require(actor, configitem)
    attribute = _file_attribute(configitem, attribute_id)
    filename = (getattr(upload, "name", "") or "").replace("\x00", "").strip()[:FILENAME_MAX]
    if not filename:
        raise DomainError(_("The file has no name."), code=ErrorCode.CI_INVALID_VALUE)
    with transaction.atomic():
        lock_graph()
        configitem = ConfigItem.objects.select_for_update().get(pk=configitem.pk)
        cleaned = _unchanged_input(configitem)
        taken = _own_paths(cleaned.values, attribute.pk)
        if len(taken) >= attribute.count_max:
            raise DomainError(
                _("%(attribute)s: at most %(max)d files.")
                % {"attribute": _(attribute.name), "max": attribute.count_max},
                code=ErrorCode.CI_INVALID_VALUE,
            )
        stored = CIFile(
            configitem=configitem,
            attribute=attribute,
            filename=filename,
            content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:255],
            uploaded_by=actor,
        )
        stored.store(upload, backend=settings.ATTACHMENT_STORAGE)
        stored.save()
        position = attrs.parse_step(taken[-1])[1] + 1 if taken else 0
        cleaned.values[f"{attribute.pk}:{position}"] = stored.pk
        return _save(configitem, cleaned, actor, files_changed=True)


def remove_file(configitem: ConfigItem, file_pk: int, *, actor) -> Version | None:
    """Take a file out of the CI's current version (rw on the CI); the older versions keep
    it. A file the current version does not hold is "not found"."""
    require(actor, configitem)
    with transaction.atomic():
        lock_graph()
        configitem = ConfigItem.objects.select_for_update().get(pk=configitem.pk)
        cleaned = _unchanged_input(configitem)
        tree = attrs.Definition.of(configitem.ci_class)
        path = next(
            (p for p, v in cleaned.values.items() if tree.is_file(p) and v == file_pk), None
        )
        if path is None:
            raise DomainError(_("No such file."), code=ErrorCode.NOT_ALLOWED)
        attribute_id = attrs.leaf_attribute(path)
        rest = [cleaned.values.pop(p) for p in _own_paths(cleaned.values, attribute_id)]
        rest.remove(file_pk)
        for position, value in enumerate(rest):  # positions closed up
            cleaned.values[f"{attribute_id}:{position}"] = value
        return _save(configitem, cleaned, actor, files_changed=True)

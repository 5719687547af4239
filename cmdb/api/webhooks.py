"""What the CMDB offers to webhooks (:mod:`otrs.webhooks`): its events, filters by class and
deployment state, and the CI's main fields in each payload."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from otrs import webhooks

from ..choices import Catalog, CmdbEvent
from ..models import CatalogItem, ConfigItem


def _catalog(catalog: str):
    def choices():
        return (
            CatalogItem.objects.filter(catalog=catalog).order_by("name").values_list("pk", "name")
        )

    return choices


def _column(name: str):
    def values(ids: set[int]) -> dict[int, int]:
        return dict(ConfigItem.objects.filter(pk__in=ids).values_list("pk", name))

    return values


def _describe(ids: set[int]) -> dict[int, dict]:
    rows = ConfigItem.objects.filter(pk__in=ids).select_related(
        "ci_class", "deployment_state", "current_incident_state"
    )
    return {
        ci.pk: {
            "id": ci.pk,
            "number": ci.number,
            "name": ci.name,
            "class": {"id": ci.ci_class_id, "name": ci.ci_class.name},
            "deployment_state": {"id": ci.deployment_state_id, "name": ci.deployment_state.name},
            "incident_state": {
                "id": ci.current_incident_state_id,
                "name": ci.current_incident_state.name,
            },
            "changed_at": ci.changed_at,
        }
        for ci in rows
    }


webhooks.register(
    webhooks.Source(
        object_type="configitem",
        label=_("Configuration items"),
        events=[str(event) for event in CmdbEvent],
        filters=[
            webhooks.Filter("class", _("Classes"), _catalog(Catalog.CLASS), _column("ci_class_id")),
            webhooks.Filter(
                "deployment_state",
                _("Deployment states"),
                _catalog(Catalog.DEPLOYMENT_STATE),
                _column("deployment_state_id"),
            ),
        ],
        describe=_describe,
    )
)

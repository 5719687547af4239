"""Queues and SLAs refer to their calendar by foreign key instead of by name (issue 14):
the names are mapped to calendars; a name that matches no calendar (the clean() check
refused those, so only data written around it) leaves the reference empty, which means
the default calendar, and is printed so an administrator can look."""

import django.db.models.deletion
from django.db import migrations, models


def names_to_references(apps, schema_editor):
    Calendar = apps.get_model("calendars", "Calendar")
    by_name = dict(Calendar.objects.values_list("name", "pk"))
    for model_name in ("Queue", "SLA"):
        model = apps.get_model("tickets", model_name)
        for pk, name in model.objects.exclude(calendar="").values_list("pk", "calendar"):
            found = by_name.get(name)
            if found is None:
                print(f"\n  {model_name} {pk}: no calendar named {name!r}; it uses the default.")
            model.objects.filter(pk=pk).update(calendar_ref_id=found)


def references_to_names(apps, schema_editor):
    Calendar = apps.get_model("calendars", "Calendar")
    by_pk = dict(Calendar.objects.values_list("pk", "name"))
    for model_name in ("Queue", "SLA"):
        model = apps.get_model("tickets", model_name)
        for pk, ref in model.objects.exclude(calendar_ref=None).values_list("pk", "calendar_ref"):
            model.objects.filter(pk=pk).update(calendar=by_pk.get(ref, ""))


def _reference():
    return models.ForeignKey(
        blank=True,
        help_text="Empty: the default calendar.",
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="calendars.calendar",
        verbose_name="calendar",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("calendars", "0001_business_calendars"),
        ("tickets", "0015_metrics_and_time_accounting"),
    ]

    operations = [
        migrations.AddField(model_name="queue", name="calendar_ref", field=_reference()),
        migrations.AddField(model_name="sla", name="calendar_ref", field=_reference()),
        migrations.RunPython(names_to_references, references_to_names),
        migrations.RemoveField(model_name="queue", name="calendar"),
        migrations.RemoveField(model_name="sla", name="calendar"),
        migrations.RenameField(model_name="queue", old_name="calendar_ref", new_name="calendar"),
        migrations.RenameField(model_name="sla", old_name="calendar_ref", new_name="calendar"),
    ]

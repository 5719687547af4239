"""A migration that changes data and then fails, outside a transaction (as a MariaDB schema
change always is): only the upgrade's restore can undo what it did."""

from django.db import migrations


def change_then_fail(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Ticket.objects.update(title="changed by a migration that failed")
    raise RuntimeError("forced failure half way")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(change_then_fail, migrations.RunPython.noop)]

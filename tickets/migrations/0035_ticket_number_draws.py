"""Ticket numbers without a shared row lock (tickets.numbers): the counters of all scopes are
drawn from one series (TicketNumberDraw), and each scope keeps where its counter starts.

A counter row that had handed out ``value`` numbers becomes a start of ``-value``: the
series is new (nothing drawn yet), so the scope's next number is ``value + 1`` as before.
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def _high_water(schema_editor) -> int:
    connection = schema_editor.connection
    table = connection.ops.quote_name("tickets_ticketnumberdraw")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)",
                [table],
            )
        else:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        return int(cursor.fetchone()[0])


def values_to_bases(apps, schema_editor):
    Counter = apps.get_model("tickets", "TicketNumberCounter")
    Counter.objects.update(base=_high_water(schema_editor) - F("base"))


def bases_to_values(apps, schema_editor):
    Counter = apps.get_model("tickets", "TicketNumberCounter")
    Counter.objects.update(base=_high_water(schema_editor) - F("base"))


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0034_queue_priority_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketNumberDraw",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "ticket number draw",
                "verbose_name_plural": "ticket number draws",
            },
        ),
        migrations.RenameField(
            model_name="ticketnumbercounter",
            old_name="value",
            new_name="base",
        ),
        migrations.RunPython(values_to_bases, bases_to_values),
    ]

"""The mail transport keeps only what a transport needs (issue 9, item 4).

The inbound store and the postmaster filters now belong to the ticket e-mail channel
(``tickets.0007_mail_channel`` took them over with their tables, which stay). A mail account's
dispatching and a queued mail's ticket and article were copied there as well, so their columns
go.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("mail", "0002_outbound_idempotency_key"),
        ("tickets", "0007_mail_channel"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="FilterMatch"),
                migrations.DeleteModel(name="FilterSet"),
                migrations.DeleteModel(name="PostmasterFilter"),
                migrations.DeleteModel(name="InboundMessage"),
            ],
            database_operations=[],
        ),
        migrations.RemoveField(model_name="mailaccount", name="dispatch"),
        migrations.RemoveField(model_name="mailaccount", name="queue"),
        migrations.RemoveField(model_name="outboundmessage", name="article"),
        migrations.RemoveField(model_name="outboundmessage", name="ticket"),
    ]

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("mail", "0005_mail_spool_schedule")]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="queued_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="queued"),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="alerted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="admins alerted"),
        ),
    ]

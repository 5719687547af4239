"""Every raw message now lives in RawMail (0008 copied it): drop the old copies."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_raw_mail_store")]

    operations = [
        migrations.RemoveField(model_name="articleraw", name="content"),
        migrations.RemoveField(model_name="inboundmessage", name="raw"),
        migrations.AlterField(
            model_name="articleraw",
            name="blob",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="tickets.rawmail",
            ),
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="blob",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="tickets.rawmail", verbose_name="raw message",
            ),
        ),
    ]

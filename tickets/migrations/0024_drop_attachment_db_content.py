from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tickets", "0023_content_blobs_data")]

    operations = [migrations.RemoveField(model_name="attachment", name="db_content")]
